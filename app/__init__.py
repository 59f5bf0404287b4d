"""SciVisit: booking and open statistics for Nanjing's science venues."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from config import INSTANCE_DIR, chosen

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | None = None) -> Flask:
    """Build the application. ``config`` is a name from ``config.CONFIGS`` or a class, else
    ``SCIVISIT_CONFIG`` names it. Raises ``config.CannotStart`` for a setting it cannot use and, in
    production, for a database that lacks this release's migrations."""
    config_cls = chosen(config)

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_cls)
    INSTANCE_DIR.mkdir(exist_ok=True)
    from app.core import logging as app_logging

    app_logging.init_app(app)  # before anything logs: JSON or text, with the request id

    from app.core import requests as request_guards

    request_guards.init_url_converters(app)
    from app.core import prefs

    prefs.init_choices(app)  # before the extensions' request hooks, which may refuse a request
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    from app.core.errors import register_error_handlers
    from app.core import templating

    register_error_handlers(app)
    # The language first: a request the guards refuse is still answered in the ``?lang=`` it asked for.
    prefs.init_app(app)
    request_guards.init_app(app)
    templating.init_app(app)

    from app.core import security

    security.init_app(app)
    # Not under `flask --app wsgi …`: `db upgrade` is how the schema gets there, and the other
    # commands say themselves what the database lacks (app/core/cli.py).
    if app.config.get("REQUIRE_MIGRATED_SCHEMA") and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        from app.core.schema import require_migrated_schema

        require_migrated_schema(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app.core.prefs import select_locale
    from app.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(ROOT / "app" / "translations"))
    # Rate-limit counts carry REDIS_KEY_PREFIX, as every key the app writes in Redis does. One Limiter
    # serves every app made in this process (the tests make many), and its init_app would keep the
    # first app's prefix: it is told each app's own.
    app.config["RATELIMIT_KEY_PREFIX"] = app.config["REDIS_KEY_PREFIX"]
    limiter._key_prefix = app.config["RATELIMIT_KEY_PREFIX"]
    limiter.init_app(app)
    login_manager.init_app(app)

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            sa.event.listen(db.engine, "connect", _sqlite_pragmas)
        elif db.engine.dialect.driver == "psycopg":
            from app.core import pg

            sa.event.listen(db.engine, "do_connect", pg.connect)

    from app import models  # noqa: F401  (every model registered with the metadata)

    # Now, while the worker starts, rather than inside its first request: configuring every mapper
    # takes about 0.2 s of CPU, and under a storm that first request waits for it behind others.
    sa.orm.configure_mappers()
    from app.accounts.sign_ins import signed_in_user

    login_manager.user_loader(signed_in_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers and one writer work at once; the busy timeout makes writers wait
    # for each other instead of failing; foreign keys are off in SQLite unless asked for.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.api import bp as api_bp
    from app.bookings.views import bp as bookings_bp
    from app.calendars.views import bp as calendars_bp
    from app.checkin.views import bp as checkin_bp
    from app.events.views import bp as events_bp
    from app.main.views import bp as main_bp
    from app.scheduling.views import bp as scheduling_bp
    from app.schools.views import bp as schools_bp
    from app.venues.views import bp as venues_bp

    for blueprint in (main_bp, accounts_bp, schools_bp, venues_bp, bookings_bp, scheduling_bp, api_bp,
                      calendars_bp, events_bp, checkin_bp):
        app.register_blueprint(blueprint)

    from app.stats.opendata_views import bp as opendata_bp
    from app.stats.report_views import bp as reports_bp
    from app.stats.views import bp as stats_bp

    for blueprint in (stats_bp, opendata_bp, reports_bp):
        app.register_blueprint(blueprint)

    from app.privacy.views import bp as privacy_bp

    app.register_blueprint(privacy_bp)

    from app.notifications.views import bp as notifications_bp

    app.register_blueprint(notifications_bp)


def _register_cli(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.demo.cli import seed_demo_command
    from app.bookings.cli import bookings_cli
    from app.checkin.cli import checkin_cli  # also adds `bookings close-day`
    from app.events.cli import events_cli
    from app.notifications.cli import notifications_cli
    from app.stats.cli import stats_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(bookings_cli)
    app.cli.add_command(checkin_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(stats_cli)

    from app.privacy.cli import privacy_cli

    app.cli.add_command(privacy_cli)

    from app.core.cli import one_line_database_errors

    one_line_database_errors(app)  # Flask-Migrate's `db`, on a database that is away: one line
