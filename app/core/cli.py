"""Command-line plumbing: every ``flask --app wsgi …`` command answers in the operator's language.

The language comes from the locale environment, as every Unix program reads it (``LC_ALL``, then
``LC_MESSAGES``, then ``LANG``): ``zh_CN.UTF-8`` → Chinese, ``en_US.UTF-8`` → English; unset,
``C``, ``POSIX`` or a language the site does not speak → the site's default (Chinese). Only the
commands are switched: services run elsewhere keep the app's default language.

A database that cannot be reached, or lacks this release's migrations, is one line saying so (and
exit 1) for every command, not a traceback; Flask-Migrate's ``db`` commands say the first too
(``DatabaseCommands``).
"""
from __future__ import annotations

import functools
import os

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo, with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from app.core import schema
from app.extensions import db

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def operator_language() -> str:
    """The site language matching the operator's locale (needs the app context)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            # The first one set decides, as POSIX says: LC_ALL=C means C even when LANG is en_US.
            language = value.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            return language if language in current_app.config["LANGUAGES"] else default
    return default


def in_operator_language(command):
    """Run a command callback (inside the app context) in the operator's language; a database
    error that is the database's state, not the command's, ends it with one line."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        with force_locale(operator_language()):
            try:
                return command(*args, **kwargs)
            except sa.exc.DBAPIError:
                problem = _database_problem()
                if problem is None:
                    raise
                raise problem from None
    return run


def _database_problem() -> CliError | None:
    """Why the database failed the command: unreachable, or without this release's migrations; None
    when it is neither (a fault of the command's own, whose traceback is wanted)."""
    try:
        missing = schema.missing_migrations(db.engine)
    except sa.exc.DBAPIError as error:
        return _unreachable(error)
    if missing:
        return CliError(_("The database lacks this release's migrations: run `flask --app wsgi db upgrade` "
                          "first."))
    return None


def _unreachable(error: sa.exc.DBAPIError) -> CliError:
    return CliError(_("Database unreachable at %(database)s: %(problem)s",
                      database=database_location(db.engine.url), problem=schema.reason(error)))


def database_location(url: sa.URL) -> str:
    """The database's address for an operator's message: driver, user, host, port and name, without the
    password (nor the query string, where libpq also takes one)."""
    return sa.URL.create(url.drivername, username=url.username, host=url.host, port=url.port,
                         database=url.database).render_as_string(hide_password=False)


class DatabaseCommands(click.Group):
    """Flask-Migrate's ``db`` group as it is, but for a database that cannot be reached: one line naming
    it, exit 1. The commands that need no database (``heads``, ``history``, ``--sql``) run as before,
    and a migration's own failure on a reachable database keeps its traceback.

    A new group around the same commands, callback and options: Flask-Migrate's group is one object
    shared by every app of the process, so it is not changed."""

    def __init__(self, group: click.Group) -> None:
        super().__init__(name=group.name, commands=group.commands, callback=group.callback, params=group.params,
                         help=group.help, short_help=group.short_help, epilog=group.epilog,
                         context_settings=group.context_settings, no_args_is_help=group.no_args_is_help,
                         invoke_without_command=group.invoke_without_command, hidden=group.hidden)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except sa.exc.DBAPIError:
            app = ctx.ensure_object(ScriptInfo).load_app()
            with app.app_context(), force_locale(operator_language()):
                try:
                    with db.engine.connect():
                        pass
                except sa.exc.DBAPIError as error:
                    raise _unreachable(error) from None
            raise


def one_line_database_errors(app: Flask) -> None:
    """Put ``DatabaseCommands`` in place of the app's ``db`` group (after Flask-Migrate's init_app)."""
    group = app.cli.commands.get("db")
    if isinstance(group, click.Group) and not isinstance(group, DatabaseCommands):
        app.cli.add_command(DatabaseCommands(group))


class CliGroup(AppGroup):
    """An ``AppGroup`` whose commands run in the app context and in the operator's language."""

    def command(self, *args, **kwargs):
        if not kwargs.pop("with_appcontext", True):
            return super().command(*args, with_appcontext=False, **kwargs)

        def decorator(callback):
            return click.Group.command(self, *args, **kwargs)(with_appcontext(in_operator_language(callback)))
        return decorator


class CliError(click.ClickException):
    """A command's refusal, "Error:" included, in the operator's language.

    Click prints an exception after the command's app context has closed, so the line is put
    together here, while the command's language is still in force."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.line = _("Error: %(message)s", message=self.message)

    def show(self, file=None) -> None:
        click.echo(self.line, file=file, err=file is None)
