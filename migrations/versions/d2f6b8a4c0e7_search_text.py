"""search text: each listing's words in a narrow table of their own, case folded by Python

A search's words were LIKEs on search_card.words, beside each card's JSON.
PostgreSQL's trigram index found the candidates of a word, then read their
rows to check it: at a million listings "cedar" read 16,716 pages of cards
(118-677 ms), where the same words in a table of their own read 7,229 (20 ms;
bench/README.md). The words now live in search_text (directory/models/
search_entry.SearchText) under the same trigram indexes: SQLite's FTS5 table
search_words, now over search_text, and PostgreSQL's GIN index, now on the
words themselves rather than on lower(words).

They are kept case folded by Python (search_index.fold_words: casefold), as a
search's words are read, instead of by each database's lower() (ASCII only on
SQLite, the locale's on PostgreSQL): "ÉCOLE" now finds "école" on both.

The rebuild writes every entry, card and listing's words with today's code;
the migrations before this one that did so leave it to this one.

Revision ID: d2f6b8a4c0e7
Revises: a3e7c5f1d9b4
Create Date: 2026-11-22 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2f6b8a4c0e7'
down_revision = 'a3e7c5f1d9b4'
branch_labels = None
depends_on = None


def _fts5(content: str, triggers: str) -> list[str]:
    """SQLite: search_words as FTS5's "external content" table over `content`.words, rowid listing_id, and the
    triggers (named `triggers`_insert, ...) that keep it in step. The index first takes what the table
    holds ('rebuild'): FTS5 can only take out of its index what it put in."""
    return [
        f"CREATE VIRTUAL TABLE search_words USING fts5(words, content='{content}', content_rowid='listing_id', "
        "tokenize='trigram')",
        "INSERT INTO search_words(search_words) VALUES ('rebuild')",
        f"CREATE TRIGGER {triggers}_insert AFTER INSERT ON {content} BEGIN "
        "INSERT INTO search_words(rowid, words) VALUES (new.listing_id, new.words); END",
        f"CREATE TRIGGER {triggers}_delete AFTER DELETE ON {content} BEGIN "
        "INSERT INTO search_words(search_words, rowid, words) VALUES ('delete', old.listing_id, old.words); END",
        f"CREATE TRIGGER {triggers}_update AFTER UPDATE ON {content} BEGIN "
        "INSERT INTO search_words(search_words, rowid, words) VALUES ('delete', old.listing_id, old.words); "
        "INSERT INTO search_words(rowid, words) VALUES (new.listing_id, new.words); END",
    ]


def _drop_fts5(triggers: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {triggers}_{event}" for event in ("insert", "delete", "update")] + [
        "DROP TABLE IF EXISTS search_words"]


NEW = {
    "sqlite": _fts5("search_text", "search_text_words"),
    "postgresql": ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                   "CREATE INDEX ix_search_text_words ON search_text USING gin (words gin_trgm_ops)"],
}
OLD = {  # as b8d4f2a6c1e9 made them
    "sqlite": _fts5("search_card", "search_card_words"),
    "postgresql": ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                   "CREATE INDEX ix_search_card_words ON search_card USING gin (lower(words) gin_trgm_ops)"],
}
DROP_NEW = {"sqlite": _drop_fts5("search_text_words"), "postgresql": ["DROP INDEX IF EXISTS ix_search_text_words"]}
DROP_OLD = {"sqlite": _drop_fts5("search_card_words"), "postgresql": ["DROP INDEX IF EXISTS ix_search_card_words"]}


def _run(connection, statements: dict[str, list[str]]) -> None:
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def _make_index(connection, statements: dict[str, list[str]], words: str) -> None:
    """The trigram index, where this database can have one; without it, search scans the words."""
    try:
        with connection.begin_nested():  # a savepoint: without the index, the migration goes on
            _run(connection, statements)
    except sa.exc.DBAPIError as error:
        print(f"search words: no trigram index ({error.orig}); searches for words will scan {words}")


def upgrade():
    connection = op.get_bind()
    _run(connection, DROP_OLD)
    op.execute("DELETE FROM search_card")  # the rebuild below writes every card again: nothing to copy
    with op.batch_alter_table('search_card') as batch:
        batch.drop_column('words')
    op.create_table(
        'search_text',
        sa.Column('listing_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('words', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_search_text_listing_id_listing'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_search_text')),
    )
    _make_index(connection, NEW, "search_text.words")
    from directory import search_index

    search_index.rebuild(connection)


def downgrade():
    connection = op.get_bind()
    _run(connection, DROP_NEW)
    with op.batch_alter_table('search_card') as batch:
        batch.add_column(sa.Column('words', sa.Text(), server_default='', nullable=False))
    # Case folded, as they are: the old LIKEs (on lower(words)) find in them what they found before.
    op.execute("UPDATE search_card SET words = coalesce("
               "(SELECT words FROM search_text WHERE search_text.listing_id = search_card.listing_id), '')")
    op.drop_table('search_text')
    _make_index(connection, OLD, "search_card.words")
