"""remote entries in rank order: one partial index replaces the two by area

Search now pages and counts remote-only listings in memory
(directory/place_index.py), so nothing reads search_entry by area any more.
What each process does read is every remote entry in a remote page's order
(as it starts, or after a rebuild) and, when one changes, the entries just
before and after it in that order: this index holds the remote entries in
that order, with the columns the copy keeps.

Revision ID: a7c3e9d1b5f4
Revises: f3a9c1e5b7d2
Create Date: 2026-11-21 15:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d1b5f4'
down_revision = 'f3a9c1e5b7d2'
branch_labels = None
depends_on = None

REMOTE = "area IS NOT NULL"


def upgrade():
    op.drop_index('ix_search_entry_area', table_name='search_entry')
    op.drop_index('ix_search_entry_area_filters', table_name='search_entry')
    op.create_index('ix_search_entry_remote_order', 'search_entry',
                    ['sort_name', 'listing_id', 'area', 'filter_bits_1', 'filter_bits_2', 'fresh_until'],
                    unique=False, sqlite_where=sa.text(REMOTE), postgresql_where=sa.text(REMOTE))


def downgrade():
    op.drop_index('ix_search_entry_remote_order', table_name='search_entry',
                  sqlite_where=sa.text(REMOTE), postgresql_where=sa.text(REMOTE))
    op.create_index('ix_search_entry_area_filters', 'search_entry',
                    ['area', 'fresh_until', 'filter_bits_1', 'filter_bits_2'], unique=False)
    op.create_index('ix_search_entry_area', 'search_entry',
                    ['area', 'sort_name', 'listing_id', 'filter_bits_1', 'filter_bits_2', 'fresh_until'],
                    unique=False)
