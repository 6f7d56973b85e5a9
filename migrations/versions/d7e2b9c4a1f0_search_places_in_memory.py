"""search places in memory: a change log and an epoch; the count sample index goes

Each process now keeps the places of the search index in memory
(directory/place_index.py) and follows search_index_change to stay in step;
search_index_state.epoch tells it when to reload everything instead. Counting
a circle in memory is exact and cheap, so the sample index that estimated
crowded circles' counts is dropped.

Revision ID: d7e2b9c4a1f0
Revises: c4f1d2a9b7e3
Create Date: 2026-11-21 10:40:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7e2b9c4a1f0'
down_revision = 'c4f1d2a9b7e3'
branch_labels = None
depends_on = None

SAMPLE_PREDICATE = "listing_id % 16 = 0"


def upgrade():
    op.create_table(
        'search_index_change',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('listing_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_search_index_change')),
    )
    with op.batch_alter_table('search_index_state') as batch:
        batch.add_column(sa.Column('epoch', sa.BigInteger(), nullable=True))
    op.execute(sa.text("UPDATE search_index_state SET epoch = :epoch").bindparams(epoch=secrets.randbits(62)))
    op.drop_index('ix_search_entry_sample', table_name='search_entry',
                  sqlite_where=sa.text(SAMPLE_PREDICATE), postgresql_where=sa.text(SAMPLE_PREDICATE))


def downgrade():
    op.create_index(
        'ix_search_entry_sample', 'search_entry',
        ['band', 'longitude', 'latitude', 'x', 'y', 'z', 'filter_bits_1', 'filter_bits_2', 'listing_id',
         'fresh_until', 'listing_places'],
        unique=False, sqlite_where=sa.text(SAMPLE_PREDICATE), postgresql_where=sa.text(SAMPLE_PREDICATE))
    with op.batch_alter_table('search_index_state') as batch:
        batch.drop_column('epoch')
    op.drop_table('search_index_change')
