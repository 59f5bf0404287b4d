"""``flask --app wsgi stats …``: recompute the rollups from the raw check-ins, slots and bookings."""
from __future__ import annotations

import time

import click
from flask_babel import gettext as _

from app.core.cli import CliGroup
from app.core.time import utcnow
from app.extensions import db
from app.stats import rebuild as rebuilding

stats_cli = CliGroup("stats", help="Statistics rollups.")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the raw check-ins, slots and bookings (month by month)."""
    started, clock = utcnow(), time.monotonic()
    previous = rebuilding.settled_through()
    months = rebuilding.months_to_rebuild()
    totals = rebuilding.Counts()
    rebuilding.clear_outside(months)
    with click.progressbar(months, label=_("Rebuilding statistics"),
                           item_show_func=lambda m: m[0].strftime("%Y-%m") if m else None) as bar:
        for first, last in bar:
            totals.add(rebuilding.rebuild_days(first, last))
            db.session.commit()  # month by month: gates keep admitting while a big rebuild runs
    rebuilding.resum_months_settled_since(previous)
    rebuilding.finish("rebuild", started, totals)
    db.session.commit()
    click.echo(_("Statistics rebuilt: %(attendance)d venue-days of attendance, %(supply)d venue-days of supply "
                 "over %(months)d months in %(seconds).1f s.", attendance=totals.attendance, supply=totals.supply,
                 months=len(months), seconds=time.monotonic() - clock))


@stats_cli.command("refresh")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 366),
              help="Recent days to recompute (run it nightly, after `bookings close-day`).")
def refresh_command(days: int) -> None:
    """Settle the last few days: supply (slots, bookings, no-shows) and attendance, recomputed."""
    started, clock = utcnow(), time.monotonic()
    first, last = rebuilding.refresh_range(days)
    counts = rebuilding.rebuild_days(first, last)
    rebuilding.finish("refresh", started, counts)
    db.session.commit()
    click.echo(_("Statistics refreshed from %(first)s through %(last)s: %(attendance)d venue-days of attendance, "
                 "%(supply)d of supply in %(seconds).1f s.", first=first.isoformat(), last=last.isoformat(),
                 attendance=counts.attendance, supply=counts.supply, seconds=time.monotonic() - clock))
