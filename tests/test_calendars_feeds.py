"""The private per-user feed behind a secret address, and a venue's public feed of open slots."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import icalendar
import vobject
from sqlalchemy import select

from app.calendars.models import CalendarFeed
from app.extensions import db
from app.scheduling.models import SlotStatus
from app.venues.models import VenueStatus
from tests import factories

FEED_URL = re.compile(r'value="(https?://[^"]+/calendar/([^"/]+)\.ics)"')


def _make_feed(client) -> tuple[str, str]:
    response = client.post("/me/calendar")
    assert response.status_code == 200
    url, token = FEED_URL.search(response.get_data(as_text=True)).groups()
    return url, token


def _uids(text: str) -> set[str]:
    return {str(e["uid"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")}


def test_a_user_creates_a_private_feed_that_lists_their_bookings(client, auth):
    citizen = factories.user("citizen")
    mine = factories.booked_visit(factories.slot(), citizen)
    factories.booked_visit(factories.slot(), factories.user("citizen"))
    auth.login(citizen.email)

    _, token = _make_feed(client)
    auth.logout()
    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert _uids(response.get_data(as_text=True)) == {f"booking-{mine.reference}@scivisit"}
    assert len(vobject.readOne(response.get_data(as_text=True)).vevent_list) == 1


def test_the_feed_address_names_the_site_not_the_host_the_request_named(app):
    """The address goes into a calendar program, which fetches it for months."""
    browser = factories.signed_in_at_forged_host(app, factories.user("citizen"))

    page = browser.post("/me/calendar", base_url=factories.FORGED_HOST).get_data(as_text=True)

    url, token = FEED_URL.search(page).groups()
    assert url == f"https://scivisit.example.gov.cn/calendar/{token}.ics"


def test_the_feed_token_is_stored_only_as_its_hash(client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)

    _, token = _make_feed(client)

    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == citizen.id))
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash


def test_resetting_the_feed_address_kills_the_old_one(client, auth):
    citizen = factories.user("citizen")
    factories.booked_visit(factories.slot(), citizen)
    auth.login(citizen.email)
    _, old = _make_feed(client)

    _, new = _make_feed(client)

    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert db.session.scalar(select(db.func.count(CalendarFeed.id))) == 1


def test_the_calendar_page_shows_whether_an_address_exists(client, auth):
    auth.login(factories.user("citizen").email)
    assert "Create my calendar address" in client.get("/me/calendar?lang=en").get_data(as_text=True)

    _make_feed(client)

    page = client.get("/me/calendar").get_data(as_text=True)
    assert "Make a new address" in page and not FEED_URL.search(page)


def test_an_unknown_feed_token_is_404(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_a_disabled_accounts_feed_is_404(client, auth):
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    _, token = _make_feed(client)

    citizen.is_disabled = True
    db.session.commit()

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_calendar_page_needs_a_signed_in_user(client):
    response = client.get("/me/calendar")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cancelled_booking_stays_in_the_feed_as_cancelled(client, auth):
    from app.bookings import services as booking_services

    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(days_ahead=4), citizen)
    booking_services.cancel_booking(citizen, booking)
    db.session.commit()
    auth.login(citizen.email)
    _, token = _make_feed(client)

    events = icalendar.Calendar.from_ical(client.get(f"/calendar/{token}.ics").data).walk("VEVENT")

    assert [str(e["status"]) for e in events] == ["CANCELLED"]


def test_a_venue_feed_lists_its_upcoming_open_slots_only(client):
    venue = factories.venue()
    upcoming = [factories.slot(venue, days_ahead=1), factories.slot(venue, days_ahead=6)]
    factories.slot(venue, days_ahead=-2)
    factories.slot(venue, days_ahead=3, status=SlotStatus.CANCELLED)
    factories.slot(factories.venue(), days_ahead=2)

    response = client.get(f"/venues/{venue.id}/calendar.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert _uids(text) == {f"slot-{s.id}@scivisit" for s in upcoming}
    parsed = vobject.readOne(text)
    assert sorted(e.dtstart.value.utcoffset() for e in parsed.vevent_list) == [timedelta(hours=8)] * 2


def test_a_venue_feed_event_links_to_booking_the_slot(client):
    venue = factories.venue()
    slot = factories.slot(venue)

    event = icalendar.Calendar.from_ical(client.get(f"/venues/{venue.id}/calendar.ics").data).walk("VEVENT")[0]

    assert str(event["url"]).endswith(f"/slots/{slot.id}/book")
    assert str(event["transp"]) == "TRANSPARENT"


def test_an_unapproved_venue_has_no_public_feed(client):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    factories.slot(venue)

    assert client.get(f"/venues/{venue.id}/calendar.ics").status_code == 404
    assert client.get("/venues/999999/calendar.ics").status_code == 404
