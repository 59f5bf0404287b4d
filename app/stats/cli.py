"""``flask --app wsgi stats …``: recompute the rollups from the raw check-ins, slots and bookings."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from app.core.time import utcnow
from app.extensions import db
from app.stats import rebuild as rebuilding

stats_cli = AppGroup("stats", help="Statistics rollups.")


@stats_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every rollup from the raw check-ins, slots and bookings (month by month)."""
    started, clock = utcnow(), time.monotonic()
    months = rebuilding.months_to_rebuild()
    totals = rebuilding.Counts()
    rebuilding.clear_outside(months)
    with click.progressbar(months, label="Rebuilding statistics",
                           item_show_func=lambda m: m[0].strftime("%Y-%m") if m else None) as bar:
        for first, last in bar:
            totals.add(rebuilding.rebuild_days(first, last))
            db.session.commit()  # month by month: gates keep admitting while a big rebuild runs
    rebuilding.finish("rebuild", started, totals)
    db.session.commit()
    click.echo(f"Statistics rebuilt: {totals.attendance} venue-days of attendance, {totals.supply} venue-days "
               f"of supply over {len(months)} months in {time.monotonic() - clock:.1f} s.")


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
    click.echo(f"Statistics refreshed from {first:%Y-%m-%d} through {last:%Y-%m-%d}: {counts.attendance} "
               f"venue-days of attendance, {counts.supply} of supply in {time.monotonic() - clock:.1f} s.")
