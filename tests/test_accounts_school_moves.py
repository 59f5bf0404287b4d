"""A teacher who moves to another school (调动) says so; the new school's district vouches for them again.

Partner priority follows the teacher's school, so a move is checked like a registration: until the new
school's district verifies them, the teacher books nothing. Both districts hear of it; class visits
already booked stay with the classes of the school they were booked for."""
from __future__ import annotations

import json
import re

import sqlalchemy as sa
from sqlalchemy import select

from app.accounts.models import User
from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.privacy.models import PersonalDataAccess
from tests import factories


def _mail_to(person: User) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == person.email)
                                   .order_by(OutboxMessage.id)))


def _move(client, school, lang="en"):
    return client.post(f"/me/school?lang={lang}", data={"school_id": str(school.id)})


def _refused_move(client, auth, old_school, new_school) -> User:
    """A teacher of ``old_school`` who moved to ``new_school`` (in Gulou), whose district refused it."""
    teacher = factories.user("teacher", school=old_school)
    auth.login(teacher.email)
    _move(client, new_school)
    auth.logout()
    auth.login(factories.user("district_admin", district_code=factories.GULOU).email)
    client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "Not on our staff list"})
    auth.logout()
    return teacher


def test_a_teacher_who_moves_waits_for_the_new_schools_district_and_both_districts_are_told(client, auth):
    old_school = factories.school(district_code=factories.XUANWU, name_en="Old Primary")
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    teacher = factories.user("teacher", school=old_school, name="Li Ming")
    old_admin = factories.user("district_admin", district_code=factories.XUANWU)
    new_admin = factories.user("district_admin", district_code=factories.GULOU)
    old_admin.locale = new_admin.locale = "en"  # written to in the language each chose
    db.session.commit()
    auth.login(teacher.email)

    response = _move(client, new_school)

    assert response.status_code == 302
    teacher = db.session.get(User, teacher.id)
    assert teacher.school_id == new_school.id and teacher.verified_at is None
    told_new = _mail_to(new_admin)
    assert [m.kind for m in told_new] == ["teacher_moved"]
    assert "Li Ming" in told_new[0].body and "Old Primary" in told_new[0].body and "New Primary" in told_new[0].body
    told_old = _mail_to(old_admin)
    assert [m.kind for m in told_old] == ["teacher_left"]
    assert "New Primary" in told_old[0].body
    page = client.get("/me?lang=en").get_data(as_text=True)
    assert "New Primary" in page and "Awaiting verification" in page


def test_the_new_district_sees_where_the_teacher_moved_from_and_verifies_them(client, auth):
    old_school = factories.school(district_code=factories.XUANWU, name_en="Old Primary")
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    teacher = factories.user("teacher", school=old_school)
    new_admin = factories.user("district_admin", district_code=factories.GULOU)
    auth.login(teacher.email)
    _move(client, new_school)
    auth.logout()

    auth.login(new_admin.email)
    queue = client.get("/admin/teachers?lang=en").get_data(as_text=True)
    assert teacher.name in queue and "Moved from Old Primary" in queue
    assert client.post(f"/admin/teachers/{teacher.id}/verify").status_code == 302
    assert db.session.get(User, teacher.id).verified_at is not None


def test_a_moved_teacher_books_nothing_until_verified(client, auth):
    partner_venue = factories.venue()
    teacher = factories.user("teacher")
    slot = factories.slot(partner_venue, audience="school", days_ahead=10, capacity=100)
    auth.login(teacher.email)
    _move(client, factories.school())

    response = client.post(f"/slots/{slot.id}/book?lang=en", data={
        "class_name": "四年级2班", "grade": "4", "students": "30", "adults": "2"})

    assert response.status_code == 403
    assert "waiting for verification" in response.get_data(as_text=True)
    assert db.session.scalar(select(Booking.id).where(Booking.slot_id == slot.id)) is None


def test_class_visits_booked_before_the_move_stay_with_the_old_schools_classes(client, auth):
    old_school = factories.school(name_en="Old Primary")
    teacher = factories.user("teacher", school=old_school)
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    booking = factories.booked_visit(slot, teacher)
    auth.login(teacher.email)

    form = client.get("/me/school?lang=en").get_data(as_text=True)
    assert "1 class visit booked for Old Primary" in form
    _move(client, factories.school())

    booking = db.session.get(Booking, booking.id)
    assert booking.school_id == old_school.id and booking.status != BookingStatus.CANCELLED


