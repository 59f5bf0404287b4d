"""The venue sees who booked a class and how to reach them (the name, the mobile masked), as the
registration promises; the gate sees which school a class ticket is for."""
from __future__ import annotations

import re

from app.checkin import tickets
from tests import factories


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _teacher():
    school = factories.school(name_zh="玄武模范小学", name_en="Xuanwu Model Primary")
    return factories.user("teacher", school=school, name="王芳", phone="13912345678")


def test_the_venue_manager_sees_the_teacher_and_masked_mobile_of_a_request_and_of_a_visit(client, auth):
    teacher = _teacher()
    request = factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    visit = factories.confirmed_visit(factories.slot(request.venue, audience="school", days_ahead=12, capacity=100),
                                      teacher, class_name="五年级1班")
    auth.login(factories.user("venue_manager", venue=request.venue).email)

    listed = _text(client.get("/manage/bookings?lang=en"))
    requests, upcoming = listed.split("Upcoming visits", 1)
    assert "Teacher: 王芳 (139****5678)" in requests
    assert "Xuanwu Model Primary · 王芳 (139****5678) · 五年级1班" in upcoming
    assert "13912345678" not in listed
    assert "Teacher: 王芳 (139****5678)" in _text(client.get(f"/manage/bookings/{request.id}/decline?lang=en"))
    for booking in (request, visit):
        page = _text(client.get(f"/bookings/{booking.id}?lang=en"))
        assert "Teacher 王芳 (139****5678)" in page and "13912345678" not in page


def test_the_venue_staff_see_who_booked_a_party_on_its_page(client, auth):
    citizen = factories.user("citizen", name="李华", phone="13800001234")
    booking = factories.booked_visit(factories.slot(), citizen)
    auth.login(factories.user("venue_staff", venue=booking.venue).email)

    assert "Booked by 李华 (138****1234)" in _text(client.get(f"/bookings/{booking.id}?lang=en"))


def test_administrators_and_the_teacher_are_not_shown_the_teachers_contact_as_the_venue_is(client, auth):
    teacher = _teacher()
    booking = factories.booked_visit(factories.slot(audience="school", days_ahead=10, capacity=100), teacher)
    for person in (factories.user("district_admin"), factories.user("city_admin"), teacher):
        auth.login(person.email)
        page = _text(client.get(f"/bookings/{booking.id}?lang=en"))
        assert "139****5678" not in page and "Teacher 王芳" not in page, person.role
        auth.logout()


def test_the_gate_names_the_school_of_a_class_ticket_on_the_page_and_in_the_api(client, auth):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, _teacher(), students=30, adults=2)
    auth.login(factories.user("venue_staff", venue=slot.venue).email)
    code = tickets.code_for_booking(booking)

    asked = _text(client.post("/scan?lang=en", data={"code": code, "nonce": "s1"}))
    assert "Xuanwu Model Primary · 四年级2班 (30 students, 2 adults)" in asked
    gate = {"Authorization": f"Bearer {factories.gate_token(slot.venue)}", "Accept-Language": "zh"}
    admitted = client.post("/api/v1/checkins?lang=zh", json={"code": code, "nonce": "s2",
                                                             "headcount": {"students": 28, "adults": 2}},
                           headers=gate)
    assert admitted.status_code == 200, admitted.get_json()
    assert admitted.get_json()["party"] == "玄武模范小学 · 四年级2班（学生 28 人，随行成人 2 人）"


def test_the_gate_says_a_partys_size_as_before(client):
    slot = factories.slot_at()
    booking = factories.confirmed_visit(slot, party_size=3)

    gate = {"Authorization": f"Bearer {factories.gate_token(slot.venue)}", "Accept-Language": "en"}
    answer = client.post("/api/v1/checkins", json={"code": booking.reference, "nonce": "p1"}, headers=gate)
    assert answer.get_json()["party"] == "3 people"
