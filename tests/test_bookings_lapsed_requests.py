"""A class visit request the venue has not decided when its visit starts lapses: it can no longer be
approved, holds no places, reads "not approved in time" and its teacher is told (``bookings close-day``)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


def _request(starts_in: timedelta, **kw):
    """A class's request for a school slot starting ``starts_in`` from now, made four days before it,
    with the venue's manager: (slot, booking, teacher, manager)."""
    slot = factories.slot_at(starts_in=starts_in, capacity=100)
    manager = factories.user("venue_manager", venue=slot.venue)
    teacher = factories.user("teacher")
    booking = factories.booked_visit(slot, teacher, now=slot.starts_at - timedelta(days=4), **kw)
    assert booking.status == BookingStatus.PENDING
    return slot, booking, teacher, manager


def _booking(booking_id: int) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking_id)


def _taken(slot_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Slot, slot_id).taken


def _messages(kind: str, booking: Booking) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind, OutboxMessage.booking_id == booking.id)))


def _close_day(app):
    result = app.test_cli_runner().invoke(args=["bookings", "close-day"], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_request_cannot_be_approved_once_its_visit_has_started(client, auth):
    slot, booking, _teacher, manager = _request(-timedelta(minutes=5))
    auth.login(manager.email)

    page = client.post(f"/manage/bookings/{booking.id}/approve?lang=en", follow_redirects=True)

    assert "can no longer be approved" in page.get_data(as_text=True)
    assert _booking(booking.id).status == BookingStatus.PENDING
    assert not _messages("booking_approved", booking)


def test_the_slot_page_counts_a_request_undecided_at_the_start_as_lapsed_not_awaiting(client, auth):
    slot, booking, _teacher, manager = _request(-timedelta(minutes=5), students=30, adults=2)
    auth.login(manager.email)
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "0 awaiting approval" in page and "1 request not approved in time" in page
    taken = page.split(">Taken</dt><dd>", 1)[1].split("<", 1)[0]
    available = page.split(">Available</dt><dd>", 1)[1].split("<", 1)[0]
    assert (taken, available) == ("0", "100")  # its 32 places are no one's, before close-day too


def test_a_request_stays_to_decide_until_its_visit_starts_and_not_a_moment_longer(client, auth):
    slot, booking, _teacher, manager = _request(timedelta(hours=1))
    auth.login(manager.email)
    assert f"/manage/bookings/{booking.id}/approve" in client.get("/manage/bookings").get_data(as_text=True)

    with time_machine.travel(slot.starts_at, tick=False):
        assert f"/manage/bookings/{booking.id}/approve" not in client.get("/manage/bookings").get_data(as_text=True)
        client.post(f"/manage/bookings/{booking.id}/approve")
    assert _booking(booking.id).status == BookingStatus.PENDING

    with time_machine.travel(slot.starts_at - timedelta(seconds=1), tick=False):
        auth.login(manager.email)  # a session from the future is not trusted
        assert client.post(f"/manage/bookings/{booking.id}/approve").status_code == 302
    assert _booking(booking.id).status == BookingStatus.CONFIRMED


def test_a_request_cannot_be_declined_either_once_its_visit_has_started(client, auth):
    slot, booking, teacher, manager = _request(-timedelta(minutes=5))
    auth.login(manager.email)

    offered = client.get(f"/manage/bookings/{booking.id}/decline?lang=en", follow_redirects=True)
    assert 'name="reason"' not in offered.get_data(as_text=True)  # no reason to ask for
    assert "can no longer be approved or declined" in offered.get_data(as_text=True)
    refused = client.post(f"/manage/bookings/{booking.id}/decline?lang=en", data={"reason": "太晚了"},
                          follow_redirects=True)
    assert "can no longer be approved or declined" in refused.get_data(as_text=True)
    assert 'name="reason"' not in refused.get_data(as_text=True)  # back to the list: nothing to decide
    assert _booking(booking.id).status == BookingStatus.PENDING and not _messages("booking_declined", booking)
    auth.logout()
    auth.login(teacher.email)
    assert "Not approved in time" in client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)


def test_a_slot_made_smaller_after_the_start_first_lets_its_undecided_requests_lapse(client, auth):
    slot, booking, _teacher, manager = _request(-timedelta(minutes=5), students=30, adults=2)
    auth.login(manager.email)
    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "10"}).status_code == 302
    assert _taken(slot.id) == 0 and db.session.get(Slot, slot.id).capacity == 10
    lapsed = _booking(booking.id)
    assert lapsed.status == BookingStatus.DECLINED and lapsed.decided_at is None
    assert len(_messages("booking_lapsed", booking)) == 1
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "1 request not approved in time" in page  # still counted once closed


