"""/me/delete: a citizen or teacher deletes their account; bookings stay only as anonymous counts."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.accounts.models import ApiToken, Role, User
from app.bookings.models import Booking, BookingStatus
from app.calendars import services as calendar_services
from app.calendars.models import CalendarFeed
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from tests import factories


def _delete(client, password="password123"):
    return client.post("/me/delete", data={"password": password})


def _period(scenario) -> dict:
    return {"from": scenario["day_a"].isoformat(), "to": scenario["day_b"].isoformat()}


def test_the_delete_page_explains_what_happens(client, auth):
    auth.login(factories.user(Role.CITIZEN).email)
    page = client.get("/me/delete")
    assert page.status_code == 200
    assert 'name="password"' in page.get_data(as_text=True)


def test_a_wrong_password_keeps_the_account(client, auth):
    person = factories.user(Role.CITIZEN)
    auth.login(person.email)
    response = _delete(client, "not-my-password")
    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert db.session.get(User, person.id) is not None


def test_a_deleted_account_cannot_log_in_and_its_email_can_register_again(client, auth):
    person = factories.user(Role.CITIZEN, email="gone@example.com")
    auth.login(person.email)
    response = _delete(client)
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "gone@example.com")) is None
    assert client.get("/me").status_code in (302, 303)  # the session ended
    failed = client.post("/login", data={"email": "gone@example.com", "password": "password123"})
    assert failed.status_code == 200 or failed.status_code >= 400
    again = client.post("/register", data={
        "role": "citizen", "name": "新用户", "phone": "13912345678", "email": "gone@example.com",
        "password": "correct-horse", "confirm": "correct-horse", "school_id": "", "consent": "y"})
    assert again.status_code in (302, 303)
    assert db.session.scalar(select(User).where(User.email == "gone@example.com")) is not None


def test_deleting_cancels_future_bookings_and_their_places_go_to_the_waitlist(client, auth):
    person, waiting_person = factories.user(Role.CITIZEN), factories.user(Role.CITIZEN)
    slot = factories.slot(days_ahead=3, capacity=4)
    mine = factories.booked_visit(slot, person, party_size=4)
    waiting = factories.booked_visit(slot, waiting_person, party_size=3, join_waitlist=True)
    assert waiting.status == BookingStatus.WAITLISTED
    auth.login(person.email)
    _delete(client)
    db.session.expire_all()
    assert db.session.get(Booking, mine.id).status == BookingStatus.CANCELLED
    assert db.session.get(Booking, mine.id).user_id is None
    assert db.session.get(Booking, waiting.id).status == BookingStatus.CONFIRMED
    assert slot.taken == 3


def test_deleting_keeps_past_visits_as_anonymous_counts(client, auth):
    scenario = factories.stats_scenario()
    teacher_booking = db.session.scalar(select(Booking).where(Booking.class_name == "大班"))
    teacher = teacher_booking.user
    before = client.get("/api/v1/stats/summary", query_string=_period(scenario)).get_json()
    csv_before = client.get("/open-data/attendance-daily.csv").data
    auth.login(teacher.email)
    _delete(client)
    db.session.expire_all()
    kept = db.session.get(Booking, teacher_booking.id)
    assert kept.status == BookingStatus.CHECKED_IN
    assert (kept.user_id, kept.class_name, kept.class_key, kept.students) == (None, None, None, 12)
    assert client.get("/api/v1/stats/summary", query_string=_period(scenario)).get_json() == before
    assert client.get("/open-data/attendance-daily.csv").data == csv_before


def test_deleting_removes_tokens_feed_and_messages(client, auth):
    person = factories.user(Role.CITIZEN)
    factories.booked_visit(factories.slot(days_ahead=3), person)  # queues a confirmation email
    factories.user_token(person)
    calendar_services.issue_feed_token(person)
    db.session.commit()
    person_id, email = person.id, person.email
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.user_id == person_id))
    auth.login(email)
    _delete(client)
    db.session.expire_all()
    assert not db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == person_id))
    assert not db.session.scalar(select(func.count()).select_from(CalendarFeed).where(CalendarFeed.user_id == person_id))
    assert not db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        (OutboxMessage.user_id == person_id) | (OutboxMessage.recipient == email)))


def test_a_deleted_persons_api_token_stops_working(client, auth):
    person = factories.user(Role.CITIZEN)
    secret = factories.user_token(person)
    auth.login(person.email)
    _delete(client)
    slot = factories.slot(days_ahead=3)
    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, "party_size": 1},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_the_deletion_is_recorded_in_the_access_log(client, auth):
    person = factories.user(Role.CITIZEN)
    person_id = person.id
    auth.login(person.email)
    _delete(client)
    actions = db.session.scalars(select(PersonalDataAccess.action).where(
        PersonalDataAccess.actor_id == person_id)).all()
    assert actions == ["delete_own_account"]


def test_the_access_log_forgets_whose_data_and_which_bookings_once_the_account_is_deleted(app, client, auth):
    person = factories.user(Role.CITIZEN)
    person_id = person.id
    booking = factories.confirmed_visit(factories.slot_at(starts_in=timedelta(hours=-5)), person)
    manager = factories.user(Role.VENUE_MANAGER, venue=booking.venue)
    auth.login(manager.email)
    assert client.get(f"/bookings/{booking.id}").status_code == 200
    auth.logout()
    auth.login(person.email)
    client.post("/me/data")
    _delete(client)
    db.session.expire_all()
    rows = db.session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
    # Who viewed what kind of data when stays; nothing leads to the person or their bookings.
    assert [(r.actor_id, r.action) for r in rows] == [
        (manager.id, "view_booking"), (person_id, "export_own_data"), (person_id, "delete_own_account")]
    assert all(r.subject_user_id is None and r.booking_id is None for r in rows)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/privacy/access-log?subject={person_id}&lang=en").get_data(as_text=True)
    assert "No access has been recorded for this filter." in page


def test_a_deleted_accounts_id_is_never_given_to_the_next_person(client, auth):
    factories.user(Role.CITIZEN)
    person = factories.user(Role.CITIZEN, email="first@example.com")
    person_id = person.id
    auth.login(person.email)
    _delete(client)
    response = client.post("/register", data={
        "role": "citizen", "name": "李四", "phone": "13912345678", "email": "next@example.com",
        "password": "correct-horse", "confirm": "correct-horse", "school_id": "", "consent": "y"})
    assert response.status_code in (302, 303)
    newcomer = db.session.scalar(select(User).where(User.email == "next@example.com"))
    assert newcomer.id > person_id


def test_the_english_message_counts_one_cancelled_booking_in_the_singular(client, auth):
    person = factories.user(Role.CITIZEN)
    factories.booked_visit(factories.slot(days_ahead=3), person)
    auth.login(person.email)
    page = client.post("/me/delete?lang=en", data={"password": "password123"}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "1 upcoming booking was cancelled." in text and "bookings were" not in text


def test_venue_staff_cannot_delete_their_own_account(client, auth):
    staff = factories.user(Role.VENUE_STAFF)
    auth.login(staff.email)
    page = client.get("/me/delete")
    assert page.status_code == 200
    assert 'name="password"' not in page.get_data(as_text=True)
    assert _delete(client).status_code == 403
    assert db.session.get(User, staff.id) is not None


def test_an_admin_cannot_delete_their_own_account(client, auth):
    admin = factories.user(Role.CITY_ADMIN)
    auth.login(admin.email)
    assert _delete(client).status_code == 403
    assert db.session.get(User, admin.id) is not None


def test_a_past_booking_keeps_its_status_when_the_booker_leaves(client, auth):
    person = factories.user(Role.CITIZEN)
    slot = factories.slot_at(starts_in=timedelta(hours=-5), length=timedelta(hours=2))
    booking = factories.confirmed_visit(slot, person, party_size=2)
    auth.login(person.email)
    _delete(client)
    db.session.expire_all()
    kept = db.session.get(Booking, booking.id)
    assert (kept.status, kept.user_id, kept.seats) == (BookingStatus.CONFIRMED, None, 2)
