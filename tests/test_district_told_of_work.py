"""The district is told when work arrives in its queues: a venue submitted for review (or moved into the
district) and a teacher registered for one of its schools mail each active admin of the district once,
in their language, with a link to the queue; nobody else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories
from tests.factories import GULOU, XUANWU


def _messages(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


@pytest.fixture
def admins():
    """Xuanwu's admins: one reading Chinese, one English, one suspended, one invited; Gulou's and the city's."""
    english = factories.user("district_admin", district_code=XUANWU, email="en.admin@example.com")
    suspended = factories.user("district_admin", district_code=XUANWU, email="off@example.com")
    english.locale, suspended.is_disabled = "en", True
    db.session.commit()
    return {
        "zh": factories.user("district_admin", district_code=XUANWU, email="zh.admin@example.com"),
        "en": english, "suspended": suspended,
        "invited": factories.user("district_admin", district_code=XUANWU, email="invited@example.com",
                                  password=None),
        "other": factories.user("district_admin", district_code=GULOU, email="gulou@example.com"),
        "city": factories.user("city_admin", email="city@example.com"),
    }


def _submit_a_venue(client, auth, **kw) -> None:
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    client.post("/manage/venue", data=factories.venue_form_data(district_code=XUANWU, **kw))
    assert client.post("/manage/venue/submit").status_code == 302
    auth.logout()


def test_a_submitted_venue_is_mailed_once_to_each_active_admin_of_its_district_in_their_language(
        client, auth, admins):
    _submit_a_venue(client, auth, name_zh="报到科技馆", name_en="Arrival Hall")

    mails = {m.recipient: m for m in _messages("venue_submitted")}
    assert sorted(mails) == ["en.admin@example.com", "zh.admin@example.com"]
    assert "Arrival Hall" in mails["en.admin@example.com"].subject
    assert "报到科技馆" in mails["zh.admin@example.com"].subject
    assert all(m.body.rstrip().endswith("/admin/venues") for m in mails.values())


def test_a_venue_saved_as_a_draft_mails_nobody(client, auth, admins):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    client.post("/manage/venue", data=factories.venue_form_data(district_code=XUANWU))

    assert not _messages("venue_submitted")


def test_a_venue_awaiting_review_that_moves_is_mailed_to_the_district_it_now_waits_in(client, auth, admins):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    data = factories.venue_form_data(district_code=GULOU, name_en="Waiting Hall")
    client.post("/manage/venue", data=data)
    assert client.post("/manage/venue/submit").status_code == 302
    assert [m.recipient for m in _messages("venue_submitted")] == ["gulou@example.com"]

    client.post("/manage/venue", data={**data, "district_code": XUANWU})

    recipients = [m.recipient for m in _messages("venue_submitted")]
    assert recipients[0] == "gulou@example.com" and sorted(recipients[1:]) == ["en.admin@example.com",
                                                                                "zh.admin@example.com"]


def test_a_venue_moved_into_the_district_is_mailed_to_its_new_district(client, auth, admins):
    manager = factories.user("venue_manager", venue=None)
    auth.login(manager.email)
    data = factories.venue_form_data(district_code=GULOU, name_en="Moving Hall")
    client.post("/manage/venue", data=data)
    client.post("/manage/venue/submit")
    auth.logout()
    auth.login(admins["other"].email)
    venue_id = db.session.merge(manager).venue_id
    assert client.post(f"/admin/venues/{venue_id}/approve").status_code == 302
    auth.logout()
    auth.login(manager.email)

    client.post("/manage/venue", data={**data, "district_code": XUANWU, "confirm_move": XUANWU})

    recipients = [m.recipient for m in _messages("venue_submitted")]
    assert recipients[0] == "gulou@example.com"  # when it was first submitted there
    assert sorted(recipients[1:]) == ["en.admin@example.com", "zh.admin@example.com"]


def test_a_teacher_who_registers_is_mailed_to_the_admins_of_the_schools_district(client, admins):
    school = factories.school(district_code=XUANWU, name_zh="报到小学", name_en="Arrival Primary")

    response = client.post("/register", data={
        "role": "teacher", "name": "王老师", "phone": "13912345678", "email": "wang@example.com",
        "password": "correct-horse", "confirm": "correct-horse", "school_id": str(school.id), "consent": "y"})

    assert response.status_code == 302
    mails = {m.recipient: m for m in _messages("teacher_registered")}
    assert sorted(mails) == ["en.admin@example.com", "zh.admin@example.com"]
    assert "Arrival Primary" in mails["en.admin@example.com"].subject
    assert "报到小学" in mails["zh.admin@example.com"].subject
    assert all(m.body.rstrip().endswith("/admin/teachers") for m in mails.values())
    assert all(m.sent_at is not None for m in mails.values())  # sent with the request, as every other mail


def test_a_citizen_who_registers_mails_no_admin(client, admins):
    client.post("/register", data={
        "role": "citizen", "name": "李华", "phone": "13912345678", "email": "lihua@example.com",
        "password": "correct-horse", "confirm": "correct-horse", "school_id": "", "consent": "y"})

    assert not _messages("teacher_registered")
