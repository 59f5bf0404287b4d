"""`flask privacy purge --older-than …`: old bookings lose what identifies the booker; every
statistic (the API summary, the open data, the rollups) stays exactly the same."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.bookings.models import Booking
from app.checkin.models import CheckIn
from app.core.time import utcnow
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from app.privacy.purge import cutoff_for
from app.stats.models import (SchoolDailyVisits, VenueDailyStats, VenueDailySupply, VenueMonthlyStats,
                              VenueMonthlySupply)
from app.stats.opendata import DATASETS
from tests import factories

ROLLUPS = (VenueDailyStats, VenueMonthlyStats, SchoolDailyVisits, VenueDailySupply, VenueMonthlySupply)


def _rollups() -> dict:
    """Every rollup row, without its bookkeeping timestamps."""
    tables = {}
    for model in ROLLUPS:
        columns = [c for c in model.__table__.columns if not c.name.endswith("_at")]
        rows = db.session.execute(select(*columns)).all()
        tables[model.__tablename__] = sorted(tuple(str(v) for v in row) for row in rows)
    return tables


def _figures(client, scenario) -> dict:
    period = {"from": scenario["day_a"].isoformat(), "to": scenario["day_b"].isoformat()}
    figures = {"summary": client.get("/api/v1/stats/summary", query_string=period).get_json(),
               "summary_all": client.get("/api/v1/stats/summary").get_json(),
               "venue_a": client.get("/api/v1/stats/summary",
                                     query_string={**period, "venue": scenario["a"].id}).get_json(),
               "rollups": _rollups()}
    for dataset in DATASETS:
        figures[f"open-data/{dataset.name}.csv"] = client.get(f"/open-data/{dataset.name}.csv").data
    return figures


def _purge(app, age="1d"):
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--older-than", age], env={"LC_ALL": "en_US.UTF-8"})
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_keeps_every_statistic_the_same(app, client, scenario):
    before = _figures(client, scenario)
    assert before["summary"]["visits"] > 0
    _purge(app)
    db.session.expire_all()
    assert _figures(client, scenario) == before


def test_statistics_rebuilt_after_the_purge_are_the_same(app, client, scenario):
    before = _figures(client, scenario)
    _purge(app)
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _figures(client, scenario) == before


def test_purge_strips_bookers_class_names_and_reasons(app, scenario):
    _purge(app)
    db.session.expire_all()
    old = db.session.scalars(select(Booking)).all()
    assert old
    assert all(b.user_id is None and b.class_name is None and b.class_key is None and b.request_key is None
               for b in old)
    assert all(b.cancel_reason == "" and b.decline_reason == "" for b in old)
    assert sum(b.students or 0 for b in old) == 30 + 12 + 25  # as booked (24 came)


def test_purge_deletes_old_messages_only(app, scenario):
    old_count = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    assert old_count
    db.session.execute(OutboxMessage.__table__.update().values(created_at=datetime(2020, 1, 1)))
    db.session.commit()
    recent = factories.booked_visit(factories.slot(days_ahead=3), factories.user(Role.CITIZEN))
    _purge(app)
    db.session.expire_all()
    left = db.session.scalars(select(OutboxMessage)).all()
    assert left and all(m.booking_id == recent.id for m in left)


def _viewed_by_the_manager(client, auth, bookings) -> None:
    """A manager of each booking's venue opens it: the access log pairs the booking with its booker."""
    for booking in bookings:
        auth.login(factories.user(Role.VENUE_MANAGER, venue=booking.venue).email)
        assert client.get(f"/bookings/{booking.id}").status_code == 200
        auth.logout()


def test_purge_unlinks_the_access_log_from_the_bookings_it_anonymises(app, client, auth, scenario):
    old = db.session.scalars(select(Booking).where(Booking.user_id.isnot(None))).all()
    _viewed_by_the_manager(client, auth, old)
    bookers = {b.id: b.user_id for b in old}
    _purge(app)
    db.session.expire_all()
    rows = db.session.scalars(select(PersonalDataAccess).where(PersonalDataAccess.action == "view_booking")).all()
    # Who looked, and when, stays; which booking (and so whose, once the booking is anonymous) goes.
    assert len(rows) == len(old) and all(r.actor_id for r in rows)
    assert all(r.booking_id is None for r in rows)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    for booking_id, booker_id in bookers.items():
        page = client.get(f"/admin/privacy/access-log?subject={booker_id}").get_data(as_text=True)
        assert f"<td>{booking_id}</td>" not in page


def test_purge_keeps_the_booking_link_of_recent_visits(app, client, auth, scenario):
    recent = factories.booked_visit(factories.slot(days_ahead=3), factories.user(Role.CITIZEN))
    _viewed_by_the_manager(client, auth, [recent])
    _purge(app)
    assert db.session.scalar(select(PersonalDataAccess.booking_id).where(
        PersonalDataAccess.action == "view_booking")) == recent.id


