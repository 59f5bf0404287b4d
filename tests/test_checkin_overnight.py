"""A visit that runs past midnight (a night-sky observation, 20:00–01:00) counts on its slot's date,
whenever its ticket is scanned; and a gate's retry (the same nonce) is told what the first scan was
told, the walk-in it took over included."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.checkin import services, tickets, walkins
from app.checkin.models import CheckIn, CheckInKind
from app.core.time import LOCAL_TZ, from_local, local_today
from app.extensions import db
from app.stats import rebuild
from app.stats.models import VenueDailyStats
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def night():
    """The date of the observation night (tomorrow, so that it is bookable whenever the suite runs)."""
    return local_today() + timedelta(days=1)


def _at(day, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), LOCAL_TZ), tick=False)


def _observation(night, citizen, *, party_size: int = 2):
    """A confirmed booking of ``citizen`` for a 20:00–01:00 observation starting on ``night``."""
    slot = factories.slot(day=night, start=time(20, 0), end=time(23, 0))
    slot.ends_at = from_local(datetime.combine(night + timedelta(days=1), time(1, 0)))
    db.session.commit()
    with _at(night, 9):
        return factories.confirmed_visit(slot, citizen, party_size=party_size)


def _register_at_poster(client, venue, persons: int):
    url = f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"
    client.get(url)
    answer = client.post(url + "?lang=en", data={"persons": persons, "audience_group": "adult"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]


def _signed_in(app, person):
    client = app.test_client()
    response = client.post("/login", data={"email": person.email, "password": "password123"})
    assert response.status_code in (302, 303)
    return client


def _checkin_api(client, secret: str, payload: dict) -> dict:
    response = client.post("/api/v1/checkins?lang=en", json=payload, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def _walk_in_persons(venue_id: int) -> list[int]:
    db.session.expire_all()
    return [w.persons for w in db.session.scalars(select(CheckIn).where(CheckIn.venue_id == venue_id,
                                                                        CheckIn.kind == CheckInKind.WALK_IN))]


def _rollup(venue_id: int, day) -> tuple[int, int, int]:
    db.session.expire_all()
    row = db.session.get(VenueDailyStats, (venue_id, day))
    return (row.visits, row.individual_visits, row.walk_ins) if row else (0, 0, 0)


def _rollup_equals_rebuild(venue_id: int, day) -> tuple[int, int, int]:
    live = _rollup(venue_id, day)
    rebuild.rebuild_all()
    db.session.commit()
    assert _rollup(venue_id, day) == live
    return live


@pytest.mark.parametrize("presented", ["code", "reference"])
def test_a_ticket_scanned_after_midnight_takes_over_the_walk_in_of_its_night(app, client, auth, night, presented):
    citizen = factories.user("citizen")
    booking = _observation(night, citizen, party_size=2)
    venue = booking.venue
    with _at(night, 19):  # before the gate opens for the observation (19:30)
        auth.login(citizen.email)
        _register_at_poster(client, venue, 2)
    code = tickets.code_for_booking(booking) if presented == "code" else booking.reference
    with _at(night + timedelta(days=1), 0, 30):
        body = _checkin_api(client, factories.gate_token(venue), {"code": code, "nonce": "night-1"})
    assert (body["result"], body["admitted"]) == ("ok", True)
    assert body["replaced_walk_in"] == {"persons": 2}
    assert "registered 2 people at the walk-in poster" in body["message"]
    assert _walk_in_persons(venue.id) == [0]
    # Counted once, on the night's date; nothing on the next day's.
    assert _rollup_equals_rebuild(venue.id, night) == (2, 2, 0)
    assert _rollup_equals_rebuild(venue.id, night + timedelta(days=1)) == (0, 0, 0)


def test_the_scanner_page_after_midnight_counts_the_night_once_and_lists_the_scan(app, client, auth, night):
    citizen = factories.user("citizen")
    booking = _observation(night, citizen, party_size=3)
    venue = booking.venue
    with _at(night, 19, 10):
        auth.login(citizen.email)
        _register_at_poster(client, venue, 3)
    with _at(night + timedelta(days=1), 0, 40):
        gate = _signed_in(app, factories.gate_staff(venue))
        page = gate.post("/scan?lang=en", data={"code": tickets.code_for_booking(booking), "nonce": "p1"})
        text = page.get_data(as_text=True)
        recent = services.recent_attempts(venue.id, local_today())
    assert "Admitted" in text
    assert "registered 3 people at the walk-in poster" in text
    assert [row.booking_id for row in recent] == [booking.id]
    assert services.day_totals(venue.id, night)["checked_in"] == 3
    assert services.day_totals(venue.id, night)["walk_ins"] == 0
    assert _rollup_equals_rebuild(venue.id, night) == (3, 3, 0)


def _poster(client, venue):
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}?lang=en"


def test_after_midnight_the_poster_sends_a_night_ticket_holder_to_the_gate(app, client, auth, night):
    """Registering at 00:20 during the night's visit would count the party on the next day as well
    as on its ticket's night."""
    citizen = factories.user("citizen")
    booking = _observation(night, citizen, party_size=2)
    with _at(night + timedelta(days=1), 0, 20):
        auth.login(citizen.email)
        client.get(_poster(client, booking.venue))
        answer = client.post(_poster(client, booking.venue), data={"persons": 2, "audience_group": "adult"})
        body = _checkin_api(client, factories.gate_token(booking.venue),
                            {"code": tickets.code_for_booking(booking), "nonce": "n"})
    assert "show it at the gate" in answer.get_data(as_text=True)
    assert _walk_in_persons(booking.venue_id) == []
    assert body["result"] == "ok"
    assert _rollup_equals_rebuild(booking.venue_id, night) == (2, 2, 0)
    assert _rollup_equals_rebuild(booking.venue_id, night + timedelta(days=1)) == (0, 0, 0)


