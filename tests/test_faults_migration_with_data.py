"""Migrations applied to a database that already holds a year of visits: the data survives.

A fresh database (its own SQLite file or PostgreSQL schema: downgrading must not touch the shared
test database) is built to head and loaded with the demo's past year, made through the booking and
check-in services; then the latest migrations are taken back and applied again, as a deployment
that runs them against live data does. Every row of every table the older schema has is still there,
with the same figures.
"""
from __future__ import annotations

import os
import time

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config
from tests.test_migrations import _fresh_database

# The revision before the statistics rollups: downgrading to it drops the newer tables, and upgrading
# back runs those migrations over a database full of bookings and check-ins.
BEFORE = "ee62f098449c"
# A month in CI (about 15 s on an idle machine); the full year takes about two minutes: MIGRATION_HISTORY_DAYS=365.
HISTORY_DAYS = int(os.environ.get("MIGRATION_HISTORY_DAYS", "30"))
FIGURES = {
    "bookings": "select count(*), coalesce(sum(seats), 0), count(distinct status) from bookings",
    "checkins": "select count(*), coalesce(sum(persons), 0) from checkins where result = 'ok'",
    "slots": "select count(*), coalesce(sum(taken), 0), coalesce(sum(capacity), 0) from slots",
}


def _snapshot(tables) -> dict:
    with db.engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f'select count(*) from "{t}"')).scalar() for t in tables}
        figures = {name: tuple(conn.execute(sa.text(sql)).one()) for name, sql in FIGURES.items()}
    return {"counts": counts, "figures": figures}


def test_a_year_of_data_survives_taking_back_and_reapplying_the_latest_migrations(tmp_path):
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url, DEMO_HISTORY_DAYS=HISTORY_DAYS))
    try:
        with app.app_context():
            upgrade()
            started = time.monotonic()
            result = app.test_cli_runner().invoke(args=["seed-demo"])
            assert result.exit_code == 0, result.output
            loaded_in = time.monotonic() - started
            db.session.remove()
            downgrade(revision=BEFORE)
            older_tables = [t for t in sa.inspect(db.engine).get_table_names() if t != "alembic_version"]
            before = _snapshot(older_tables)
            assert before["figures"]["bookings"][0] > 3 * HISTORY_DAYS, (before, loaded_in)
            assert before["figures"]["checkins"][0] > HISTORY_DAYS

            upgrade()
            after = _snapshot(older_tables)
            assert after == before
            # And the app works on it: the newest tables are there and empty, the rest untouched.
            with db.engine.connect() as conn:
                assert conn.execute(sa.text("select version_num from alembic_version")).scalar() != BEFORE
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
