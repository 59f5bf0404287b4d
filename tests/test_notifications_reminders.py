"""``flask bookings remind`` sends each confirmed booking of the day one reminder, however often it runs."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.bookings import services as booking_services
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _reminders() -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "booking_reminder").order_by(OutboxMessage.id)))


def _remind(app, *args):
    result = app.test_cli_runner().invoke(args=["bookings", "remind", *args], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result


def test_the_reminder_command_reminds_every_confirmed_booking_of_tomorrow(app):
    slot = factories.slot(days_ahead=1)
    bookings = [factories.booked_visit(slot, factories.user("citizen")) for _ in range(2)]

    result = _remind(app)

    assert "2 reminders queued" in result.output
    reminders = _reminders()
    assert sorted(m.booking_id for m in reminders) == sorted(b.id for b in bookings)
    assert all(m.attachment and "BEGIN:VEVENT" in m.attachment for m in reminders)
    assert all(m.sent_at is not None for m in reminders)


def test_running_the_reminder_command_twice_reminds_once(app):
    slot = factories.slot(days_ahead=1)
    factories.booked_visit(slot, factories.user("citizen"))

    _remind(app)
    second = _remind(app)

    assert "0 reminders queued" in second.output
    assert len(_reminders()) == 1


def test_a_booking_made_after_the_first_run_is_reminded_by_the_next(app):
    slot = factories.slot(days_ahead=1)
    factories.booked_visit(slot, factories.user("citizen"))
    _remind(app)

    factories.booked_visit(slot, factories.user("citizen"))
    _remind(app)

    assert len(_reminders()) == 2


def test_pending_cancelled_and_other_days_bookings_get_no_reminder(app):
    tomorrow = factories.slot(days_ahead=1)
    citizen = factories.user("citizen")
    cancelled = factories.booked_visit(factories.slot(days_ahead=1), citizen)
    factories.booked_visit(factories.slot(days_ahead=3), factories.user("citizen"))
    pending = factories.booked_visit(factories.slot(audience="school", days_ahead=1), factories.user("teacher"))
    reminded = factories.booked_visit(tomorrow, factories.user("citizen"))
    _cancel_without_cutoff(cancelled)

    _remind(app)

    assert [m.booking_id for m in _reminders()] == [reminded.id]
    assert pending.status.value == "pending"


def _cancel_without_cutoff(booking) -> None:
    # The cutoff (24 h) has passed for tomorrow's slot, so end the booking as a venue would.
    from app.bookings.models import BookingStatus
    from app.core.time import utcnow

    booking_services.end_booking(booking, BookingStatus.CANCELLED, reason="test", now=utcnow())
    db.session.commit()


def test_the_reminder_command_takes_a_date(app):
    later = factories.slot(days_ahead=5)
    booking = factories.booked_visit(later, factories.user("citizen"))
    factories.booked_visit(factories.slot(days_ahead=1), factories.user("citizen"))

    result = _remind(app, "--date", (local_today() + timedelta(days=5)).isoformat())

    assert "1 reminder queued" in result.output
    assert [m.booking_id for m in _reminders()] == [booking.id]


def test_a_bad_date_is_refused_by_the_command(app):
    result = app.test_cli_runner().invoke(args=["bookings", "remind", "--date", "tomorrow"])

    assert result.exit_code != 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_database_refuses_a_second_reminder_for_a_booking(app):
    booking = factories.booked_visit(factories.slot(days_ahead=1), factories.user("citizen"))
    row = dict(kind="booking_reminder", recipient="a@example.com", subject="s", body="b", booking_id=booking.id)
    db.session.add(OutboxMessage(**row))
    db.session.commit()

    db.session.add(OutboxMessage(**row))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
