"""Who made a class booking is shown to the teacher and to the venue that receives the class, never to
the administrators overseeing it; a page that shows the booker to the venue is in the access log."""
from __future__ import annotations

import json

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.privacy.models import PersonalDataAccess
from tests import factories


def _class_booking(*, confirmed: bool = True):
    teacher = factories.user(Role.TEACHER, name="赵老师", phone="13912340000")
    slot = factories.slot(days_ahead=6, audience="school")
    booking = (factories.confirmed_visit if confirmed else factories.booked_visit)(slot, teacher)
    return teacher, booking


def test_an_administrator_reading_a_class_slip_is_not_shown_the_teacher(client, auth):
    _teacher, booking = _class_booking()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/bookings/{booking.id}/slip")
    assert page.status_code == 200
    assert "赵老师" not in page.get_data(as_text=True)


def test_the_teacher_and_the_venue_see_the_teacher_on_the_slip(client, auth):
    teacher, booking = _class_booking()
    for person in (teacher, factories.user(Role.VENUE_MANAGER, venue=booking.venue)):
        auth.login(person.email)
        assert "赵老师" in client.get(f"/bookings/{booking.id}/slip").get_data(as_text=True)
        auth.logout()


def test_opening_the_decline_page_of_a_class_request_is_in_the_access_log(client, auth):
    teacher, booking = _class_booking(confirmed=False)
    manager = factories.user(Role.VENUE_MANAGER, venue=booking.venue)
    auth.login(manager.email)
    page = client.get(f"/manage/bookings/{booking.id}/decline?lang=en")
    assert page.status_code == 200
    assert "赵老师" in page.get_data(as_text=True) and "139****0000" in page.get_data(as_text=True)
    rows = db.session.execute(select(PersonalDataAccess.actor_id, PersonalDataAccess.action,
                                     PersonalDataAccess.booking_id, PersonalDataAccess.subject_user_id)).all()
    assert (manager.id, "view_booking", booking.id, teacher.id) in rows


def _views_logged() -> list[tuple]:
    return db.session.execute(select(PersonalDataAccess.actor_id, PersonalDataAccess.action,
                                     PersonalDataAccess.booking_id)).all()


def test_the_slip_of_an_individual_booking_is_not_found_and_not_logged_as_viewed(client, auth):
    citizen = factories.user(Role.CITIZEN)
    booking = factories.confirmed_visit(factories.slot(days_ahead=3), citizen)
    auth.login(factories.user(Role.VENUE_MANAGER, venue=booking.venue).email)

    assert client.get(f"/bookings/{booking.id}/slip").status_code == 404

    assert _views_logged() == []
    auth.logout()
    auth.login(citizen.email)
    download = json.loads(client.post("/me/data").get_data(as_text=True))
    assert download["viewed_by"] == []


def test_the_venue_opening_a_class_slip_is_logged_as_viewing_the_booking(client, auth):
    _teacher, booking = _class_booking()
    manager = factories.user(Role.VENUE_MANAGER, venue=booking.venue)
    auth.login(manager.email)

    assert client.get(f"/bookings/{booking.id}/slip").status_code == 200

    assert (manager.id, "view_booking", booking.id) in _views_logged()


def test_the_venue_refused_a_change_only_the_booker_makes_is_not_logged_as_viewing_the_booking(client, auth):
    _teacher, booking = _class_booking()
    auth.login(factories.user(Role.VENUE_MANAGER, venue=booking.venue).email)

    assert client.get(f"/bookings/{booking.id}/cancel").status_code == 403
    assert client.post(f"/bookings/{booking.id}/headcount", data={"students": 20, "adults": 2}).status_code == 403

    assert _views_logged() == []
