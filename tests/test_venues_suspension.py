"""Suspending a venue closes everything ahead: its upcoming visits are cancelled, their bookers told,
and the tickets no longer admit anyone. The admin sees what it cancels and confirms first."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.checkin import tickets
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Slot, SlotStatus
from app.venues.models import Venue, VenueStatus
from tests import factories
from tests.factories import XUANWU

REASON = "安全隐患整改"


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def venue(app):
    return factories.venue(status=VenueStatus.APPROVED, district_code=XUANWU)


def _status(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id).status


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _suspend(client, auth, venue, *, confirmed: bool = True, lang: str = "en"):
    auth.login(factories.user("district_admin", district_code=XUANWU).email)
    data = {"suspend-reason": REASON, **({"suspend-confirmed": "yes"} if confirmed else {})}
    response = client.post(f"/admin/venues/{venue.id}/suspend?lang={lang}", data=data)
    auth.logout()
    return response


def _closure_messages(booking) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking.id,
                                                               OutboxMessage.kind == "booking_closure")))


def test_suspending_first_says_how_many_bookings_and_people_it_cancels(client, auth, venue):
    first = factories.booked_visit(factories.slot(venue, days_ahead=3), factories.user("citizen"), party_size=3)
    factories.booked_visit(factories.slot(venue, days_ahead=6), factories.user("citizen"), party_size=2)
    preview = _suspend(client, auth, venue, confirmed=False)
    assert preview.status_code == 200
    assert "Bookings: 2 People booked: 5" in _text(preview)
    assert 'name="suspend-confirmed" type="hidden" value="yes"' in preview.get_data(as_text=True)
    assert f'value="{REASON}"' in preview.get_data(as_text=True)  # the reason goes with the confirmation
    assert _status(venue) == VenueStatus.APPROVED and _status(first) == BookingStatus.CONFIRMED
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind.in_(
        ("booking_closure", "venue_suspended"))).limit(1)) is None


def test_a_confirmed_suspension_cancels_every_visit_ahead_and_tells_each_booker(client, auth, venue):
    citizen = factories.user("citizen")
    citizen.locale = "en"
    slot = factories.slot(venue, days_ahead=5, capacity=3, audience="mixed")
    confirmed = factories.booked_visit(slot, citizen, party_size=3)
    waiting = factories.booked_visit(slot, factories.user("citizen"), party_size=2, join_waitlist=True)
    class_slot = factories.slot(venue, days_ahead=6, audience="school")
    requested = factories.booked_visit(class_slot, factories.user("teacher"))
    assert [_status(b) for b in (confirmed, waiting)] == [BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]
    assert _status(requested) in (BookingStatus.PENDING, BookingStatus.CONFIRMED)

    response = _suspend(client, auth, venue)
    assert response.status_code == 302
    assert _status(venue) == VenueStatus.SUSPENDED
    for booking in (confirmed, waiting, requested):
        assert _status(booking) == BookingStatus.CANCELLED
        [message] = _closure_messages(booking)
        assert message.recipient == booking.user.email
    assert _status(slot) == SlotStatus.CANCELLED and db.session.get(Slot, slot.id).taken == 0
    english = _closure_messages(confirmed)[0].body
    assert "suspended" in english
    assert "暂停" in _closure_messages(waiting)[0].body  # in each booker's own language

    # The booker's page, the API and the ticket say it is cancelled; nothing is left to show at a gate.
    auth.login(citizen.email)
    page = client.get(f"/bookings/{confirmed.id}?lang=en")
    assert page.status_code == 200
    assert "Cancelled" in _text(page) and "suspended" in _text(page)
    assert "暂停" not in _text(page)  # the reason in the reader's language only
    assert "暂停" in _text(client.get(f"/bookings/{confirmed.id}?lang=zh"))
    assert "Show the QR code" not in _text(page)
    api = client.get(f"/api/v1/bookings/{confirmed.id}").get_json()
    assert api["status"] == "cancelled" and api["code"] is None
    assert client.get(f"/api/v1/bookings/{confirmed.id}/ticket.png").status_code == 404


def test_the_gate_refuses_the_ticket_of_a_suspended_venue(client, auth, venue):
    slot = factories.slot_at(venue, starts_in=timedelta(minutes=20))
    booking = factories.confirmed_visit(slot)
    code, gate = tickets.code_for_booking(booking), factories.gate_token(venue)
    assert _suspend(client, auth, venue).status_code == 302
    scan = client.post("/api/v1/checkins", json={"code": code}, headers={"Authorization": f"Bearer {gate}"})
    body = scan.get_json()
    assert body["result"] == "cancelled" and body["admitted"] is False
    assert _status(booking) == BookingStatus.CANCELLED


def test_visits_under_way_or_admitted_stay_as_they_are(client, auth, venue):
    under_way = factories.slot_at(venue)
    coming = factories.confirmed_visit(under_way)
    admitted = factories.admitted_visit(under_way)
    assert _suspend(client, auth, venue).status_code == 302
    assert _status(coming) == BookingStatus.CONFIRMED
    assert _status(db.session.get(Booking, admitted.booking_id)) == BookingStatus.CHECKED_IN
    assert _status(under_way) == SlotStatus.OPEN
    assert _closure_messages(coming) == []


def test_reinstating_does_not_bring_the_cancelled_visits_back(client, auth, venue):
    slot = factories.slot(venue, days_ahead=4)
    booking = factories.booked_visit(slot, factories.user("citizen"))
    assert _suspend(client, auth, venue).status_code == 302
    auth.login(factories.user("city_admin").email)
    assert client.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302
    assert db.session.get(Venue, venue.id).status == VenueStatus.APPROVED
    assert _status(booking) == BookingStatus.CANCELLED and _status(slot) == SlotStatus.CANCELLED


def test_a_venue_with_nothing_booked_ahead_is_suspended_at_once(client, auth, venue):
    slot = factories.slot(venue, days_ahead=4)
    manager = factories.user("venue_manager", venue=venue)
    manager.locale = "en"
    db.session.commit()
    assert _suspend(client, auth, venue, confirmed=False).status_code == 302
    assert _status(venue) == VenueStatus.SUSPENDED and _status(slot) == SlotStatus.CANCELLED
    told = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "venue_suspended"))
    assert "Its upcoming slots are cancelled; none of them was booked." in told


def test_a_slot_with_visitors_admitted_before_its_start_stays_open_and_its_other_bookings_end(client, auth, venue):
    # Check-in opens 30 minutes before the start: one party is in, another is still to come, a third waits.
    slot = factories.slot_at(venue, starts_in=timedelta(minutes=10), capacity=5, audience="public")
    admitted = factories.confirmed_visit(slot, party_size=2)
    coming = factories.confirmed_visit(slot, party_size=3)
    waiting = factories.booked_visit(slot, factories.user("citizen"), party_size=2, join_waitlist=True)
    gate = factories.gate_token(venue)
    scan = client.post("/api/v1/checkins", json={"code": tickets.code_for_booking(admitted)},
                       headers={"Authorization": f"Bearer {gate}"})
    assert scan.get_json()["admitted"] is True

    preview = _suspend(client, auth, venue, confirmed=False)
    assert ("Time slots: 0 Bookings: 2 People booked: 5 Time slots that stay open, someone being already admitted: 1"
            in _text(preview))  # what the confirmation then does
    manager = factories.user("venue_manager", venue=venue)
    manager.locale = "en"
    db.session.commit()
    assert _suspend(client, auth, venue).status_code == 302
    told = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "venue_suspended",
                                                              OutboxMessage.recipient == manager.email))
    assert "2 bookings not yet admitted are cancelled; each booker has been told." in told
    assert "1 slot stays open: someone had already been admitted to it, so that visit goes on." in told
    assert "upcoming slots are cancelled" not in told

    assert _status(admitted) == BookingStatus.CHECKED_IN
    assert _status(slot) == SlotStatus.OPEN and db.session.get(Slot, slot.id).taken == 2
    for booking in (coming, waiting):  # not promoted into the place given back: it ends too
        assert _status(booking) == BookingStatus.CANCELLED
        assert len(_closure_messages(booking)) == 1
    assert _closure_messages(admitted) == []
    if slot.local_date == local_today():  # the visit counts today with the places its slot offered
        day = slot.local_date.isoformat()
        stats = client.get("/api/v1/stats/summary", query_string={"venue": venue.id, "from": day, "to": day})
        body = stats.get_json()
        assert (body["visits"], body["open_days"], body["capacity_offered"]) == (2, 1, 5)


def test_the_suspension_cancels_a_slot_whose_check_in_opened_with_nobody_admitted(client, auth, venue):
    slot = factories.slot_at(venue, starts_in=timedelta(minutes=10))
    refused = factories.confirmed_visit(slot)
    scan = client.post("/api/v1/checkins", json={"code": "not a ticket"},
                       headers={"Authorization": f"Bearer {factories.gate_token(venue)}"})
    assert scan.get_json()["admitted"] is False  # a refused scan admits nobody
    assert _suspend(client, auth, venue).status_code == 302
    assert _status(slot) == SlotStatus.CANCELLED and _status(refused) == BookingStatus.CANCELLED
