"""``flask --app wsgi checkin …``: ticket keys; and ``bookings close-day`` (no-shows)."""
from __future__ import annotations

import time
from datetime import timedelta

import click
from flask.cli import AppGroup

from app.bookings.cli import bookings_cli
from app.checkin import keys, services
from app.core.time import local_today, utcnow
from app.extensions import db

checkin_cli = AppGroup("checkin", help="Ticket signing keys and check-in jobs.")


def _describe(key: keys.KeyInfo) -> str:
    valid = f", codes valid until {key.not_after:%Y-%m-%d %H:%M} UTC" if key.not_after else ""
    return f"{key.kid}  {key.status:<8} created {key.created_at:%Y-%m-%d %H:%M} UTC{valid}"


@checkin_cli.command("list-keys")
def list_keys_command() -> None:
    """Show every ticket key: active, retired or revoked."""
    found = sorted(keys.rows(fresh=True).values(), key=lambda k: k.created_at)
    for key in found:
        click.echo(_describe(key))
    if not found:
        click.echo("No ticket keys yet: the first ticket shown makes one.")


@checkin_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Make a new signing key active; codes signed by the old one stay valid until their slots pass."""
    try:
        key = keys.rotate()
    except keys.TicketKeyUnavailable as problem:
        raise click.ClickException(str(problem)) from None
    click.echo(f"New active ticket key: {_describe(key)}")


@checkin_cli.command("revoke-key")
@click.argument("kid")
def revoke_key_command(kid: str) -> None:
    """Refuse every code signed with KID from now on (revoked_key at the gate)."""
    key = keys.revoke(kid.strip().lower())
    if key is None:
        raise click.ClickException(f"No ticket key {kid}. See `flask checkin list-keys`.")
    click.echo(f"Revoked: {_describe(key)}")


@checkin_cli.command("bench-verify")
@click.option("--count", default=20000, show_default=True, help="Verifications to time.")
def bench_verify_command(count: int) -> None:
    """Time ticket signature verification on one core (the bar is 5,000 a second)."""
    cpu_rate, wall_rate = verifications_per_second(count)
    click.echo(f"{cpu_rate:,.0f} ticket verifications per CPU-second on one core "
               f"({wall_rate:,.0f} per wall-clock second; {count} verifications; bar: 5,000)")


def verifications_per_second(count: int = 20000) -> tuple[float, float]:
    """Verify one real code ``count`` times, as the gate does (decode, key look-up, Ed25519), in one
    thread: (per second of this process's CPU time, per second of wall-clock time). The first is
    what one core does even when other processes share the machine."""
    from app.checkin import tickets

    kid, private_key = keys.signing_key()
    code = tickets.encode(tickets.Claims(kid=kid, reference="0123456789ABCDEF", venue_id=1,
                                         local_date=local_today(), seats=2, version=1), private_key)
    tickets.verify(code)  # warm the caches, as a running worker has them
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(count):
        tickets.verify(code)
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall)


@bookings_cli.command("close-day")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Visits on this local date (YYYY-MM-DD); yesterday if not given.")
def close_day_command(day) -> None:
    """Mark confirmed bookings of the day's ended slots that never checked in as no-shows."""
    day = day.date() if day is not None else local_today() - timedelta(days=1)
    marked = services.mark_no_shows(day, now=utcnow())
    db.session.commit()
    click.echo(f"{marked} booking{'' if marked == 1 else 's'} marked as no-show{'' if marked == 1 else 's'} "
               f"for {day.isoformat()}.")
