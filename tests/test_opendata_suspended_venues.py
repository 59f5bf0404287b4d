"""Open data keeps the published past of a venue that is no longer open: suspending a venue leaves
it in the venue registry (marked by its ``status``), and leaves its held themed events published;
it is still neither listed in the public directory nor bookable."""
from __future__ import annotations

import csv
import io
from datetime import time

from app.accounts.models import Role
from app.extensions import db
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import XUANWU


def csv_rows(client, name: str) -> list[dict]:
    response = client.get(f"/open-data/{name}.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def suspend(client, auth, venue, reason: str = "消防安全检查") -> None:
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=venue.district_code).email)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": reason}).status_code == 302
    auth.logout()


def reinstate(client, auth, venue) -> None:
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=venue.district_code).email)
    assert client.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302
    auth.logout()


def test_a_suspended_venue_stays_in_the_venue_registry_marked_suspended(client, auth, scenario):
    a, b = scenario["a"], scenario["b"]
    suspend(client, auth, a)
    rows = {int(r["venue_id"]): r for r in csv_rows(client, "venues")}
    assert set(rows) == {a.id, b.id}
    assert rows[a.id]["status"] == "suspended" and rows[b.id]["status"] == "approved"
    assert rows[a.id]["name_zh"] == a.name_zh and rows[a.id]["themes"] == "astronomy"
    # Not open now: out of the public directory, its page and its API record, and not bookable.
    assert a.name_zh not in client.get("/venues").get_data(as_text=True)
    assert client.get(f"/venues/{a.id}").status_code == 404
    assert client.get(f"/api/v1/venues/{a.id}").status_code == 404


def test_every_venue_of_the_attendance_datasets_is_found_in_the_venue_registry(client, auth, scenario):
    suspend(client, auth, scenario["a"])
    registry = {r["venue_id"] for r in csv_rows(client, "venues")}
    daily = {r["venue_id"] for r in csv_rows(client, "attendance-daily")}
    assert scenario["a"].id in {int(v) for v in daily} and daily <= registry


def test_a_venue_back_in_review_after_a_move_stays_in_the_registry(client, app):
    moved = factories.venue(name_zh="迁址待审馆", status=VenueStatus.SUBMITTED)
    moved.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED),
                            VenueStatusChange(from_status=VenueStatus.APPROVED, to_status=VenueStatus.SUBMITTED)]
    factories.venue(name_zh="从未登记的草稿馆", status=VenueStatus.DRAFT)
    factories.venue(name_zh="未通过审核馆", status=VenueStatus.REJECTED)
    db.session.commit()
    rows = csv_rows(client, "venues")
    assert [(r["name_zh"], r["status"]) for r in rows] == [("迁址待审馆", "submitted")]


def test_a_suspended_venues_held_themed_events_stay_published_but_not_its_coming_sessions(client, auth, app):
    venue = factories.venue(district_code=XUANWU)
    held = factories.program(venue, themed_day_key="science_day", title_zh="科普日天文夜")
    past = factories.slot(venue, days_ahead=-3, start=time(19), end=time(21), program_id=held.id)
    factories.slot(venue, days_ahead=5, start=time(19), end=time(21), program_id=held.id)
    coming = factories.program(venue, themed_day_key="science_week", title_zh="科技周实验秀")
    factories.slot(venue, days_ahead=6, program_id=coming.id)
    for size in (5, 4, 3):
        factories.admitted_visit(past, party_size=size)
    before = {r["event_id"]: r for r in csv_rows(client, "themed-events")}
    assert before[str(held.id)]["sessions"] == "2" and str(coming.id) in before

    suspend(client, auth, venue)
    [row] = csv_rows(client, "themed-events")
    assert (row["event_id"], row["title_zh"], row["venue_id"]) == (str(held.id), "科普日天文夜", str(venue.id))
    assert (row["sessions"], row["last_date"], row["attendance"]) == ("1", past.local_date.isoformat(), "12")
    assert "科技周实验秀" not in client.get("/events").get_data(as_text=True)

    reinstate(client, auth, venue)  # the suspension cancelled the coming sessions: they stay cancelled
    assert {r["event_id"]: r["sessions"] for r in csv_rows(client, "themed-events")} == {str(held.id): "1"}