def test_refusing_a_move_keeps_the_account_and_its_bookings(client, auth):
    old_school = factories.school(district_code=factories.XUANWU)
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    teacher = factories.user("teacher", school=old_school)
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    new_admin = factories.user("district_admin", district_code=factories.GULOU)
    auth.login(teacher.email)
    _move(client, new_school)
    auth.logout()

    auth.login(new_admin.email)
    form = client.get(f"/admin/teachers/{teacher.id}/reject?lang=en").get_data(as_text=True)
    assert "Refuse the move" in form and "will be deleted" not in form
    response = client.post(f"/admin/teachers/{teacher.id}/reject?lang=en",
                           data={"reason": "Not on our staff list"}, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "was refused" in page
    teacher = db.session.get(User, teacher.id)
    assert teacher is not None and not teacher.is_disabled and teacher.verified_at is None
    assert db.session.get(Booking, booking.id).status != BookingStatus.CANCELLED
    assert teacher.name not in client.get("/admin/teachers?lang=en").get_data(as_text=True)
    refusal = _mail_to(teacher)[-1]
    assert refusal.kind == "teacher_move_refused" and "Not on our staff list" in refusal.body
    auth.logout()

    auth.login(teacher.email)
    dashboard = client.get("/me?lang=en").get_data(as_text=True)
    assert "New Primary did not confirm" in dashboard
    _move(client, old_school)
    auth.logout()
    auth.login(factories.user("district_admin", district_code=factories.XUANWU).email)
    assert teacher.name in client.get("/admin/teachers?lang=en").get_data(as_text=True)


def test_the_same_or_a_closed_school_is_refused_next_to_the_field(client, auth):
    teacher = factories.user("teacher")
    closed = factories.school(is_active=False)
    auth.login(teacher.email)

    same = _move(client, teacher.school)
    assert same.status_code == 400
    assert "This is already your school." in same.get_data(as_text=True)
    gone = client.post("/me/school?lang=en", data={"school_id": str(closed.id)})
    assert gone.status_code == 400
    assert "Choose a school from the list." in gone.get_data(as_text=True)
    assert db.session.get(User, teacher.id).verified_at is not None


def test_the_move_page_speaks_chinese(client, auth):
    teacher = factories.user("teacher")
    auth.login(teacher.email)

    page = client.get("/me/school?lang=zh").get_data(as_text=True)

    assert "调往其他学校" in page
    assert client.get("/me?lang=zh").get_data(as_text=True).count('href="/me/school"') == 1


def test_a_move_and_its_refusal_outlast_the_access_log(client, auth):
    """The access log is an audit trail (it may be purged): the queue, the refusal form and the
    teacher's page read the move from the account, not from the log."""
    old_school = factories.school(district_code=factories.XUANWU, name_en="Old Primary")
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    waiting = factories.user("teacher", school=old_school, name="Zhao Lei")
    refused = factories.user("teacher", school=old_school, name="Qian Hong")
    new_admin = factories.user("district_admin", district_code=factories.GULOU)
    for teacher in (waiting, refused):
        auth.login(teacher.email)
        _move(client, new_school)
        auth.logout()
    auth.login(new_admin.email)
    client.post(f"/admin/teachers/{refused.id}/reject", data={"reason": "Not on our staff list"},
                follow_redirects=True)

    db.session.execute(sa.delete(PersonalDataAccess))
    db.session.commit()

    queue = client.get("/admin/teachers?lang=en").get_data(as_text=True)
    assert "Zhao Lei" in queue and "Moved from Old Primary" in queue
    assert "Qian Hong" not in queue
    assert "Refuse the move" in client.get(f"/admin/teachers/{waiting.id}/reject?lang=en").get_data(as_text=True)
    auth.logout()
    auth.login(refused.email)
    assert "New Primary did not confirm" in client.get("/me?lang=en").get_data(as_text=True)


def test_verifying_a_teacher_who_moved_settles_the_move(client, auth):
    old_school = factories.school(district_code=factories.XUANWU)
    new_school = factories.school(district_code=factories.GULOU)
    teacher = factories.user("teacher", school=old_school)
    auth.login(teacher.email)
    _move(client, new_school)
    auth.logout()
    auth.login(factories.user("district_admin", district_code=factories.GULOU).email)

    client.post(f"/admin/teachers/{teacher.id}/verify")

    teacher = db.session.get(User, teacher.id)
    assert teacher.verified_at is not None
    assert (teacher.moved_school_at, teacher.moved_from_school_id, teacher.school_move_refused_at) == (None, None, None)


def test_a_teachers_download_says_where_they_moved_from_and_whether_it_was_refused(client, auth):
    old_school = factories.school(district_code=factories.XUANWU, name_en="Old Primary")
    new_school = factories.school(district_code=factories.GULOU)
    teacher = _refused_move(client, auth, old_school, new_school)
    auth.login(teacher.email)

    account = json.loads(client.post("/me/data?lang=en").get_data(as_text=True))["account"]

    assert account["moved_from_school"] == "Old Primary"
    assert account["moved_school_at"] and account["school_move_refused_at"]


def test_a_refused_move_cannot_then_be_rejected_as_a_registration(client, auth):
    """Refused, the teacher leaves the queue; opening their reject page directly must not delete the account."""
    old_school = factories.school(district_code=factories.XUANWU)
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    teacher = factories.user("teacher", school=old_school)
    auth.login(teacher.email)
    _move(client, new_school)
    auth.logout()
    auth.login(factories.user("district_admin", district_code=factories.GULOU).email)
    client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": "Not on our staff list"})

    form = client.get(f"/admin/teachers/{teacher.id}/reject?lang=en").get_data(as_text=True)
    assert "will be deleted" not in form
    response = client.post(f"/admin/teachers/{teacher.id}/reject?lang=en", data={"reason": "Again"},
                           follow_redirects=True)

    assert "already refused" in response.get_data(as_text=True)
    assert db.session.get(User, teacher.id) is not None
    assert [m.kind for m in _mail_to(teacher)].count("teacher_move_refused") == 1


def test_a_teacher_whose_move_was_refused_is_told_so_everywhere_and_offered_no_partner_priority(client, auth):
    old_school = factories.school(district_code=factories.XUANWU)
    new_school = factories.school(district_code=factories.GULOU, name_en="New Primary")
    venue = factories.venue()
    factories.partnership(venue, new_school)
    slot = factories.slot(venue, audience="school", days_ahead=10, capacity=100)
    teacher = _refused_move(client, auth, old_school, new_school)

    auth.login(teacher.email)
    dashboard = client.get("/me?lang=en").get_data(as_text=True)
    assert "Not confirmed by the school’s district" in dashboard and "Awaiting verification" not in dashboard
    assert "Your school’s partner venues" not in dashboard
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    assert "New Primary did not confirm that you teach there" in page and "/me/school" in page
    assert "partner school of this venue" not in page and "waiting for verification" not in page
    token = client.post("/api/v1/auth/token", json={"email": teacher.email, "password": factories.PASSWORD})
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    refused = client.post("/api/v1/bookings?lang=en", headers=bearer,
                          json={"slot_id": slot.id, "students": 20, "adults": 2, "grade": 3, "class_name": "3-1"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "teacher_not_verified"
    assert refused.get_json()["message"].startswith("New Primary did not confirm that you teach there")


def test_a_refused_teachers_calendar_offers_no_partner_window(client, auth):
    new_school = factories.school(district_code=factories.GULOU)
    venue = factories.venue()
    factories.partnership(venue, new_school)
    early = factories.slot(venue, audience="school", days_ahead=34, capacity=100)  # partners book 37 days ahead
    calendar = f"/venues/{venue.id}?month={early.local_date:%Y-%m}&lang=en"

    def link_text(person) -> str:
        auth.login(person.email)
        page = client.get(calendar).get_data(as_text=True)
        auth.logout()
        return re.search(rf'href="/slots/{early.id}/book">([^<]*)<', page).group(1)

    partner = factories.user("teacher", school=new_school)
    refused = _refused_move(client, auth, factories.school(district_code=factories.XUANWU), new_school)
    assert link_text(partner) == "Book"
    assert link_text(refused).startswith("Booking opens")
