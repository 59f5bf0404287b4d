"""``flask --app wsgi checkin …``: ticket keys; and ``bookings close-day`` (no-shows, lapses, reserves)."""
from __future__ import annotations

import time
from datetime import timedelta

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.bookings import services as booking_services
from app.bookings.cli import bookings_cli
from app.checkin import keys, services
from app.core.cli import CliError, CliGroup
from app.core.time import local_today, utcnow
from app.extensions import db
from app.notifications.services import after_commit_delivery

checkin_cli = CliGroup("checkin", help="Ticket signing keys and check-in jobs.")


KEY_STATUS_LABELS = {"active": _l("active"), "retired": _l("retired"), "revoked": _l("revoked")}


def _describe(key: keys.KeyInfo) -> str:
    status = str(KEY_STATUS_LABELS.get(key.status, key.status))
    if key.not_after:
        return _("%(kid)s  %(status)s, created %(created)s UTC, codes valid until %(until)s UTC",
                 kid=key.kid, status=status, created=f"{key.created_at:%Y-%m-%d %H:%M}",
                 until=f"{key.not_after:%Y-%m-%d %H:%M}")
    return _("%(kid)s  %(status)s, created %(created)s UTC", kid=key.kid, status=status,
             created=f"{key.created_at:%Y-%m-%d %H:%M}")


@checkin_cli.command("list-keys")
def list_keys_command() -> None:
    """Show every ticket key: active, retired or revoked."""
    found = sorted(keys.rows(fresh=True).values(), key=lambda k: k.created_at)
    for key in found:
        click.echo(_describe(key))
    if not found:
        click.echo(_("No ticket keys yet: the first ticket shown makes one."))


@checkin_cli.command("rotate-key")
def rotate_key_command() -> None:
    """Make a new signing key active; codes signed by the old one stay valid until their slots pass."""
    try:
        key = keys.rotate()
    except keys.TicketKeyUnavailable as problem:
        raise CliError(_("No new ticket key was made: %(problem)s", problem=str(problem))) from None
    click.echo(_("New active ticket key: %(key)s", key=_describe(key)))


@checkin_cli.command("revoke-key")
@click.argument("kid")
def revoke_key_command(kid: str) -> None:
    """Refuse every code signed with KID from now on (revoked_key at the gate)."""
    key = keys.revoke(kid.strip().lower())
    if key is None:
        raise CliError(_("No ticket key %(kid)s. See `flask checkin list-keys`.", kid=kid))
    click.echo(_("Revoked: %(key)s", key=_describe(key)))
    # Each worker reads the keys at most every keys.CACHE_SECONDS: one elsewhere may still sign with it.
    click.echo(_("Every worker stops accepting it, and signing with it, within %(seconds)d seconds; a ticket "
                 "shown meanwhile is refused at the gate and shows a new code once its page is reloaded.",
                 seconds=keys.CACHE_SECONDS))


@checkin_cli.command("bench-verify")
@click.option("--count", default=20000, show_default=True, help="Verifications to time.")
def bench_verify_command(count: int) -> None:
    """Time ticket signature verification on one core (the bar is 5,000 a second)."""
    cpu_rate, wall_rate = verifications_per_second(count)
    click.echo(_("%(cpu)s ticket verifications per CPU-second on one core (%(wall)s per wall-clock second; "
                 "%(count)d verifications; bar: 5,000)",
                 cpu=f"{cpu_rate:,.0f}", wall=f"{wall_rate:,.0f}", count=count))


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
    """Mark confirmed bookings of the day's ended slots that never checked in as no-shows; let
    every class visit request nobody decided before its visit started lapse (whatever the date),
    telling its teacher; and give places of partner reserves released since to waiting lists."""
    day = day.date() if day is not None else local_today() - timedelta(days=1)
    now = utcnow()
    lapsed = booking_services.lapse_undecided_requests(now)
    promoted = booking_services.promote_released_waitlists(now)
    marked = services.mark_no_shows(day, now=now)
    db.session.commit()
    after_commit_delivery()  # the teachers' messages; the delivery job sends any beyond its batch
    if lapsed:  # rare: said only when it happened, before the day's one-line summary
        click.echo(ngettext("%(num)d class visit request not approved in time has lapsed; its teacher is told.",
                            "%(num)d class visit requests not approved in time have lapsed; their teachers are "
                            "told.", lapsed))
    if promoted:
        click.echo(ngettext("%(num)d booking on a waiting list was confirmed, as places held for partner schools "
                            "were released; its booker is told.",
                            "%(num)d bookings on waiting lists were confirmed, as places held for partner schools "
                            "were released; their bookers are told.", promoted))
    click.echo(ngettext("%(num)d booking marked as no-show for %(day)s.",
                        "%(num)d bookings marked as no-shows for %(day)s.", marked, day=day.isoformat()))
