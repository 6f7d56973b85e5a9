"""search words: each card's words, under a trigram index, so a search's words need no scan

A search's words (q) were looked for with four LIKEs on every published
listing (its name, both descriptions and its organization's name): a
quarter of a second at 100,000 listings on SQLite, a second on PostgreSQL,
ten times that at a million. Each card now holds those texts as one
(search_card.words, directory/search_index.card_words) under a trigram index
that finds the few listings that can hold each word (directory/search.py,
_word_candidates): on SQLite an FTS5 table with the trigram tokenizer, kept
in step with search_card by triggers; on PostgreSQL a GIN index with pg_trgm.
Where neither can be made (SQLite without FTS5, a PostgreSQL role that may
not create the extension), search still works, scanning the one column.
A rebuild fills the new column (now d2f6b8a4c0e7's, which moves the words to search_text).

Revision ID: b8d4f2a6c1e9
Revises: a7c3e9d1b5f4
Create Date: 2026-11-21 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f2a6c1e9'
down_revision = 'a7c3e9d1b5f4'
branch_labels = None
depends_on = None

# FTS5's "external content" table: the words live in search_card; the triggers keep the index in step.
SQLITE = [
    "CREATE VIRTUAL TABLE search_words USING fts5(words, content='search_card', content_rowid='listing_id', "
    "tokenize='trigram')",
    # Index the cards there are (their words still empty) before the triggers: FTS5 can only take out of
    # its index what it put in, and a rebuild deletes every card.
    "INSERT INTO search_words(search_words) VALUES ('rebuild')",
    "CREATE TRIGGER search_card_words_insert AFTER INSERT ON search_card BEGIN "
    "INSERT INTO search_words(rowid, words) VALUES (new.listing_id, new.words); END",
    "CREATE TRIGGER search_card_words_delete AFTER DELETE ON search_card BEGIN "
    "INSERT INTO search_words(search_words, rowid, words) VALUES ('delete', old.listing_id, old.words); END",
    "CREATE TRIGGER search_card_words_update AFTER UPDATE ON search_card BEGIN "
    "INSERT INTO search_words(search_words, rowid, words) VALUES ('delete', old.listing_id, old.words); "
    "INSERT INTO search_words(rowid, words) VALUES (new.listing_id, new.words); END",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_search_card_words ON search_card USING gin (lower(words) gin_trgm_ops)",
]


def upgrade():
    op.add_column('search_card', sa.Column('words', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    statements = {"sqlite": SQLITE, "postgresql": POSTGRESQL}.get(connection.dialect.name, [])
    try:
        with connection.begin_nested():  # a savepoint: without the index, the migration goes on
            for statement in statements:
                connection.exec_driver_sql(statement)
    except sa.exc.DBAPIError as error:
        print(f"search words: no trigram index ({error.orig}); searches for words will scan search_card.words")
    # The rebuild that was here is in d2f6b8a4c0e7 (search text), the last migration that changes what
    # search_index writes: today's code writes today's tables, which a database here does not have yet.


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for name in ("search_card_words_insert", "search_card_words_delete", "search_card_words_update"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql("DROP TABLE IF EXISTS search_words")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_search_card_words")
    with op.batch_alter_table('search_card') as batch:
        batch.drop_column('words')
