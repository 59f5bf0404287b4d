"""GET and POST /api/v1/venues/<id>/slots."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.services import book_individual_visit
from app.core.time import local_today, utcnow
from app.extensions import db
from app.scheduling.models import Slot
from app.venues.models import VenueStatus
from tests import factories


def slot_count() -> int:
    return db.session.scalar(select(func.count(Slot.id)))


# --- reading ---------------------------------------------------------------------------------

def test_a_venues_slots_come_with_local_times_and_live_places(client, app):
    venue = factories.venue()
    program = factories.program(venue, title_zh="导览", title_en="Tour")
    slot = factories.slot(venue, days_ahead=2, capacity=40, program_id=program.id)
    book_individual_visit(factories.user("citizen"), slot, party_size=3)
    db.session.commit()

    response = client.get(f"/api/v1/venues/{venue.id}/slots")
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    day = slot.local_date.isoformat()
    assert item == {"id": slot.id, "start": f"{day}T09:00:00+08:00", "end": f"{day}T12:00:00+08:00",
                    "capacity": 40, "available": 37, "held_for_partner_schools": 0, "audience": "public",
                    "admission": "free",
                    "program": {"id": program.id, "title_zh": "导览", "title_en": "Tour"}, "status": "open"}



def test_a_slot_says_how_many_of_its_places_left_only_partner_schools_may_take(client, app):
    # 10 places, 5 held for partner schools until the reserve's release, 3 taken by a citizen: 7 left,
    # of which 5 only a partner school's class may take; after the release, none are held.
    held = factories.slot(audience="mixed", days_ahead=20, capacity=10, reserved_seats=5,
                          reserve_until=utcnow() + timedelta(days=13))
    released = factories.slot(held.venue, audience="mixed", days_ahead=21, capacity=10, reserved_seats=5,
                              reserve_until=utcnow() - timedelta(minutes=1))
    for slot in (held, released):
        factories.booked_visit(slot, factories.user("citizen"), party_size=3)

    response = client.get(f"/api/v1/venues/{held.venue_id}/slots?to={(local_today() + timedelta(days=25)).isoformat()}")
    places = {item["id"]: (item["available"], item["held_for_partner_schools"]) for item in response.get_json()["items"]}
    assert places == {held.id: (7, 5), released.id: (7, 0)}

def test_a_cancelled_slot_has_no_places_available(client, auth, app):
    slot = factories.slot(days_ahead=3, capacity=120, audience="mixed", reserved_seats=20,
                          reserve_until=utcnow() + timedelta(days=2))
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)
    auth.login(factories.user("venue_manager", venue=slot.venue).email)
    assert client.post(f"/manage/slots/{slot.id}/cancel", data={"reason": "设备检修"}).status_code == 302
    auth.logout()
    [item] = client.get(f"/api/v1/venues/{slot.venue_id}/slots").get_json()["items"]
    assert (item["status"], item["capacity"], item["available"], item["held_for_partner_schools"]) == (
        "cancelled", 120, 0, 0)


def test_the_openapi_document_says_a_cancelled_slot_has_no_places(client, app):
    slot = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Slot"]
    assert "0 for a cancelled slot" in slot["properties"]["available"]["description"]


def test_the_range_defaults_to_the_next_30_days(client, app):
    venue = factories.venue()
    factories.slot(venue, days_ahead=1)
    factories.slot(venue, days_ahead=30)
    factories.slot(venue, days_ahead=31)
    data = client.get(f"/api/v1/venues/{venue.id}/slots").get_json()
    assert data["from"] == local_today().isoformat()
    assert len(data["items"]) == 2


def test_from_and_to_choose_the_days(client, app):
    venue = factories.venue()
    wanted = factories.slot(venue, days_ahead=40)
    factories.slot(venue, days_ahead=2)
    day = wanted.local_date.isoformat()
    items = client.get(f"/api/v1/venues/{venue.id}/slots?from={day}&to={day}").get_json()["items"]
    assert [i["id"] for i in items] == [wanted.id]


@pytest.mark.parametrize("query, field", [
    ("from=2026-12-10&to=2026-12-01", "to"),
    ("from=2026-01-01&to=2026-06-01", "to"),
    ("from=yesterday", "from"),
    ("from=2026-02-30", "from"),
    ("to=20261201", "to"),
    ("from=2026-12-01%00", "from"),
])
def test_bad_ranges_are_invalid_parameters(client, app, query, field):
    venue = factories.venue()
    response = client.get(f"/api/v1/venues/{venue.id}/slots?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["message"] and body["field"] == field


def test_92_days_is_the_longest_range(client, app):
    venue = factories.venue()
    first = local_today()
    last = first + timedelta(days=91)
    assert client.get(f"/api/v1/venues/{venue.id}/slots?from={first}&to={last}").status_code == 200


@pytest.mark.parametrize("status", [VenueStatus.DRAFT, VenueStatus.SUBMITTED, VenueStatus.REJECTED])
def test_unapproved_venues_are_not_found(client, app, status):
    venue = factories.venue(status=status)
    factories.slot(venue, days_ahead=2)
    response = client.get(f"/api/v1/venues/{venue.id}/slots")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_an_unknown_venue_is_not_found(client, app):
    response = client.get("/api/v1/venues/999999/slots")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


# --- publishing ------------------------------------------------------------------------------

def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 201
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


class Caller:
    """A test client that sends one user's bearer token with every request."""

    def __init__(self, client, user):
        self.client, self.user, self.headers = client, user, bearer(client, user)
        self.venue_id = user.venue_id

    def post(self, url, **kwargs):
        return self.client.post(url, headers=self.headers, **kwargs)


