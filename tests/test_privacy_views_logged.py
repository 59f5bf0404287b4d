"""Pages that show a person's details before acting on them are logged as viewings, like every other
page showing personal data: the teacher's rejection page and the staff member's removal page."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.privacy.models import PersonalDataAccess
from tests import factories


def _viewings(person_id: int) -> list[tuple[int, str]]:
    db.session.expire_all()
    return [(row.actor_id, row.action) for row in db.session.scalars(
        select(PersonalDataAccess).where(PersonalDataAccess.subject_user_id == person_id))]


def test_opening_the_rejection_page_of_a_teacher_is_logged(client, auth):
    teacher = factories.user("teacher", verified=False, name="待审老师", phone="13812345678")
    admin = factories.user("city_admin")
    auth.login(admin.email)

    page = client.get(f"/admin/teachers/{teacher.id}/reject")

    assert page.status_code == 200 and "待审老师" in page.get_data(as_text=True)
    assert _viewings(teacher.id) == [(admin.id, "view_account")]


def test_a_rejection_sent_back_with_its_reason_missing_is_logged_as_a_viewing_too(client, auth):
    teacher = factories.user("teacher", verified=False)
    admin = factories.user("city_admin")
    auth.login(admin.email)

    assert client.post(f"/admin/teachers/{teacher.id}/reject", data={"reason": ""}).status_code == 400
    assert _viewings(teacher.id) == [(admin.id, "view_account")]


def test_opening_the_removal_page_of_a_member_of_staff_is_logged(client, auth):
    manager = factories.user("venue_manager")
    member = factories.user("venue_staff", venue=manager.venue, name="王检票", phone="13812345678")
    auth.login(manager.email)

    page = client.get(f"/manage/staff/{member.id}/remove")

    assert page.status_code == 200 and "王检票" in page.get_data(as_text=True)
    assert _viewings(member.id) == [(manager.id, "view_account")]


def test_a_refused_page_logs_nothing(client, auth):
    """Pins what must not change: nothing was shown, so nothing is logged."""
    member = factories.user("venue_staff", name="王检票")
    auth.login(factories.user("venue_manager").email)  # of another venue
    assert client.get(f"/manage/staff/{member.id}/remove").status_code in (403, 404)
    assert _viewings(member.id) == []
