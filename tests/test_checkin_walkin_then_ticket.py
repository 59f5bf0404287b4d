"""A signed-in visitor registers their party at the walk-in poster, then shows their booking's ticket
at the gate the same day: the ticket admits them and takes over the walk-in, so the day counts the
party once, as a booked visit. An anonymous walk-in (a phone cookie only) cannot be matched."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.accounts.tokens import GateDevice
from app.checkin import services, tickets, walkins
from app.checkin.models import CheckIn, CheckInKind, CheckInResult
from app.core.time import LOCAL_TZ, local_today
from app.extensions import db
from app.stats import rebuild
from app.stats.models import VenueDailyStats
from tests import factories
from tests.races import race


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def day():
    return local_today() + timedelta(days=1)


def _at(day, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), LOCAL_TZ), tick=False)


def _afternoon_ticket(day, citizen, *, venue=None, party_size: int = 2, hour: int = 15):
    """A confirmed booking of ``citizen`` for ``hour``:00–``hour + 2``:00 on ``day``."""
    with _at(day, 9):
        slot = factories.slot_at(venue, starts_in=timedelta(hours=hour - 9))
        return factories.confirmed_visit(slot, citizen, party_size=party_size)


def _register_at_poster(client, venue, persons: int, group: str = "adult"):
    url = f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"
    client.get(url)  # the phone's cookie
    answer = client.post(url + "?lang=en", data={"persons": persons, "audience_group": group})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer


def _signed_in(app, person):
    client = app.test_client()
    response = client.post("/login", data={"email": person.email, "password": "password123"})
    assert response.status_code in (302, 303)
    return client


def _walk_ins(venue_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.venue_id == venue_id,
                                                         CheckIn.kind == CheckInKind.WALK_IN)))


def _rollup(venue_id: int, day) -> tuple[int, int, int]:
    db.session.expire_all()
    row = db.session.get(VenueDailyStats, (venue_id, day))
    return (row.visits, row.individual_visits, row.walk_ins) if row else (0, 0, 0)


def _rollup_equals_rebuild(venue_id: int, day) -> tuple[int, int, int]:
    """The day's (visits, individual, walk-ins) as counted live; a rebuild from the raw check-ins
    must give the same."""
    live = _rollup(venue_id, day)
    rebuild.rebuild_all()
    db.session.commit()
    assert _rollup(venue_id, day) == live
    return live


def _summary(client, day) -> dict:
    body = client.get("/api/v1/stats/summary", query_string={"from": day.isoformat(), "to": day.isoformat()})
    return body.get_json()


def test_a_party_registered_at_the_poster_then_admitted_on_its_ticket_is_counted_once(app, client, auth, day):
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=2)
    venue = booking.venue
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, venue, 2)
    with _at(day, 14, 45):
        gate = _signed_in(app, factories.gate_staff(venue))
        page = gate.post("/scan?lang=en", data={"code": tickets.code_for_booking(booking), "nonce": "n1"})
        totals = services.day_totals(venue.id, day)
        summary = _summary(client, day)
    assert (totals["checked_in"], totals["walk_ins"]) == (2, 0)
    assert (summary["visits"], summary["individual_visits"], summary["walk_ins"]) == (2, 2, 0)
    text = page.get_data(as_text=True)
    assert "Admitted" in text
    assert "registered 2 people at the walk-in poster earlier today" in text
    assert "counted once, on this ticket" in text
    assert _rollup_equals_rebuild(venue.id, day) == (2, 2, 0)
    [walk_in] = _walk_ins(venue.id)
    assert (walk_in.persons, walk_in.result, walk_in.reference) == (0, CheckInResult.OK, booking.reference)


def test_the_gate_api_says_which_walk_in_people_the_ticket_now_counts(app, client, auth, day):
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=3)
    with _at(day, 11):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 3, "senior")
    with _at(day, 15, 5):
        secret = factories.gate_token(booking.venue)
        body = client.post("/api/v1/checkins?lang=en", json={"code": tickets.code_for_booking(booking), "nonce": "a"},
                           headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert (body["result"], body["admitted"], body["headcount"]["persons"]) == ("ok", True, 3)
    assert body["replaced_walk_in"] == {"persons": 3}
    assert "registered 3 people at the walk-in poster earlier today" in body["message"]
    assert _rollup_equals_rebuild(booking.venue_id, day) == (3, 3, 0)


def test_a_ticket_confirming_a_smaller_headcount_takes_over_only_those_people(app, client, auth, day):
    """Typed at the gate with a headcount (the two-statement path): the walk-in keeps whoever the
    ticket does not admit."""
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=4)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 4)
    with _at(day, 15):
        secret = factories.gate_token(booking.venue)
        body = client.post("/api/v1/checkins", json={"code": booking.reference, "headcount": 3, "nonce": "h"},
                           headers={"Authorization": f"Bearer {secret}"}).get_json()
    assert (body["result"], body["headcount"]["persons"], body["replaced_walk_in"]) == ("ok", 3, {"persons": 3})
    assert _rollup_equals_rebuild(booking.venue_id, day) == (4, 3, 1)


def test_walk_in_people_beyond_the_ticket_stay_counted_as_walk_ins(app, client, auth, day):
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=2)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 5)
    with _at(day, 15):
        outcome = services.record_check_in(factories.gate_staff(booking.venue), tickets.code_for_booking(booking))
        db.session.commit()
    assert outcome.replaced_walk_in == 2
    assert [w.persons for w in _walk_ins(booking.venue_id)] == [3]
    assert _rollup_equals_rebuild(booking.venue_id, day) == (5, 2, 3)


def test_after_the_ticket_took_over_the_poster_says_the_visitor_is_checked_in(app, client, auth, day):
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 2)
    with _at(day, 15):
        services.record_check_in(factories.gate_staff(booking.venue), tickets.code_for_booking(booking))
        db.session.commit()
        url = f"/walk-in/{booking.venue_id}/{walkins.daily_token(booking.venue_id, day)}?lang=en"
        page = client.get(url).get_data(as_text=True)
    assert "You are already checked in today." in page and 'name="persons"' not in page


def test_one_account_registers_once_a_day_at_a_poster_whatever_phone_it_uses(app, day):
    citizen = factories.user("citizen")
    venue = factories.venue()
    with _at(day, 10):
        _register_at_poster(_signed_in(app, citizen), venue, 2)
        second = _register_at_poster(_signed_in(app, citizen), venue, 3)
    assert "Your account has already registered here today" in second.get_data(as_text=True)
    assert [w.persons for w in _walk_ins(venue.id)] == [2]


def test_an_anonymous_walk_in_cannot_be_matched_to_a_ticket_and_stays_counted(app, client, day):
    """Pins what does not change: a phone cookie tells the gate nothing about the booker."""
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=2)
    with _at(day, 10):
        _register_at_poster(client, booking.venue, 2)  # not signed in
    with _at(day, 15):
        outcome = services.record_check_in(factories.gate_staff(booking.venue), tickets.code_for_booking(booking))
        db.session.commit()
    assert outcome.replaced_walk_in == 0
    assert _rollup_equals_rebuild(booking.venue_id, day) == (4, 2, 2)


def test_a_walk_in_by_someone_else_is_not_taken_over_by_a_ticket(app, day):
    citizen, neighbour = factories.user("citizen"), factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=2)
    with _at(day, 10):
        _register_at_poster(_signed_in(app, neighbour), booking.venue, 2)
    with _at(day, 15):
        outcome = services.record_check_in(factories.gate_staff(booking.venue), tickets.code_for_booking(booking))
        db.session.commit()
    assert outcome.replaced_walk_in == 0
    assert _rollup_equals_rebuild(booking.venue_id, day) == (4, 2, 2)


# --- two gates at once ------------------------------------------------------------------------------------

def _gate_devices(venue, count: int) -> list[GateDevice]:
    from app.accounts.models import ApiToken, TokenKind

    for n in range(count):
        factories.gate_token(venue, name=f"闸机 {n + 1}")
    found = db.session.scalars(select(ApiToken).where(ApiToken.kind == TokenKind.GATE, ApiToken.venue_id == venue.id)
                               .order_by(ApiToken.id))
    return [GateDevice(token_id=t.id, venue_id=t.venue_id, name=t.name) for t in found]


def _scan(device: GateDevice, code: str, nonce: str):
    def job():
        outcome = services.record_check_in(device, code, nonce=nonce)
        return outcome.result.value, outcome.replaced_walk_in
    return job


def test_gates_scanning_the_ticket_at_once_take_over_the_walk_in_once(app, client, auth, day):
    citizen = factories.user("citizen")
    booking = _afternoon_ticket(day, citizen, party_size=3)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, booking.venue, 3)
    code = tickets.code_for_booking(booking)
    devices = _gate_devices(booking.venue, 4)
    with _at(day, 15):
        outcomes = race(app, [_scan(device, code, f"n{n}") for n, device in enumerate(devices)])
    assert sorted(outcomes) == [("already_checked_in", 0)] * 3 + [("ok", 3)], outcomes
    assert _rollup_equals_rebuild(booking.venue_id, day) == (3, 3, 0)


def test_two_tickets_of_one_booker_admitted_at_once_share_out_the_walk_in(app, client, auth, day):
    citizen = factories.user("citizen")
    lab = _afternoon_ticket(day, citizen, party_size=2)
    tour = _afternoon_ticket(day, citizen, venue=lab.venue, party_size=2)
    with _at(day, 10):
        auth.login(citizen.email)
        _register_at_poster(client, lab.venue, 3)
    devices = _gate_devices(lab.venue, 2)
    with _at(day, 15):
        outcomes = race(app, [_scan(devices[0], tickets.code_for_booking(lab), "lab"),
                              _scan(devices[1], tickets.code_for_booking(tour), "tour")])
    assert sorted(outcomes) == [("ok", 1), ("ok", 2)], outcomes
    assert [w.persons for w in _walk_ins(lab.venue_id)] == [0]
    assert _rollup_equals_rebuild(lab.venue_id, day) == (4, 4, 0)
