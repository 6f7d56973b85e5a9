"""search words folded: long s and the Kelvin sign kept as s and k

Search now asks SQLite's FTS5 trigram index (search_words) which listings
hold a search's words with a MATCH, which reads the index alone, where a LIKE
on it read every card the index found (directory/search.py, _fts_phrases).
The index folds case as Unicode does, SQLite's LIKE ASCII letters only; of
every character outside ASCII, only these two fold to an ASCII letter. Cards'
words now keep them folded (directory/search_index.fold_words), as a search's
words are read, so that for ASCII words the index finds exactly what the
LIKEs do. This folds the cards already written: few or none hold either
character. On SQLite the update triggers re-index the ones that change.

Revision ID: a3e7c5f1d9b4
Revises: c9e4a7f2d1b8
Create Date: 2026-11-22 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3e7c5f1d9b4'
down_revision = 'c9e4a7f2d1b8'
branch_labels = None
depends_on = None

LONG_S, KELVIN = "\u017f", "\u212a"


def upgrade():
    from directory import search_index

    connection = op.get_bind()
    changed = connection.execute(
        sa.text("UPDATE search_card SET words = replace(replace(words, :long_s, 's'), :kelvin, 'k') "
                "WHERE words LIKE :with_long_s OR words LIKE :with_kelvin"),
        {"long_s": LONG_S, "kelvin": KELVIN, "with_long_s": f"%{LONG_S}%", "with_kelvin": f"%{KELVIN}%"},
    ).rowcount
    if changed:  # answers cached before may now miss these cards
        search_index.bump_generation(connection)


def downgrade():
    pass  # a folded card cannot be told from one written folded: nothing to undo
