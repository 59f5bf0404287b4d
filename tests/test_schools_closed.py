"""A school that closes or merges into another is marked closed in the registry by its district.

Its teachers then book no class visits for it (neither with the partner priority of its agreements);
they are told why and pointed to changing their school; venues see the closure on their partner list."""
from __future__ import annotations

from sqlalchemy import select

from app.bookings.models import Booking
from app.extensions import db
from app.schools.models import School
from tests import factories


def _close(client, auth, school):
    admin = factories.user("district_admin", district_code=school.district_code)
    auth.login(admin.email)
    response = client.post(f"/admin/schools/{school.id}/edit", data={
        "name_zh": school.name_zh, "name_en": school.name_en, "kind": school.kind.value,
        "district_code": school.district_code, "address": ""})  # "is_active" unticked
    assert response.status_code == 302
    auth.logout()
    assert not db.session.get(School, school.id).is_active


def _partner_of(venue, school):
    factories.partnership(venue, school)


def test_a_teacher_of_a_closed_school_books_no_class_visit(client, auth):
    venue = factories.venue()
    teacher = factories.user("teacher")
    _partner_of(venue, teacher.school)
    slot = factories.slot(venue, audience="school", days_ahead=10, capacity=100)
    _close(client, auth, teacher.school)
    auth.login(teacher.email)

    response = client.post(f"/slots/{slot.id}/book?lang=en", data={
        "class_name": "四年级2班", "grade": "4", "students": "30", "adults": "2"})

    assert response.status_code == 403
    assert "marked closed" in response.get_data(as_text=True)
    assert db.session.scalar(select(Booking.id).where(Booking.slot_id == slot.id)) is None


def test_the_api_refuses_a_closed_schools_class_visit_with_a_code(client, auth):
    teacher = factories.user("teacher")
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    _close(client, auth, teacher.school)

    response = client.post("/api/v1/bookings", json={"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4,
                                                     "class_name": "四年级2班"},
                           headers={"Authorization": f"Bearer {factories.user_token(teacher)}"})

    assert response.status_code == 403
    assert response.get_json()["error"] == "school_closed"


def test_the_teacher_of_a_closed_school_is_told_and_offered_to_change_school(client, auth):
    teacher = factories.user("teacher")
    _close(client, auth, teacher.school)
    auth.login(teacher.email)

    page = client.get("/me?lang=en").get_data(as_text=True)
    assert "marked closed" in page and 'href="/me/school"' in page
    assert "已标记为停办" in client.get("/me?lang=zh").get_data(as_text=True)


def test_the_venue_sees_a_closed_school_on_its_partner_list(client, auth):
    manager = factories.user("venue_manager")
    school = factories.school(name_en="Merged Primary")
    _partner_of(manager.venue, school)
    _close(client, auth, school)
    auth.login(manager.email)

    page = client.get("/manage/partners?lang=en").get_data(as_text=True)

    row = page[page.index("Merged Primary"):]
    assert "School closed" in row[:400]