@pytest.fixture
def manager(client, app):
    return Caller(client, factories.user("venue_manager"))


def payload(**overrides) -> dict:
    day = local_today() + timedelta(days=5)
    data = {"start": f"{day}T18:30", "end": f"{day}T20:30", "capacity": 60, "audience": "mixed"}
    data.update(overrides)
    return data


def test_a_manager_publishes_a_slot_in_local_time(client, manager):
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload())
    assert response.status_code == 201
    body = response.get_json()
    day = (local_today() + timedelta(days=5)).isoformat()
    assert body["start"] == f"{day}T18:30:00+08:00" and body["end"] == f"{day}T20:30:00+08:00"
    assert (body["capacity"], body["available"], body["audience"], body["status"]) == (60, 60, "mixed", "open")
    assert body["program"] is None
    slot = db.session.get(Slot, body["id"])
    assert slot.starts_at == datetime.combine(local_today() + timedelta(days=5), time(10, 30))  # UTC
    assert slot.reserved_seats == 18  # mixed: 30 % held for partner schools by default


def test_an_offset_in_the_time_is_honoured(client, manager):
    day = local_today() + timedelta(days=5)
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots",
                           json=payload(start=f"{day}T01:00:00+00:00", end=f"{day}T02:00:00Z"))
    assert response.status_code == 201
    assert response.get_json()["start"] == f"{day}T09:00:00+08:00"


@pytest.mark.parametrize("overrides, field", [
    ({"capacity": 0}, "capacity"),
    ({"capacity": -5}, "capacity"),
    ({"capacity": "ten"}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"capacity": 10**12}, "capacity"),
    ({"end": "2020-01-01T10:00"}, "end"),
    ({"start": "2020-01-01T09:00", "end": "2020-01-01T10:00"}, "start"),
    ({"start": "tomorrow morning"}, "start"),
    ({"start": "2027-01-14", "end": "2027-01-15"}, "start"),  # days, not times: not a 24-hour slot
    ({"start": None}, "start"),
    ({"end": 12}, "end"),
    ({"audience": "everyone"}, "audience"),
    ({"audience": None}, "audience"),
    ({"admission": "paid"}, "admission"),
    ({"program_id": 999999}, "program_id"),
    ({"program_id": False}, "program_id"),
    ({"program_id": True}, "program_id"),
    ({"program_id": "1"}, "program_id"),
])
def test_bad_slots_are_refused_with_the_field_named(client, manager, overrides, field):
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload(**overrides))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_slot" and body["field"] == field and body["message"]
    assert slot_count() == 0


@pytest.mark.parametrize("lang, said", [
    ("en", "Missing: start, end, capacity, audience. A slot needs start, end, capacity and audience."),
    ("zh", "缺少：start, end, capacity, audience。发布场次需要 start、end、capacity 和 audience。"),
])
def test_an_empty_slot_is_told_everything_it_lacks_at_once(client, manager, lang, said):
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots?lang={lang}", json={"admission": None})
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_slot", "field": "start", "message": said}


@pytest.mark.parametrize("field, clock", [("start", "18:30:15"), ("end", "20:30:00.250000")])
def test_slot_times_are_whole_minutes(client, manager, field, clock):
    """09:00:00.25 would be a second slot beside 09:00, unseen by the duplicate check."""
    day = local_today() + timedelta(days=5)
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload(**{field: f"{day}T{clock}"}))
    assert response.status_code == 400
    assert (response.get_json()["error"], response.get_json()["field"]) == ("invalid_slot", field)
    assert slot_count() == 0
    assert manager.post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload(start=f"{day}T18:30:00")).status_code == 201


def test_end_before_start_is_refused(client, manager):
    day = local_today() + timedelta(days=5)
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots",
                           json=payload(start=f"{day}T12:00", end=f"{day}T09:00"))
    assert response.status_code == 400
    assert response.get_json()["field"] == "end"


@pytest.mark.parametrize("body", ["not json", "[1, 2]", "null", '{"start": '])
def test_a_body_that_is_not_a_json_object_is_refused(client, manager, body):
    response = manager.post(f"/api/v1/venues/{manager.venue_id}/slots", data=body,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_slot"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sv_forged"}, {"Authorization": "Basic eDp5"}])
def test_callers_without_valid_credentials_are_unauthorized(client, app, headers):
    venue = factories.venue()
    response = client.post(f"/api/v1/venues/{venue.id}/slots", json=payload(), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert slot_count() == 0


def test_the_sites_own_session_needs_its_csrf_header(client, auth, app):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    response = client.post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload())
    assert response.status_code == 400 and response.get_json()["error"] == "csrf_failed"
    assert slot_count() == 0


def test_another_venues_manager_is_forbidden(client, manager):
    venue = factories.venue()
    response = manager.post(f"/api/v1/venues/{venue.id}/slots", json=payload())
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert slot_count() == 0


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "city_admin"])
def test_people_who_do_not_manage_the_venue_are_forbidden(client, app, role):
    venue = factories.venue()
    caller = Caller(client, factories.user(role))
    assert caller.post(f"/api/v1/venues/{venue.id}/slots", json=payload()).status_code == 403


def test_publishing_to_an_unknown_venue_is_not_found(client, manager):
    response = manager.post("/api/v1/venues/999999/slots", json=payload())
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_a_draft_venue_prepares_slots_that_stay_hidden_until_approval(client, app):
    venue = factories.venue(status=VenueStatus.DRAFT)
    caller = Caller(client, factories.user("venue_manager", venue=venue))
    assert caller.post(f"/api/v1/venues/{venue.id}/slots", json=payload()).status_code == 201
    assert client.get(f"/api/v1/venues/{venue.id}/slots").status_code == 404
