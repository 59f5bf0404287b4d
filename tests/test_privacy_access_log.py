"""The log of who viewed or exported personal data, and the city admin's page that reads it."""
from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.extensions import db
from app.privacy.services import record_access
from tests import factories


def test_record_access_logs_a_booking_with_its_booker(app):
    manager, person = factories.user(Role.VENUE_MANAGER), factories.user(Role.CITIZEN)
    booking = factories.booked_visit(factories.slot(days_ahead=3), person)
    row = record_access(manager, "view_booking", booking)
    db.session.commit()
    assert (row.actor_id, row.booking_id, row.subject_user_id, row.action) == (
        manager.id, booking.id, person.id, "view_booking")


def test_record_access_refuses_an_unknown_action(app):
    with pytest.raises(ValueError):
        record_access(factories.user(Role.CITY_ADMIN), "peek")


def test_the_city_admin_reads_the_log(client, auth):
    admin, manager = factories.user(Role.CITY_ADMIN), factories.user(Role.VENUE_MANAGER)
    person = factories.user(Role.CITIZEN)
    record_access(manager, "view_booking_list", detail="venue 7")
    record_access(admin, "view_teacher_queue")
    record_access(person, "export_own_data", person)
    db.session.commit()
    auth.login(admin.email)
    page = client.get("/admin/privacy/access-log")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "venue 7" in text
    assert text.count("<tr>") == 4  # a header and three rows


def test_the_log_filters_by_actor_and_by_subject(client, auth):
    admin, manager = factories.user(Role.CITY_ADMIN), factories.user(Role.VENUE_MANAGER)
    person = factories.user(Role.CITIZEN)
    record_access(manager, "view_booking_list", detail="by-manager")
    record_access(person, "export_own_data", person, detail="by-person")
    db.session.commit()
    auth.login(admin.email)
    by_actor = client.get(f"/admin/privacy/access-log?actor={manager.id}").get_data(as_text=True)
    assert "by-manager" in by_actor and "by-person" not in by_actor
    by_subject = client.get(f"/admin/privacy/access-log?subject={person.id}").get_data(as_text=True)
    assert "by-person" in by_subject and "by-manager" not in by_subject


def test_a_nonsense_filter_or_page_is_no_error(client, auth):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.get("/admin/privacy/access-log?actor=abc&subject=99999999999999&page=-4").status_code == 200


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.TEACHER, Role.VENUE_STAFF, Role.VENUE_MANAGER,
                                  Role.DISTRICT_ADMIN])
def test_only_the_city_admin_may_read_the_log(client, auth, role):
    auth.login(factories.user(role).email)
    assert client.get("/admin/privacy/access-log").status_code == 403


def test_the_log_needs_a_login(client):
    response = client.get("/admin/privacy/access-log")
    assert response.status_code in (302, 303)
