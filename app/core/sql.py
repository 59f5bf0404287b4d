"""Small SQL pieces that SQLite and PostgreSQL spell differently."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from app.extensions import db


class minutes_between(FunctionElement):
    """Whole minutes from ``start`` to ``end`` (two timestamp expressions)."""

    type = sa.Integer()
    inherit_cache = True
    name = "minutes_between"


@compiles(minutes_between)
def _minutes_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"CAST(ROUND((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
            f" * 1440) AS INTEGER)")


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"CAST(ROUND(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"
            f" / 60) AS INTEGER)")


class milliseconds_between(FunctionElement):
    """Milliseconds from ``start`` to ``end`` (two timestamp expressions): exact to the millisecond on
    both databases, for deciding which side of a moment a time falls (SQLite's ``julianday`` keeps
    milliseconds)."""

    type = sa.BigInteger()
    inherit_cache = True
    name = "milliseconds_between"


@compiles(milliseconds_between)
def _milliseconds_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"CAST(ROUND((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"
            f" * 86400000) AS INTEGER)")


@compiles(milliseconds_between, "postgresql")
def _milliseconds_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return (f"CAST(ROUND(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)}))"
            f" * 1000) AS BIGINT)")


def placeholder(name: str) -> sa.ColumnElement:
    """A parameter left as ``:name`` in the SQL text that ``constants_inline`` makes."""
    return sa.literal_column(f":{name}")


def constants_inline(statement, dialect, *parameters: sa.BindParameter) -> sa.TextClause:
    """``statement`` as SQL text with its constants (0s, 1s, kinds, statuses) written in, and only its
    ``placeholder``s bound, as ``parameters`` (which carry their types).

    For statements built once per process and run often. Bound, the constants of a big statement are
    hundreds of parameters: psycopg re-parses a statement on every execution when it is over 4 KB or
    50 parameters, and PostgreSQL plans it anew for each set of values.

    Only the code's own constants may be written in: anything from a request stays a placeholder."""
    text = sa.text(str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))
    return text.bindparams(*parameters)


def upsert(table):
    """The dialect's ``INSERT`` that has ``on_conflict_do_update`` (SQLite ≥ 3.24, PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
