"""/me/data: a person downloads everything kept about them, and nothing about anyone else."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.bookings.models import Booking
from app.calendars import services as calendar_services
from app.extensions import db
from app.privacy.models import PersonalDataAccess
from tests import factories


def _download(client):
    response = client.post("/me/data")
    assert response.status_code == 200
    assert 'filename="scivisit-my-data.json"' in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def test_the_download_page_needs_a_login(client):
    response = client.get("/me/data")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


def test_the_download_page_offers_the_download(client, auth):
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    page = client.get("/me/data")
    assert page.status_code == 200
    assert 'method="post"' in page.get_data(as_text=True)


def test_the_download_holds_the_account_bookings_visits_and_messages(client, auth):
    person = factories.user(Role.CITIZEN, name="王小明", phone="13912345678")
    visit_slot = factories.slot_at()
    factories.admitted_visit(visit_slot, person, party_size=3)
    visited = db.session.scalar(select(Booking).where(Booking.slot_id == visit_slot.id))
    upcoming = factories.booked_visit(factories.slot(days_ahead=3), person, party_size=2)
    auth.login(person.email)
    data = _download(client)
    assert data["account"]["name"] == "王小明"
    assert data["account"]["email"] == person.email
    assert data["account"]["phone"] == "13912345678"
    assert data["account"]["role"] == "citizen"
    assert data["account"]["consent_at"]
    references = {b["reference"] for b in data["bookings"]}
    assert references == {visited.reference, upcoming.reference}
    assert {b["party_size"] for b in data["bookings"]} == {3, 2}
    assert [v["persons"] for v in data["visits"]] == [3]
    assert data["messages"] and all(m["subject"] for m in data["messages"])
    assert data["calendar_feed"]["exists"] is False


def test_the_download_gives_each_time_with_its_utc_offset_and_says_so_in_the_persons_language(client, auth):
    person = factories.user(Role.CITIZEN)
    factories.booked_visit(factories.slot(days_ahead=3), person)
    auth.login(person.email)
    data = _download(client)
    booking = data["bookings"][0]
    for moment in (data["exported_at"], data["account"]["created_at"], booking["slot_start"], booking["created_at"]):
        assert datetime.fromisoformat(moment).utcoffset() == timedelta(0), moment
    assert "北京时间" in data["timezone_note"]
    client.get("/?lang=en")
    assert "Beijing time is 8 hours ahead" in _download(client)["timezone_note"]


def test_the_download_says_a_calendar_feed_exists_without_its_secret(client, auth):
    person = factories.user(Role.CITIZEN)
    secret = calendar_services.issue_feed_token(person)
    db.session.commit()
    auth.login(person.email)
    response = client.post("/me/data")
    assert json.loads(response.get_data(as_text=True))["calendar_feed"]["exists"] is True
    assert secret not in response.get_data(as_text=True)


def test_the_download_holds_nobody_elses_data(client, auth):
    person = factories.user(Role.CITIZEN)
    other = factories.user(Role.CITIZEN, name="李四", phone="13700001111")
    shared = factories.slot(days_ahead=3)
    mine = factories.booked_visit(shared, person, party_size=1)
    theirs = factories.booked_visit(shared, other, party_size=4)
    auth.login(person.email)
    response = client.post("/me/data")
    text = response.get_data(as_text=True)
    assert mine.reference in text
    for secret in (theirs.reference, other.email, "李四", "13700001111"):
        assert secret not in text


def test_a_teacher_download_holds_their_class_bookings(client, auth):
    teacher = factories.user(Role.TEACHER)
    factories.booked_visit(factories.slot(days_ahead=5, audience="school"), teacher, class_name="三年级1班")
    auth.login(teacher.email)
    data = _download(client)
    assert data["account"]["school"]
    assert [b["class_name"] for b in data["bookings"]] == ["三年级1班"]
    assert data["bookings"][0]["students"] == 30


def test_the_download_is_recorded_in_the_access_log(client, auth):
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    _download(client)
    rows = db.session.scalars(select(PersonalDataAccess)).all()
    assert [(r.actor_id, r.subject_user_id, r.action) for r in rows] == [(person.id, person.id, "export_own_data")]
    assert rows[0].at > person.created_at - timedelta(seconds=1)


def test_the_download_holds_each_message_as_it_was_sent_with_its_address_and_text(client, auth):
    """The messages are the person's data as much as the bookings: what was written to them, and where."""
    from app.notifications.models import OutboxMessage

    person = factories.user(Role.CITIZEN, name="王小明")
    booking = factories.booked_visit(factories.slot(days_ahead=3), person, party_size=2)
    auth.login(person.email)
    data = _download(client)
    sent = db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == person.id))
    [message] = data["messages"]
    assert (message["to"], message["kind"], message["subject"]) == (person.email, sent.kind, sent.subject)
    assert message["body"] == sent.body
    assert "王小明" in message["body"] and booking.reference[:4] in message["body"]


def test_a_visit_admitted_by_an_offline_gate_gives_the_time_it_was_scanned_not_uploaded(client, auth):
    from app.checkin import tickets
    from app.core.time import to_local, utcnow

    person = factories.user(Role.CITIZEN)
    slot = factories.slot_at(starts_in=-timedelta(hours=1))
    booking = factories.confirmed_visit(slot, person, party_size=2)
    scanned = utcnow().replace(microsecond=0) - timedelta(minutes=50)
    gate = factories.gate_token(slot.venue)
    answer = client.post("/api/v1/checkins/batch", headers={"Authorization": f"Bearer {gate}"},
                         json={"scans": [{"code": tickets.code_for_booking(booking), "nonce": "offline-1",
                                          "scanned_at": to_local(scanned).isoformat()}]})
    assert answer.get_json()["results"][0]["result"] == "ok"
    auth.login(person.email)
    [visit] = _download(client)["visits"]
    assert datetime.fromisoformat(visit["scanned_at"].replace("Z", "+00:00")).replace(tzinfo=None) == scanned
