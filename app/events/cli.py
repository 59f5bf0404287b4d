"""``flask --app wsgi events load-themed-days``: load or refresh the themed days."""
from __future__ import annotations

import click
from flask_babel import gettext as _

from app.core.cli import CliError, CliGroup
from app.events.themed_days import THEMED_DAYS_CSV, ThemedDaysFileError, load_themed_days
from app.extensions import db

events_cli = CliGroup("events", help="Themed days and events.")


@events_cli.command("load-themed-days")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=str(THEMED_DAYS_CSV),
              show_default=True, help="The themed-days CSV.")
def load_themed_days_command(path: str) -> None:
    """Add the themed days of the file and the years it lists. Safe to run again: a year already
    stored (perhaps corrected by the city admin) is kept."""
    try:
        result = load_themed_days(path)
    except ThemedDaysFileError as exc:
        db.session.rollback()
        raise CliError(f"{path}: {exc}") from None
    db.session.commit()
    click.echo(_("Themed days loaded: %(result)s.", result=str(result)))
