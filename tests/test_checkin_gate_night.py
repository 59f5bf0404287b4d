"""The gate after midnight: a ticket of last evening's ended visit is for another day, and says when
that visit ended; while a visit of the evening before is still admitting, the scanner's totals and latest scans are
of that visit's date, as its admissions are; and the day's totals stay what the bookings say."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.bookings import services as booking_services
from app.bookings.models import BookingStatus
from app.checkin import services, tickets, walkins
from app.checkin.models import CheckIn
from app.core.time import LOCAL_TZ, from_local, local_today
from app.extensions import db
from app.stats import rebuild
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def evening():
    """The date of the evening visits (tomorrow, so that they are bookable whenever the suite runs)."""
    return local_today() + timedelta(days=1)


def _at(day, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), LOCAL_TZ), tick=False)


def _visit(day, start: time, end: time, *, venue=None, party_size: int = 2, ends_next_day: bool = False):
    slot = factories.slot(venue, day=day, start=start, end=time(23, 0) if ends_next_day else end)
    if ends_next_day:
        slot.ends_at = from_local(datetime.combine(day + timedelta(days=1), end))
        db.session.commit()
    with _at(day, 9):
        return factories.confirmed_visit(slot, party_size=party_size)


def _scan(client, booking, lang: str = "en") -> dict:
    secret = factories.gate_token(booking.venue)
    response = client.post(f"/api/v1/checkins?lang={lang}", json={"code": tickets.code_for_booking(booking)},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()


def _signed_in_gate(app, venue):
    client = app.test_client()
    response = client.post("/login", data={"email": factories.gate_staff(venue).email, "password": "password123"})
    assert response.status_code in (302, 303)
    return client


# --- last evening's ticket after midnight --------------------------------------------------------------

@pytest.mark.parametrize(("lang", "said"), [("en", "This ticket was for the visit of"), ("zh", "21:00")])
def test_last_evenings_ended_ticket_scanned_at_01_30_is_for_another_day_naming_the_end(app, client, evening, lang,
                                                                                        said):
    # PRODUCT.md's gate contract: outside the window, another local day is wrong_date. The message says
    # the visit is over, not only "not today".
    booking = _visit(evening, time(19, 0), time(21, 0))
    with _at(evening + timedelta(days=1), 1, 30):
        body = _scan(client, booking, lang)
    assert (body["result"], body["admitted"]) == ("wrong_date", False)
    assert said in body["message"] and "21:00" in body["message"]
    if lang == "zh":
        assert "not today" not in body["message"] and "visit of" not in body["message"]


def test_an_overnight_visit_scanned_after_it_ended_is_too_late(app, client, evening):
    # Its days are the date it starts and the date it ends.
    booking = _visit(evening, time(20, 0), time(1, 0), ends_next_day=True)
    with _at(evening + timedelta(days=1), 1, 30):
        body = _scan(client, booking)
    assert body["result"] == "too_late"
    assert "ended at 01:00" in body["message"]


def test_last_evenings_ticket_the_next_morning_is_for_another_day(app, client, evening):
    booking = _visit(evening, time(19, 0), time(21, 0))
    with _at(evening + timedelta(days=1), 9, 0):
        body = _scan(client, booking)
    assert body["result"] == "wrong_date" and "This ticket was for the visit of" in body["message"]


def test_the_openapi_document_tells_when_a_ticket_is_for_another_day(client):
    result = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["CheckInOutcome"][
        "properties"]["result"]
    assert {"too_late", "wrong_date", "too_early"} <= set(result["enum"])
    assert "`wrong_date` on another day" in result["description"]


# --- the scanner page while a night visit admits after midnight ------------------------------------------

def _night_with_a_morning(evening):
    """A venue with a morning visit (3 people) and an observation night 20:00–01:00 (2 + 4 people) on
    ``evening``, and a morning visit (5 people) the day after: (night bookings, next morning's)."""
    morning = _visit(evening, time(9, 30), time(11, 0), party_size=3)
    venue = morning.venue
    night = [_visit(evening, time(20, 0), time(1, 0), venue=venue, party_size=n, ends_next_day=True) for n in (2, 4)]
    next_morning = _visit(evening + timedelta(days=1), time(9, 30), time(11, 0), venue=venue, party_size=5)
    return venue, night, next_morning


def test_after_midnight_the_scanner_totals_are_those_of_the_night_still_admitting(app, evening):
    venue, night, _ = _night_with_a_morning(evening)
    with _at(evening, 20, 10):
        gate = _signed_in_gate(app, venue)
        gate.post("/scan", data={"code": tickets.code_for_booking(night[0]), "nonce": "eve"})
    with _at(evening + timedelta(days=1), 0, 30):
        page = gate.post("/scan?lang=en", data={"code": tickets.code_for_booking(night[1]), "nonce": "late"})
        totals = gate.get("/scan/totals").get_json()
        text = page.get_data(as_text=True)
    # The night's date: its morning (3) and night (2 + 4) bookings, both night parties admitted.
    assert totals == {"booked": 9, "checked_in": 6, "expected": 3, "walk_ins": 0}
    assert "Admitted" in text
    assert re.search(r'id="totals-title">Visits of [^<]*</h2>', text)
    assert re.search(r'<dd data-total="checked_in">6</dd>', text)


def test_once_the_night_has_ended_the_scanner_totals_are_the_new_days(app, evening):
    venue, night, _ = _night_with_a_morning(evening)
    with _at(evening, 20, 10):
        gate = _signed_in_gate(app, venue)
        gate.post("/scan", data={"code": tickets.code_for_booking(night[0]), "nonce": "eve"})
    with _at(evening + timedelta(days=1), 1, 30):
        totals = gate.get("/scan/totals").get_json()
        text = gate.get("/scan?lang=en").get_data(as_text=True)
    assert totals == {"booked": 5, "checked_in": 0, "expected": 5, "walk_ins": 0}
    assert 'id="totals-title">Today</h2>' in text


def test_after_midnight_the_latest_scans_are_the_nights_from_the_evening_on(app, evening):
    venue, night, _ = _night_with_a_morning(evening)
    with _at(evening, 20, 10):
        gate = _signed_in_gate(app, venue)
        gate.post("/scan", data={"code": tickets.code_for_booking(night[0]), "gate": "晚场闸机", "nonce": "eve"})
    with _at(evening + timedelta(days=1), 0, 30):
        gate.post("/scan", data={"code": tickets.code_for_booking(night[1]), "gate": "午夜闸机", "nonce": "late"})
        text = gate.get("/scan?lang=en").get_data(as_text=True)
    recent = text.split('id="recent-title"', 1)[1]
    assert recent.startswith(">Latest scans since ")
    assert re.findall(r"(\w+闸机)</td>", recent) == ["午夜闸机", "晚场闸机"]


def test_a_ticket_admitted_after_midnight_says_its_walk_in_was_of_the_nights_date(app, client, auth, evening):
    citizen = factories.user("citizen")
    slot = factories.slot(day=evening, start=time(20, 0), end=time(23, 0))
    slot.ends_at = from_local(datetime.combine(evening + timedelta(days=1), time(1, 0)))
    db.session.commit()
    with _at(evening, 9):
        booking = factories.confirmed_visit(slot, citizen, party_size=2)
    with _at(evening, 19):
        auth.login(citizen.email)
        url = f"/walk-in/{slot.venue_id}/{walkins.daily_token(slot.venue_id, local_today())}"
        client.get(url)
        assert client.post(url, data={"persons": 2, "audience_group": "adult"}).status_code == 200
    with _at(evening + timedelta(days=1), 0, 30):
        body = _scan(client, booking)
    assert body["replaced_walk_in"] == {"persons": 2}
    assert "earlier today" not in body["message"]
    assert "registered 2 people at the walk-in poster on " in body["message"]


# --- the day's totals: the same figures, from the day's bookings only --------------------------------------

def _admitted_on(venue_id, day) -> dict:
    """What the gate admitted on ``day``, summed from the check-ins themselves."""
    rows = db.session.execute(sa.select(CheckIn.kind, sa.func.sum(CheckIn.persons))
                              .where(CheckIn.venue_id == venue_id, CheckIn.local_date == day, CheckIn.result == "ok")
                              .group_by(CheckIn.kind)).all()
    return {kind.value: int(persons) for kind, persons in rows}


def test_the_days_totals_count_each_status_as_before_and_nothing_of_other_days_or_venues(app):
    venue = factories.venue()
    day = local_today() + timedelta(days=5)  # classes book at least three days ahead
    morning = factories.slot(venue, day=day, capacity=60, audience="mixed")
    afternoon = factories.slot(venue, day=day, start=time(14), end=time(16), capacity=60, audience="mixed")
    for size in (1, 2):
        factories.confirmed_visit(morning, party_size=size)  # still expected: 3
    class_visit = factories.confirmed_visit(morning, factories.user("teacher"), students=20, adults=2)
    admitted = factories.confirmed_visit(afternoon, party_size=4)
    no_show = factories.confirmed_visit(afternoon, party_size=5)
    citizen = factories.user("citizen")
    booking_services.cancel_booking(citizen, factories.confirmed_visit(afternoon, citizen, party_size=3))
    factories.booked_visit(afternoon, factories.user("teacher"), students=25, adults=2,
                           now=afternoon.starts_at - timedelta(days=4))  # awaiting approval: not booked yet
    # Other days and other venues count nothing here.
    factories.confirmed_visit(factories.slot(venue, day=day + timedelta(days=1)), party_size=5)
    factories.confirmed_visit(factories.slot(day=day), party_size=5)
    staff = factories.gate_staff(venue)
    services.record_check_in(staff, admitted.reference, now=afternoon.starts_at + timedelta(minutes=1))
    # A class that came 18 + 2 of 20 + 2: its booking's 22 places are booked, 20 people checked in.
    services.record_check_in(staff, class_visit.reference, now=morning.starts_at,
                             headcount=services.Headcount(students=18, adults=2))
    factories.walk_in(venue, persons=3, when=morning.starts_at + timedelta(minutes=30))
    no_show.status = BookingStatus.NO_SHOW
    db.session.commit()
    totals = services.day_totals(venue.id, day)
    assert totals == {"booked": 3 + 22 + 4 + 5, "expected": 3, "checked_in": 4 + 20, "walk_ins": 3}
    assert _admitted_on(venue.id, day) == {"ticket": totals["checked_in"], "walk_in": totals["walk_ins"]}
    rebuild.rebuild_all()
    db.session.commit()
    assert services.day_totals(venue.id, day) == totals


def test_the_days_totals_read_the_days_bookings_through_the_slot_index_on_postgresql(app, is_postgres):
    """Not every booking the venue ever had: the day's slots (by an index on their day: the venue-date
    one or, on tables this small, the day's own), then their bookings by slot."""
    if not is_postgres:
        pytest.skip("the query plan asked for is PostgreSQL's")
    slot = factories.slot()
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "FROM bookings" in statement and "sum(" in statement:
            seen.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        services.day_totals(slot.venue_id, slot.local_date)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    [(statement, parameters)] = seen
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the tables are tiny here
    plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    assert "ix_bookings_slot_status" in plan, plan
    assert "ix_slots_venue_date" in plan or "ix_slots_local_date" in plan, plan
