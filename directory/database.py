"""Database wiring that is not a model: SQLite pragmas, what Alembic's comparisons leave out, and the
driver-level reads every search makes."""
from __future__ import annotations

import sqlite3
from typing import Iterator, Sequence

from flask import g
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .extensions import db


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite leaves foreign keys off by default; WAL lets readers run beside a
    writer (several gunicorn workers), and the busy timeout makes a writer wait
    for a lock instead of failing at once."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Made by migration d2f6b8a4c0e7 in each database's own terms, so no model describes them: the FTS5 table
# over search_text.words (SQLite makes its shadow tables search_words_data, _idx, ...) and PostgreSQL's
# trigram index over the same words.
_OUTSIDE_THE_MODELS = ("search_words", "ix_search_text_words")


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """Alembic's include_name: whether autogenerate (and the test that models match migrations) compares it."""
    return not (type_ in ("table", "index") and name and name.startswith(_OUTSIDE_THE_MODELS))


# -- search's reads: one connection a request, read on the driver's own connection ---------------

def read_connection() -> Connection:
    """The connection this app context's searches read on, for the whole context: the session's, if
    something here has already used the session (its writes then count), else a plain pooled
    connection of the engine, closed as the context ends (close_read_connection).

    A search only reads, and the session's machinery (its transaction, identity map and removal)
    cost four times what a pooled connection does: about 30 µs of an API search (bench/README.md,
    eighth round).
    """
    if db.session.registry.has():
        return db.session.connection()
    connection = g.get("_read_connection")
    if connection is None:
        connection = g._read_connection = db.engine.connect()
    return connection


def close_read_connection(_error=None) -> None:
    """Teardown: give read_connection's engine connection back to the pool (rolling back its reads)."""
    connection = g.pop("_read_connection", None)
    if connection is not None:
        connection.close()


def driver_rows(connection: Connection, sql: str, params: Sequence = ()) -> list[tuple]:
    """The rows of one plain SELECT, run on `connection`'s DBAPI connection, in its transaction.

    Only for the few fixed statements every search runs (its state, its page's cards): for those,
    SQLAlchemy's execution (compiled-cache lookup, expanding IN, result metadata) cost four to five
    times what the database spent (0.9 ms of an API search on SQLite, now 0.35; bench/README.md,
    seventh round). `sql` marks parameters with `?` (and holds no other `?` or `%`); on PostgreSQL (psycopg) they
    become `%s`.
    """
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return connection.connection.driver_connection.execute(sql, params).fetchall()


def any_of(connection: Connection, column: str, values: Sequence[int]) -> tuple[str, list]:
    """SQL and parameters for "`column` is one of these integers", for driver_rows: one parameter on
    PostgreSQL (an array), one each on SQLite (which has no arrays)."""
    if connection.dialect.name == "postgresql":
        # An array's text, which the server parses: psycopg's own dumping of a list of 10,000 ids took 9 ms.
        return f"{column} = ANY(?::bigint[])", ["{" + ",".join(map(str, values)) + "}"]
    return f"{column} IN ({','.join('?' * len(values))})", list(values)


def driver_batches(connection: Connection, stmt, size: int) -> Iterator[list[tuple]]:
    """The rows of a SELECT as the driver gives them, `size` at a time, streamed (a server-side cursor on
    PostgreSQL), in `connection`'s transaction.

    For loading every search entry into memory (place_index.py): through SQLAlchemy's rows and type
    processing, a million entries took three to four times as long. `stmt` is compiled with its
    parameters written in, so it may only hold numbers (ids) as parameters.
    """
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    cursor = driver.cursor(name="driver_batches") if connection.dialect.name == "postgresql" else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()
