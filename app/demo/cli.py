"""``flask --app wsgi seed-demo``: load the demo (real Nanjing venues, demo schools and accounts)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.cli import CliError, in_operator_language
from app.core.errors import DomainError
from app.demo import seed
from app.extensions import db


STEP_LABELS = {
    "administrators": _l("administrators"),
    "venues": _l("venues"),
    "schools": _l("schools"),
    "accounts": _l("accounts"),
    "themed days": _l("themed days"),
    "next 30 days of slots": _l("next 30 days of slots"),
    "themed events": _l("themed events"),
    "past year of visits": _l("past year of visits"),
}


def _step_label(name: str) -> str:
    return str(STEP_LABELS.get(name, name))


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any venue exists already (used by make run).")
@with_appcontext
@in_operator_language
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo data. Safe to run again: what is there already is left as it is."""
    if not current_app.config.get("SEED_DEMO"):
        raise CliError(_("Demo data is disabled in this configuration (SEED_DEMO is off): production never "
                         "seeds demo accounts."))
    if if_empty and seed.has_venues():
        click.echo(_("Venues exist already: the demo was not loaded (--if-empty)."))
        return
    run = seed.SeedRun()
    try:
        with click.progressbar(seed.plan(), label=_("Loading the demo"),
                               item_show_func=lambda work: _step_label(work[0].name) if work else None) as bar:
            for step, unit in bar:
                step.load(run, unit)
        db.session.commit()
    except (seed.SeedError, DomainError) as exc:
        # All or nothing: a half-loaded demo would not be idempotent to repair.
        db.session.rollback()
        raise CliError(_("The demo could not be loaded: %(problem)s", problem=getattr(exc, "code", exc))) from None
    click.echo(seed.summary(run))