def test_the_teacher_sees_an_undecided_request_as_not_approved_in_time_once_the_visit_starts(client, auth):
    slot, booking, teacher, _manager = _request(-timedelta(minutes=5))
    auth.login(teacher.email)

    english = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Not approved in time" in english and "Awaiting approval" not in english
    assert "Confirmation slip" not in english and "Add to calendar" not in english
    chinese = client.get(f"/bookings/{booking.id}?lang=zh").get_data(as_text=True)
    assert "逾期未审核" in chinese and "待审核" not in chinese

    mine = client.get("/me/bookings?lang=en").get_data(as_text=True)
    coming, past = mine.split("Past, cancelled and declined", 1)
    assert booking.reference not in coming and f"/bookings/{booking.id}" not in coming
    assert f"/bookings/{booking.id}" in past and "Not approved in time" in past and "Awaiting approval" not in mine

    api = client.get(f"/api/v1/bookings/{booking.id}").get_json()
    assert api["status"] == "declined" and api["lapsed"] is True


def test_close_day_lapses_undecided_requests_frees_their_places_and_tells_the_teachers(app, client, auth):
    slot, booking, teacher, _manager = _request(-timedelta(minutes=5))
    later, waiting, _t, _m = _request(timedelta(hours=2))  # still to decide
    assert _taken(slot.id) == 32

    output = _close_day(app)

    assert "1 class visit request not approved in time has lapsed" in output
    lapsed = _booking(booking.id)
    assert lapsed.status == BookingStatus.DECLINED and lapsed.decided_at is None and lapsed.decided_by_id is None
    assert _taken(slot.id) == 0
    assert _booking(waiting.id).status == BookingStatus.PENDING and _taken(later.id) == 32
    told = _messages("booking_lapsed", booking)
    assert len(told) == 1 and told[0].recipient == teacher.email and told[0].sent_at is not None
    assert "/bookings/%d" % booking.id in told[0].body

    auth.login(teacher.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Not approved in time" in page and "Declined" not in page
    assert client.get(f"/bookings/{booking.id}/slip?lang=en").get_data(as_text=True).count("It is not valid") == 1


def test_a_lapsed_request_still_cannot_be_approved_or_declined(app, client, auth):
    slot, booking, _teacher, manager = _request(-timedelta(minutes=5))
    _close_day(app)
    auth.login(manager.email)
    page = client.post(f"/manage/bookings/{booking.id}/approve?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "can no longer be approved" in page
    assert client.post(f"/manage/bookings/{booking.id}/decline", data={"reason": "太晚了"}).status_code == 302
    assert _booking(booking.id).status == BookingStatus.DECLINED and _taken(slot.id) == 0


def test_closing_the_day_twice_counts_nothing_twice(app, client):
    slot, booking, _teacher, _manager = _request(-timedelta(minutes=5))
    factories.admitted_visit(slot)
    summary = f"/api/v1/stats/summary?from={slot.local_date}&to={slot.local_date}"
    before = client.get(summary).get_json()

    _close_day(app)
    taken = _taken(slot.id)
    second = _close_day(app)

    assert "class visit request" not in second  # nothing lapsed the second time
    assert _taken(slot.id) == taken
    assert len(_messages("booking_lapsed", booking)) == 1
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.slot_id == slot.id)) == 2
    assert client.get(summary).get_json() == before  # statistics come from check-ins only


def test_a_request_not_yet_decided_can_be_withdrawn_inside_the_cutoff_until_the_visit_starts(client, auth):
    slot, booking, teacher, _manager = _request(timedelta(hours=3))  # the 24-hour cutoff has passed
    auth.login(teacher.email)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert "Changes and cancellations closed" not in page and f"/bookings/{booking.id}/cancel" in page
    assert client.post(f"/bookings/{booking.id}/cancel", data={"reason": "换了时间"}).status_code == 302
    assert _booking(booking.id).status == BookingStatus.CANCELLED and _taken(slot.id) == 0

    _started, lapsed, other_teacher, _manager = _request(-timedelta(minutes=5))
    auth.logout()
    auth.login(other_teacher.email)
    assert client.post(f"/bookings/{lapsed.id}/cancel").status_code in (302, 409)
    assert _booking(lapsed.id).status == BookingStatus.PENDING  # lapsed: nothing to withdraw
