"""Only a venue's own manager reaches its publishing pages; everybody else is refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import BookingRules
from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure, Program, Schedule, Slot
from tests import factories

GET_PAGES = ["/manage/programs", "/manage/programs/new", "/manage/slots", "/manage/slots/new",
             "/manage/schedules/new", "/manage/closures", "/manage/rules"]


def object_pages(slot, program) -> list[tuple[str, str, dict]]:
    day = (local_today() + timedelta(days=3)).isoformat()
    return [
        ("get", f"/manage/slots/{slot.id}", {}),
        ("post", f"/manage/slots/{slot.id}/capacity", {"capacity": "1"}),
        ("post", f"/manage/slots/{slot.id}/cancel", {"reason": "x"}),
        ("get", f"/manage/programs/{program.id}/edit", {}),
        ("post", f"/manage/programs/{program.id}/edit", {"kind": "lecture", "title_zh": "改", "grade_min": "0",
                                                         "grade_max": "12", "language": "zh"}),
    ], [
        ("post", "/manage/programs/new", {"kind": "lecture", "title_zh": "新", "grade_min": "0", "grade_max": "12",
                                          "language": "zh"}),
        ("post", "/manage/slots/new", {"day": day, "start": "09:00", "end": "10:00", "audience": "public",
                                       "capacity": "5", "admission": "free"}),
        ("post", "/manage/schedules/new", {"starts_on": day, "ends_on": day, "weekdays": [str(d) for d in range(1, 8)],
                                           "sessions": "09:00-10:00", "audience": "public", "capacity": "5",
                                           "admission": "free"}),
        ("post", "/manage/closures", {"starts_on": day, "reason_zh": "闭馆"}),
        ("post", "/manage/rules", {"public_window_days": "3"}),
    ]


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Slot, Program, Schedule, Closure, BookingRules))


@pytest.fixture
def venue_setup(app):
    venue = factories.venue()
    slot = factories.slot(venue, days_ahead=3, capacity=10)
    program = factories.program(venue)
    return venue, slot, program


def test_anonymous_visitors_are_sent_to_log_in(client, venue_setup):
    _venue, slot, program = venue_setup
    own, general = object_pages(slot, program)
    for url in GET_PAGES + [url for method, url, _ in own if method == "get"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]
    for method, url, data in own + general:
        if method == "post":
            assert client.post(url, data=data).status_code == 302, url


@pytest.mark.parametrize("role", ["citizen", "teacher", "venue_staff", "district_admin", "city_admin"])
def test_people_who_do_not_manage_a_venue_are_refused_every_publishing_page(client, auth, venue_setup, role):
    _venue, slot, program = venue_setup
    auth.login(factories.user(role).email)
    before = counts()
    for url in GET_PAGES:
        assert client.get(url).status_code == 403, url
    own, general = object_pages(slot, program)
    for method, url, data in own + general:
        assert getattr(client, method)(url, data=data).status_code == 403, url
    assert counts() == before


def test_another_venues_manager_is_refused_this_venues_slots_and_programs(client, auth, venue_setup):
    _venue, slot, program = venue_setup
    auth.login(factories.user("venue_manager").email)
    own, _general = object_pages(slot, program)
    for method, url, data in own:
        assert getattr(client, method)(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(Slot, slot.id).capacity == 10
    assert db.session.get(Program, program.id).title_zh != "改"


def test_another_venues_manager_publishes_only_to_their_own_venue(client, auth, venue_setup):
    venue, _slot, _program = venue_setup
    other = factories.user("venue_manager")
    auth.login(other.email)
    day = (local_today() + timedelta(days=3)).isoformat()
    client.post("/manage/slots/new", data={"day": day, "start": "09:00", "end": "10:00", "audience": "public",
                                           "capacity": "5", "admission": "free"})
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.venue_id == venue.id)) == 1
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.venue_id == other.venue_id)) == 1


def test_a_manager_without_a_venue_is_asked_to_register_it_first(client, auth, app):
    from app.accounts.services import create_user

    create_user(email="new-manager@example.com", password="password123", name="新馆长", role="venue_manager",
                phone="13800009999", consent=True)
    db.session.commit()
    auth.login("new-manager@example.com")
    assert client.get("/manage/slots").status_code == 403


def test_unknown_slots_and_programs_are_not_found(client, auth, app):
    auth.login(factories.user("venue_manager").email)
    assert client.get("/manage/slots/999999").status_code == 404
    assert client.get("/manage/programs/999999/edit").status_code == 404
