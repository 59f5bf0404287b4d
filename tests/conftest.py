"""Test plumbing: a real database (SQLite file, or PostgreSQL from ``TEST_DATABASE_URL``) built by
the migrations once per run, emptied after each test; the app, a client, and login helpers.

On PostgreSQL each run gets its own schema, so parallel runs never see each other's rows.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g

from app import create_app
from app.extensions import db
from config import TestConfig

# Reference rows that the migrations load and no test changes.
KEEP_TABLES = {"alembic_version", "districts"}


def _database_url(tmp_root: Path) -> tuple[str, str | None]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_root / 'test.db'}", None
    schema = f"t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str | None) -> None:
    """Drop a PostgreSQL schema ``_database_url`` made (nothing for SQLite)."""
    if schema:
        engine = sa.create_engine(os.environ["TEST_DATABASE_URL"])
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def pytest_addoption(parser):
    parser.addoption(
        "--local-time", metavar="HH:MM[:SS]",
        help="run as if it were this time of day in Nanjing today, the clock then running on (e.g. "
             "00:00:30): finds tests and rules that assume a visit and its check-in share a date")


def pytest_configure(config):
    wall = config.getoption("--local-time")
    if wall:
        # Only this process's clock moves: the PostgreSQL server and subprocesses keep the real one,
        # which the app never asks (every timestamp is taken in Python).
        import time_machine

        from app.core.time import LOCAL_TZ, local_today

        moment = datetime.combine(local_today(), time.fromisoformat(wall), LOCAL_TZ)
        time_machine.travel(moment, tick=True).start()


@pytest.fixture(autouse=True)
def _limiter_believes_its_store_alive():
    """One Limiter per process serves every app a test makes (``app/extensions.py``). After a test
    whose rate-limit store was unreachable it believes its store dead and looks again only after a
    back-off (1, 2, 4… s), so a later test's first requests would go uncounted, or not, depending on
    how fast the tests between ran. A real worker has one app: the flag is only carried over here."""
    from app.extensions import limiter

    limiter._storage_dead = False


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogs():
    """`make test` compiles the catalogs; a bare `pytest` must not silently fall back to English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).resolve().parent.parent / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as source, open(mo, "wb") as compiled:
                write_mo(compiled, read_po(source))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url, schema = _database_url(tmp_path_factory.mktemp("db"))
    yield url
    _drop_schema(schema)


@pytest.fixture
def empty_database(tmp_path):
    """A database with nothing in it, not even the migrations: a new SQLite file, or a new PostgreSQL
    schema dropped afterwards."""
    url, schema = _database_url(tmp_path)
    yield url
    _drop_schema(schema)


def make_config(database_url: str, **overrides) -> type:
    return type("RunConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture(scope="session")
def _migrated(database_url):
    """Build the schema with the migrations, as production does."""
    from flask_migrate import upgrade

    app = create_app(make_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


def _fresh_g() -> None:
    # The test body holds an app context, so Flask reuses it (and its ``g``) for every request
    # the test client makes. Production starts each request with an empty ``g``; so do tests,
    # or a user loaded by one request (Flask-Login caches it in ``g``) would leak into the next.
    for name in list(g):
        g.pop(name)


@pytest.fixture
def app(database_url, _migrated):
    app = create_app(make_config(database_url))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


def limited_app_with(database_url: str, **overrides):
    """An app with rate limits on (the tests' configuration turns them off), ``overrides`` choosing
    where they are counted."""
    app = create_app(make_config(database_url, **{"RATELIMIT_ENABLED": True, **overrides}))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return app


@pytest.fixture
def limited_app(database_url, _migrated):
    """The app with rate limits on, counted in this process's memory."""
    app = limited_app_with(database_url, RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis of ``TEST_REDIS_URL``; a test that needs it is skipped, saying why, on a machine
    without one (CI starts one)."""
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {TEST_REDIS_URL} (set TEST_REDIS_URL): {error}")
    return TEST_REDIS_URL


def _empty_tables() -> None:
    """Delete every row a test made, dependants first, and start the ids at 1 again.

    On PostgreSQL only the tables holding rows are emptied (one query finds them), and with DELETE:
    a TRUNCATE of every table gives each table and index a new file, which cost 70 ms a test, several
    minutes of every run. SQLite reuses ids once a table is empty; PostgreSQL's sequences are reset.
    """
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            holding = set(conn.execute(sa.text(" UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables))).scalars())
            tables = [t for t in tables if t.name in holding]
            conn.execute(sa.text("SELECT setval(oid, 1, false) FROM pg_class "
                                 "WHERE relkind = 'S' AND relnamespace = current_schema()::regnamespace"))
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def scenario(app):
    """The statistics scenario of ``factories.stats_scenario``, rolled up as the gate and the nightly
    job leave it (a test file may define its own ``scenario`` on top)."""
    from app.stats import rebuild
    from tests import factories

    built = factories.stats_scenario()
    rebuild.rebuild_all()
    db.session.commit()
    return built


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def is_postgres(app) -> bool:
    return db.engine.dialect.name == "postgresql"


class Auth:
    """Signs a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = "password123"):
        response = self.client.post("/login", data={"email": email, "password": password})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)
