"""search without a place: one more search entry for every published listing, read in memory

A search without a ZIP (filters only, or words) counted every published
listing that passed in SQL, with an EXISTS per filter, then sorted them all by
name: 100-350 ms at 100,000 listings on SQLite, ten times that at a million.
Every published listing now has one more SearchEntry, whose area is
search_index.ANY_PLACE ("*"): each process holds these with the remote-only
listings' entries (directory/place_index.py), ranked by name in the database's
order, so such a search is a pass over bit masks and a partial sort, as a
remote page already was. No schema change: a rebuild writes the new entries
and gives search a new epoch, so every process reloads its copy (now
d2f6b8a4c0e7's).

Revision ID: c9e4a7f2d1b8
Revises: b8d4f2a6c1e9
Create Date: 2026-11-21 20:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9e4a7f2d1b8'
down_revision = 'b8d4f2a6c1e9'
branch_labels = None
depends_on = None


def upgrade():
    # The rebuild that was here is in d2f6b8a4c0e7 (search text), the last migration that changes what
    # search_index writes: today's code writes today's tables, which a database here does not have yet.
    pass


def downgrade():
    from directory import search_index

    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM search_entry WHERE area = :any_place"),
                       {"any_place": search_index.ANY_PLACE})
    search_index.bump_generation(connection, new_epoch=True)