def test_after_midnight_the_poster_tells_a_visitor_admitted_on_a_night_ticket_they_are_counted(app, client, auth,
                                                                                                 night):
    citizen = factories.user("citizen")
    booking = _observation(night, citizen, party_size=2)
    with _at(night, 20, 5):
        _checkin_api(client, factories.gate_token(booking.venue), {"code": tickets.code_for_booking(booking)})
    with _at(night + timedelta(days=1), 0, 20):
        auth.login(citizen.email)
        client.get(_poster(client, booking.venue))
        answer = client.post(_poster(client, booking.venue), data={"persons": 2, "audience_group": "adult"})
    assert "so you are counted" in answer.get_data(as_text=True)
    assert _walk_in_persons(booking.venue_id) == []
    assert _rollup_equals_rebuild(booking.venue_id, night + timedelta(days=1)) == (0, 0, 0)


def test_the_morning_after_a_night_visit_the_poster_counts_a_new_visit(app, client, auth, night):
    citizen = factories.user("citizen")
    booking = _observation(night, citizen, party_size=2)
    with _at(night, 20, 5):
        _checkin_api(client, factories.gate_token(booking.venue), {"code": tickets.code_for_booking(booking)})
    with _at(night + timedelta(days=1), 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 2)
    assert _walk_in_persons(booking.venue_id) == [2]
    assert _rollup_equals_rebuild(booking.venue_id, night + timedelta(days=1)) == (2, 0, 2)


def test_a_ticket_admitted_before_midnight_for_a_slot_of_the_next_day_is_among_the_latest_scans(app, night):
    """A slot from 00:10 opens its gate at 23:40 the evening before: the scan counts on the slot's
    date, and the scanner page still lists it among the evening's scans."""
    slot = factories.slot(day=night + timedelta(days=1), start=time(0, 10), end=time(2, 0))
    booking = factories.confirmed_visit(slot, factories.user("citizen"))
    with _at(night, 23, 50):
        gate = _signed_in(app, factories.gate_staff(booking.venue))
        page = gate.post("/scan?lang=en", data={"code": tickets.code_for_booking(booking), "nonce": "eve"})
    assert "Admitted" in page.get_data(as_text=True)
    assert 'id="recent-title"' in page.get_data(as_text=True)
    assert [row.booking_id for row in services.recent_attempts(booking.venue_id, night)] == [booking.id]
    assert _rollup_equals_rebuild(booking.venue_id, night + timedelta(days=1)) == (2, 2, 0)


# --- a gate's retry ---------------------------------------------------------------------------------

def _afternoon_visit_after_a_walk_in(client, auth, day, persons: int = 2):
    citizen = factories.user("citizen")
    with _at(day, 9):
        slot = factories.slot_at(starts_in=timedelta(hours=6))  # 15:00–17:00
        booking = factories.confirmed_visit(slot, citizen, party_size=persons)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, persons)
    auth.logout()
    return booking


@pytest.mark.parametrize("presented", ["code", "reference"])
def test_a_retried_scan_says_again_which_walk_in_people_the_ticket_took_over(app, client, auth, presented):
    day = local_today() + timedelta(days=1)
    booking = _afternoon_visit_after_a_walk_in(client, auth, day, persons=2)
    code = tickets.code_for_booking(booking) if presented == "code" else booking.reference
    with _at(day, 15, 5):
        secret = factories.gate_token(booking.venue)
        first = _checkin_api(client, secret, {"code": code, "nonce": "retry-1"})
        again = _checkin_api(client, secret, {"code": code, "nonce": "retry-1"})
    assert first["replaced_walk_in"] == {"persons": 2}
    assert (again["result"], again["replayed"]) == ("ok", True)
    assert again["replaced_walk_in"] == first["replaced_walk_in"]
    assert again["message"] == first["message"]
    assert _walk_in_persons(booking.venue_id) == [0]
    assert _rollup_equals_rebuild(booking.venue_id, day) == (2, 2, 0)


def test_a_retried_scan_on_the_scanner_page_says_the_same_as_the_first(app, client, auth):
    day = local_today() + timedelta(days=1)
    booking = _afternoon_visit_after_a_walk_in(client, auth, day, persons=2)
    with _at(day, 15, 5):
        gate = _signed_in(app, factories.gate_staff(booking.venue))
        data = {"code": tickets.code_for_booking(booking), "nonce": "page-retry"}
        first = gate.post("/scan?lang=en", data=data).get_data(as_text=True)
        again = gate.post("/scan?lang=en", data=data).get_data(as_text=True)
    note = "registered 2 people at the walk-in poster earlier today"
    assert note in first
    assert note in again and "Admitted" in again
    assert _rollup_equals_rebuild(booking.venue_id, day) == (2, 2, 0)


def test_a_retry_after_a_walk_in_partly_taken_over_repeats_the_first_count(app, client, auth):
    """The walk-in kept people beyond the ticket: the retry repeats how many the ticket took, not
    what the walk-in kept."""
    day = local_today() + timedelta(days=1)
    citizen = factories.user("citizen")
    with _at(day, 9):
        booking = factories.confirmed_visit(factories.slot_at(starts_in=timedelta(hours=6)), citizen, party_size=2)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 5)
    with _at(day, 15, 5):
        secret = factories.gate_token(booking.venue)
        first = _checkin_api(client, secret, {"code": tickets.code_for_booking(booking), "nonce": "part"})
        again = _checkin_api(client, secret, {"code": tickets.code_for_booking(booking), "nonce": "part"})
    assert first["replaced_walk_in"] == again["replaced_walk_in"] == {"persons": 2}
    assert _walk_in_persons(booking.venue_id) == [3]
