"""``flask --app wsgi bookings …``: the booking jobs cron runs."""
from __future__ import annotations

from datetime import date, timedelta

import click
from flask_babel import ngettext
from sqlalchemy import exc, select

from app.bookings import notify, partnerships
from app.bookings.models import Booking, BookingStatus
from app.core.cli import CliGroup
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import deliver_pending
from app.scheduling.models import Slot, SlotStatus
from app.venues import services as venues

bookings_cli = CliGroup("bookings", help="Booking jobs (reminders).")

REMINDER_KIND = "booking_reminder"


def bookings_to_remind(day: date) -> list[Booking]:
    """Confirmed bookings for visits on ``day`` (local date) that have not had their reminder."""
    reminded = select(OutboxMessage.booking_id).where(OutboxMessage.kind == REMINDER_KIND,
                                                      OutboxMessage.booking_id.isnot(None))
    return list(db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Slot.local_date == day, Slot.status == SlotStatus.OPEN,
               Booking.status == BookingStatus.CONFIRMED, Booking.user_id.isnot(None),
               Booking.id.not_in(reminded))
        .order_by(Booking.id)))


def queue_reminders(day: date) -> int:
    """Queue one reminder per confirmed booking on ``day``; a booking reminded before is skipped.

    The outbox's unique index on reminders makes this exactly once even when two runs overlap:
    the second one's insert fails inside its savepoint and that booking is skipped.
    """
    queued = 0
    for booking in bookings_to_remind(day):
        try:
            with db.session.begin_nested():
                if notify.booking_event(booking, "reminder") is not None:
                    db.session.flush()
                    queued += 1
        except exc.IntegrityError:
            continue
    return queued


@bookings_cli.command("remind")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Visits on this local date (YYYY-MM-DD); tomorrow if not given.")
def remind_command(day) -> None:
    """Email a reminder, with the calendar entry, to every booker visiting on the day; and warn venues
    of cooperation agreements ending within 30 days and of accreditations ending within 60 days (from
    today, whatever --date says)."""
    day = day.date() if day is not None else local_today() + timedelta(days=1)
    queued = queue_reminders(day)
    warned = partnerships.warn_of_ending_agreements(local_today())
    expiring = venues.warn_of_expiring_accreditations(local_today())
    db.session.commit()
    sent = deliver_pending(limit=max(100, queued + warned + expiring)).sent  # failures: the delivery job retries them
    if warned:  # rare: said only when it happened, before the one-line summary
        click.echo(ngettext("%(num)d cooperation agreement ends within 30 days; its venue is told.",
                            "%(num)d cooperation agreements end within 30 days; their venues are told.", warned))
    if expiring:
        click.echo(ngettext("%(num)d accreditation ends within 60 days; its venue is told.",
                            "%(num)d accreditations end within 60 days; their venues are told.", expiring))
    click.echo(ngettext("%(num)d reminder queued for visits on %(day)s; %(sent)s.",
                        "%(num)d reminders queued for visits on %(day)s; %(sent)s.", queued,
                        day=day.isoformat(), sent=ngettext("%(num)d message sent", "%(num)d messages sent", sent)))
