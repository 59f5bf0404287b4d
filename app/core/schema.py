"""Whether the database holds this release's migrations: checked once when a production worker
starts, and by a command that failed on the database (app/core/cli.py), never per request."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from flask import Flask

from config import CannotStart

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"


def missing_migrations(engine: sa.Engine) -> list[str]:
    """This release's migration heads that the database has not reached; none when it is at them or
    past them. A revision this code does not know is a later release's: during a rolling release the
    old workers keep serving the newer schema (migrations keep the old code working). Raises
    SQLAlchemy's error when the database cannot be reached."""
    script = ScriptDirectory(str(MIGRATIONS))
    with engine.connect() as connection:
        current = (connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
                   if sa.inspect(connection).has_table("alembic_version") else [])
    reached: set[str] = set()
    for revision in current:
        try:
            reached.update(step.revision for step in script.iterate_revisions(revision, "base"))
        except RevisionError:
            return []
    return [head for head in script.get_heads() if head not in reached]


def reason(error: sa.exc.DBAPIError) -> str:
    """The first line of the database driver's own message (psycopg adds hints on further lines)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def require_migrated_schema(app: Flask) -> None:
    """Refuse to start on a database that lacks this release's migrations: every page reading a new
    table or column would fail, while /healthz (which reads none) said all was well. A database
    that cannot be reached now is not refused: it may be back in a moment, and /healthz says 503."""
    from app.extensions import db

    with app.app_context():
        try:
            missing = missing_migrations(db.engine)
        except sa.exc.DBAPIError as error:
            app.logger.warning("The database schema was not checked at start: %s", reason(error))
            return
        if missing:
            db.engine.dispose()
            raise CannotStart(f"The database lacks this release's migrations (up to {', '.join(missing)}): "
                              "run `flask --app wsgi db upgrade` first.")
