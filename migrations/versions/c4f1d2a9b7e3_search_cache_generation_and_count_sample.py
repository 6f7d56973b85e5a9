"""search cache generation and a sample index for estimating huge counts

search_index_state holds one number that every write to what search shows
changes (search_index.bump_generation); cached search answers are keyed on it.
ix_search_entry_sample is a partial copy of the place index holding every
sixteenth listing (by id), from which search estimates the count of a circle
that holds more than 5,000 places instead of counting them all.

Revision ID: c4f1d2a9b7e3
Revises: a53e8e6d35f2
Create Date: 2026-11-21 08:05:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f1d2a9b7e3'
down_revision = 'a53e8e6d35f2'
branch_labels = None
depends_on = None

SAMPLE_PREDICATE = "listing_id % 16 = 0"


def upgrade():
    state = op.create_table(
        'search_index_state',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_index_state')),
    )
    op.bulk_insert(state, [{'id': 1, 'generation': secrets.randbits(62)}])
    op.create_index(
        'ix_search_entry_sample', 'search_entry',
        ['band', 'longitude', 'latitude', 'x', 'y', 'z', 'filter_bits_1', 'filter_bits_2', 'listing_id',
         'fresh_until', 'listing_places'],
        unique=False, sqlite_where=sa.text(SAMPLE_PREDICATE), postgresql_where=sa.text(SAMPLE_PREDICATE))


def downgrade():
    op.drop_index('ix_search_entry_sample', table_name='search_entry',
                  sqlite_where=sa.text(SAMPLE_PREDICATE), postgresql_where=sa.text(SAMPLE_PREDICATE))
    op.drop_table('search_index_state')
