"""The migrations are the schema: they build exactly what the models declare, and run both ways."""
from __future__ import annotations

import os
import uuid

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.extensions import db
from tests.conftest import make_config


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"run `flask db migrate`: the models and migrations differ: {differences}"


def _fresh_database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'roundtrip.db'}", lambda: None
    schema = f"rt_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", drop


def test_migrations_upgrade_downgrade_and_upgrade_again(tmp_path):
    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade()
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {"users", "venues", "schools", "districts"} <= tables
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            count = db.session.execute(sa.text("SELECT count(*) FROM districts")).scalar()
            assert count == 12
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