def test_purge_leaves_recent_and_future_bookings_alone(app, scenario):
    person = factories.user(Role.CITIZEN)
    future = factories.booked_visit(factories.slot(days_ahead=3), person)
    _purge(app, "18m")  # the scenario's visits are days old: nothing is old enough
    db.session.expire_all()
    assert db.session.get(Booking, future.id).user_id == person.id
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.user_id.isnot(None))) > 1


def test_purge_is_idempotent(app, client, scenario):
    first = _purge(app)
    assert "0 bookings anonymised" not in first
    figures = _figures(client, scenario)
    second = _purge(app)
    assert "0 bookings anonymised and 0 messages deleted" in second
    db.session.expire_all()
    assert _figures(client, scenario) == figures


def test_purge_prints_a_one_line_summary(app, scenario):
    output = _purge(app)
    assert output.strip().splitlines()[-1].startswith("Privacy purge: ")


def test_purge_refuses_a_bad_age(app):
    result = app.test_cli_runner().invoke(args=["privacy", "purge", "--older-than", "soon"])
    assert result.exit_code != 0
    assert "--older-than" in result.output


@pytest.mark.parametrize("age, expected", [
    ("18m", datetime(2025, 2, 28, 12)), ("540d", datetime(2025, 3, 9, 12)), ("2y", datetime(2024, 8, 31, 12)),
    ("6m", datetime(2026, 2, 28, 12)),
])
def test_ages_count_back_in_days_months_and_years(age, expected):
    assert cutoff_for(age, datetime(2026, 8, 31, 12)) == expected


# --- accounts a venue closed by removing the person from its staff --------------------------------

def _removed_from_staff(client, auth, venue, *, days_ago: int):
    """The venue's gate staff member (who admitted the scenario's visits) removed by its manager through
    the staff page, ``days_ago`` days ago: their account is closed, name, email and phone still kept.
    Returns the account's id and email address."""
    member = factories.gate_staff(venue)
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    assert client.post(f"/manage/staff/{member.id}/remove").status_code == 302
    auth.logout()
    db.session.execute(sa.update(PersonalDataAccess).where(PersonalDataAccess.action == "remove_venue_staff")
                       .values(at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()
    return member.id, member.email


def _people_found(client, auth, text: str) -> str:
    """What the city admin's people search finds for ``text``: its count line."""
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get("/admin/people", query_string={"q": text, "lang": "en"}).get_data(as_text=True)
    auth.logout()
    return re.search(r"\d+ accounts? found\.", page).group(0)


def test_purge_deletes_staff_accounts_closed_longer_than_the_retention(app, client, auth, scenario):
    member_id, email = _removed_from_staff(client, auth, scenario["a"], days_ago=600)
    assert _people_found(client, auth, email) == "1 account found."
    before = _figures(client, scenario)

    output = _purge(app, "18m")

    db.session.expire_all()
    assert db.session.get(User, member_id) is None
    assert _people_found(client, auth, email) == "0 accounts found."
    assert "1 closed account deleted" in output.strip().splitlines()[-1]
    # What they did at the gate stays as counts, naming no one.
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.user_id == member_id)) == 0
    assert _figures(client, scenario) == before


def test_statistics_rebuilt_after_closed_accounts_are_deleted_are_the_same(app, client, auth, scenario):
    _removed_from_staff(client, auth, scenario["a"], days_ago=600)
    _removed_from_staff(client, auth, scenario["b"], days_ago=600)
    before = _figures(client, scenario)
    assert "2 closed accounts deleted" in _purge(app, "18m")
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _figures(client, scenario) == before


def test_purge_keeps_a_staff_account_closed_more_recently_than_the_retention(app, client, auth, scenario):
    member_id, email = _removed_from_staff(client, auth, scenario["a"], days_ago=30)

    output = _purge(app, "18m")

    assert "0 closed accounts deleted" in output
    assert db.session.get(User, member_id, populate_existing=True).email == email


def test_purge_keeps_a_former_member_a_venue_has_taken_on_again(app, client, auth, scenario):
    member_id, email = _removed_from_staff(client, auth, scenario["a"], days_ago=600)
    auth.login(factories.user(Role.VENUE_MANAGER, venue=scenario["b"]).email)
    assert client.post("/manage/staff", data={"name": "回来了", "email": email}).status_code == 302
    auth.logout()

    _purge(app, "18m")

    person = db.session.get(User, member_id, populate_existing=True)
    assert person is not None and person.role == Role.VENUE_STAFF and person.venue_id == scenario["b"].id
