"""search cards: what a result shows of each published listing, stored as one JSON text

A results page read its listings' columns, organizations, codes and places
with joins on every search, about a fifth of an API search's time; search now
reads each listing's stored card by key (directory/result_cards.py). A
rebuild fills the new table and gives search a new epoch (now d2f6b8a4c0e7's).

Revision ID: f3a9c1e5b7d2
Revises: d7e2b9c4a1f0
Create Date: 2026-11-21 12:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a9c1e5b7d2'
down_revision = 'd7e2b9c4a1f0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_card',
        sa.Column('listing_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_search_card_listing_id_listing'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_search_card')),
    )
    # The rebuild that was here is in d2f6b8a4c0e7 (search text), the last migration that changes what
    # search_index writes: today's code writes today's tables, which a database here does not have yet.


def downgrade():
    op.drop_table('search_card')
