"""An admission that lands on a day a refresh already settled (a night visit scanned after midnight,
an offline gate's upload of an earlier day) shows at once in every period holding that day, the
whole months and the year read from the monthly rollups included, as a rebuild from the raw
check-ins would give them: never an undercount until the next refresh."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from app.checkin import tickets
from app.core.time import LOCAL_TZ, local_today
from tests import factories

FIGURES = ("visits", "individual_visits", "bookings", "school_groups", "students")


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")
    app.config["STATS_CACHE_SECONDS"] = 0


@pytest.fixture
def night() -> date:
    """The evening of the night visit: the 15th of a month ahead (not the 1st, so that the month's
    row and days around it are both read), so that its slots are bookable whenever the suite runs."""
    ahead = local_today() + timedelta(days=45)
    return ahead.replace(day=15)


def _at(day: date, hour: int, minute: int = 0):
    return time_machine.travel(datetime.combine(day, time(hour, minute), LOCAL_TZ), tick=False)


def _cli(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=list(args), env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _publish(client, manager_secret: str, venue_id: int, start: datetime, end: datetime, capacity: int = 30) -> int:
    response = client.post(f"/api/v1/venues/{venue_id}/slots", headers=_bearer(manager_secret),
                           json={"start": start.isoformat(), "end": end.isoformat(), "capacity": capacity,
                                 "audience": "public"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def _book(client, citizen_secret: str, slot_id: int, party: int) -> str:
    response = client.post("/api/v1/bookings", headers=_bearer(citizen_secret),
                           json={"slot_id": slot_id, "party_size": party})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["code"]


def _check_in(client, gate_secret: str, code: str, nonce: str) -> None:
    response = client.post("/api/v1/checkins", headers=_bearer(gate_secret), json={"code": code, "nonce": nonce})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["result"] == "ok", response.get_json()


def _periods(day: date) -> dict[str, tuple[date, date]]:
    month = day.replace(day=1)
    return {"day": (day, day), "from the 2nd": (month + timedelta(days=1), day + timedelta(days=1)),
            "month so far": (month, day + timedelta(days=1)), "day and after": (day, day + timedelta(days=1)),
            "whole month": (month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
            "year": (date(day.year, 1, 1), date(day.year, 12, 31))}


def _summary(client, venue_id: int, first: date, last: date) -> dict:
    response = client.get("/api/v1/stats/summary", query_string={"from": first.isoformat(), "to": last.isoformat(),
                                                                  "venue": venue_id})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return {name: body.get(name) for name in FIGURES}


def _figures(client, venue_id: int, day: date) -> dict:
    return {name: _summary(client, venue_id, *period) for name, period in _periods(day).items()}


def _equal_to_a_rebuild(app, client, venue_id: int, day: date) -> dict:
    live = _figures(client, venue_id, day)
    _cli(app, "stats", "rebuild")
    assert _figures(client, venue_id, day) == live
    return live


def _settled_venue(app, client, night: date):
    """A venue with a morning visit of 4 on ``night``'s day and a 23:00–01:00 night slot booked by a
    party of 3; at 00:05 the next day the day is closed and the statistics refreshed."""
    venue = factories.venue()
    manager_user = factories.user("venue_manager", venue=venue)
    with _at(night - timedelta(days=3), 10):
        manager, citizen = factories.user_token(manager_user), factories.user_token(factories.user())
        morning = _publish(client, manager, venue.id, datetime.combine(night, time(10), LOCAL_TZ),
                           datetime.combine(night, time(12), LOCAL_TZ))
        morning_code = _book(client, citizen, morning, 4)
    with _at(night, 22):
        manager, other = factories.user_token(manager_user), factories.user_token(factories.user())
        late = _publish(client, manager, venue.id, datetime.combine(night, time(23), LOCAL_TZ),
                        datetime.combine(night + timedelta(days=1), time(1), LOCAL_TZ))
        night_code = _book(client, other, late, 3)
    with _at(night, 10, 5):
        gate = factories.gate_token(venue)
        _check_in(client, gate, morning_code, "morning-1")
    with _at(night + timedelta(days=1), 0, 5):
        _cli(app, "bookings", "close-day")
        _cli(app, "stats", "refresh")
    return venue, gate, night_code


def test_a_night_visit_admitted_after_the_refresh_counts_in_every_period_of_its_day(app, client, night):
    venue, gate, night_code = _settled_venue(app, client, night)
    with _at(night + timedelta(days=1), 0, 30):
        before = _figures(client, venue.id, night)
        assert {name: figures["visits"] for name, figures in before.items()} == {
            "day": 4, "from the 2nd": 4, "month so far": 4, "day and after": 4, "whole month": 4, "year": 4}
        _check_in(client, gate, night_code, "night-1")  # counts on the slot's day, settled at 00:05
        after = _equal_to_a_rebuild(app, client, venue.id, night)
    assert {name: figures["visits"] for name, figures in after.items()} == {
        "day": 7, "from the 2nd": 7, "month so far": 7, "day and after": 7, "whole month": 7, "year": 7}
    assert {name: figures["individual_visits"] for name, figures in after.items()} == dict.fromkeys(after, 7)
    assert {name: figures["bookings"] for name, figures in after.items()} == dict.fromkeys(after, 2)


def test_the_figures_stay_those_of_a_rebuild_through_the_next_refresh(app, client, night):
    venue, gate, night_code = _settled_venue(app, client, night)
    with _at(night + timedelta(days=1), 0, 30):
        _check_in(client, gate, night_code, "night-1")
        live = _figures(client, venue.id, night)
    with _at(night + timedelta(days=2), 0, 5):
        _cli(app, "stats", "refresh")
        assert _figures(client, venue.id, night) == live
        assert _equal_to_a_rebuild(app, client, venue.id, night) == live


def test_an_offline_gates_upload_of_a_settled_day_counts_in_its_month_and_year(app, client, night):
    venue = factories.venue()
    slot = factories.slot(venue, day=night, start=time(14), end=time(16))
    booking = factories.confirmed_visit(slot, party_size=5)
    code = tickets.code_for_booking(booking)
    scanned = datetime.combine(night, time(14, 10), LOCAL_TZ)
    with _at(night + timedelta(days=2), 0, 5):
        _cli(app, "bookings", "close-day", "--date", (night + timedelta(days=1)).isoformat())
        _cli(app, "stats", "refresh")
    with _at(night + timedelta(days=2), 9):  # the gate comes back online two days later
        gate = factories.gate_token(venue)
        assert _summary(client, venue.id, *_periods(night)["whole month"])["visits"] == 0
        response = client.post("/api/v1/checkins/batch", headers=_bearer(gate),
                               json={"scans": [{"code": code, "nonce": "offline-1",
                                                "scanned_at": scanned.isoformat()}]})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["results"][0]["result"] == "ok", response.get_json()
        after = _equal_to_a_rebuild(app, client, venue.id, night)
    assert {name: figures["visits"] for name, figures in after.items()} == dict.fromkeys(after, 5)
    assert {name: figures["bookings"] for name, figures in after.items()} == dict.fromkeys(after, 1)
