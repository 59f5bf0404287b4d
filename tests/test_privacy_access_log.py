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


def test_the_chinese_log_names_the_page_of_the_teacher_queue_in_chinese(client, auth):
    admin = factories.user(Role.CITY_ADMIN)
    auth.login(admin.email)
    client.get("/admin/teachers")

    text = client.get("/admin/privacy/access-log?lang=zh").get_data(as_text=True)

    assert "查看了教师待审核名单" in text and "第 1 页" in text
    assert "page 1" not in text


def test_the_chinese_log_names_the_venue_of_a_booking_list_in_chinese(client, auth):
    manager = factories.user(Role.VENUE_MANAGER)
    auth.login(manager.email)
    client.get("/manage/bookings")
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)

    text = client.get("/admin/privacy/access-log?lang=zh").get_data(as_text=True)

    assert f"场馆 {manager.venue_id}" in text and f"venue {manager.venue_id}" not in text
    assert f"venue {manager.venue_id}" in client.get("/admin/privacy/access-log?lang=en").get_data(as_text=True)


def test_the_chinese_log_names_the_fields_a_person_corrected_in_chinese(client, auth):
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    client.post("/me/profile", data={"name": "改名", "phone": "13987654321", "email": person.email,
                                     "current_password": ""})
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)

    text = client.get("/admin/privacy/access-log?lang=zh").get_data(as_text=True)

    assert "姓名、手机号码" in text and "name, phone" not in text


def test_details_logged_with_an_english_word_lose_it_on_upgrade(tmp_path):
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import make_config
    from tests.test_migrations import _fresh_database

    url, drop = _fresh_database(tmp_path)
    app = create_app(make_config(url))
    try:
        with app.app_context():
            upgrade(revision="8489b5223349")  # details still written "page 2", "venue 7"
            rows = [("view_teacher_queue", "page 2"), ("view_booking_list", "venue 7"),
                    ("correct_own_data", "name, phone")]
            with db.engine.begin() as conn:
                for action, detail in rows:
                    conn.execute(sa.text("insert into personal_data_access (at, action, detail) "
                                         "values ('2026-01-01 00:00:00', :action, :detail)"),
                                 {"action": action, "detail": detail})
            upgrade()
            details = lambda: sorted(db.session.execute(  # noqa: E731
                sa.text("select action, detail from personal_data_access")).all())
            assert details() == [("correct_own_data", "name, phone"), ("view_booking_list", "7"),
                                 ("view_teacher_queue", "2")]
            db.session.remove()
            downgrade(revision="8489b5223349")
            assert details() == sorted(rows)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
