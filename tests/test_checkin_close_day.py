"""`flask bookings close-day`: confirmed bookings of past slots that never checked in become no-shows."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.bookings import services as booking_services
from app.bookings.models import Booking, BookingStatus
from app.checkin import services, tickets
from app.core.errors import DomainError
from app.core.time import local_today
from app.extensions import db
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _status(booking_id: int) -> BookingStatus:
    db.session.expire_all()
    return db.session.get(Booking, booking_id).status


def _past_slot(venue=None, days_ago: int = 1):
    return factories.slot_at(venue, starts_in=-timedelta(days=days_ago, hours=3))


def test_close_day_marks_yesterdays_missed_visits_as_no_shows(app):
    slot = _past_slot()
    missed = factories.confirmed_visit(slot)
    came = factories.confirmed_visit(slot)
    staff = factories.user("venue_staff", venue=slot.venue)
    services.record_check_in(staff, tickets.code_for_booking(came), now=slot.starts_at)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["bookings", "close-day", "--date", slot.local_date.isoformat()],
                                          env={"LC_ALL": "en_US.UTF-8"})

    assert result.exit_code == 0, result.output
    assert "1 booking marked as no-show for" in result.output
    assert _status(missed.id) == BookingStatus.NO_SHOW
    assert _status(came.id) == BookingStatus.CHECKED_IN


def test_close_day_defaults_to_yesterday(app):
    yesterday = factories.slot(day=local_today() - timedelta(days=1))
    two_days_ago = factories.slot(day=local_today() - timedelta(days=2))
    missed, older = factories.confirmed_visit(yesterday), factories.confirmed_visit(two_days_ago)
    app.test_cli_runner().invoke(args=["bookings", "close-day"])
    assert (_status(missed.id), _status(older.id)) == (BookingStatus.NO_SHOW, BookingStatus.CONFIRMED)


def test_close_day_leaves_slots_that_have_not_ended(app):
    slot = factories.slot_at()  # under way now
    booking = factories.confirmed_visit(slot)
    app.test_cli_runner().invoke(args=["bookings", "close-day", "--date", slot.local_date.isoformat()])
    assert _status(booking.id) == BookingStatus.CONFIRMED


def test_a_no_show_ticket_no_longer_admits(app):
    slot = _past_slot()
    booking = factories.confirmed_visit(slot)
    code = tickets.code_for_booking(booking)
    services.mark_no_shows(slot.local_date)
    db.session.commit()
    staff = factories.user("venue_staff", venue=slot.venue)
    assert services.record_check_in(staff, code).result.value in ("wrong_date", "too_late")


def test_repeated_no_shows_pause_new_bookings(app):
    citizen = factories.user("citizen")
    venue = factories.venue()
    for days_ago in (1, 2, 3):
        slot = _past_slot(venue, days_ago)
        factories.confirmed_visit(slot, citizen)
        services.mark_no_shows(slot.local_date)
    db.session.commit()
    upcoming = factories.slot(venue, days_ahead=2)
    with pytest.raises(DomainError) as refused:
        booking_services.book_individual_visit(citizen, upcoming, party_size=1)
    assert refused.value.code == "noshow_blocked"
