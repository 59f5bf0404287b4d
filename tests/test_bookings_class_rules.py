"""The rules a class visit follows whatever the slot: the partner reserve as a share of capacity,
the places a school may really book, the group window, no waiting list, one booking per class,
and the program's grades."""
from __future__ import annotations

import re
from datetime import time, timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingRules
from app.core.time import local_today, utcnow
from app.extensions import db
from app.schools.models import SchoolKind
from app.scheduling.models import Slot
from tests import factories


def _token(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "password123"})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _book_class(client, slot_id, **data):
    page = client.get(f"/slots/{slot_id}/book").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page)
    form = {"request_key": key.group(1) if key else "0" * 32, "class_name": "四年级2班", "grade": 4,
            "students": 40, "adults": 2, "program_id": 0}
    form.update(data)
    return client.post(f"/slots/{slot_id}/book?lang=en", data=form)


def _api_class(client, headers, slot_id, **data):
    body = {"slot_id": slot_id, "students": 30, "adults": 2, "grade": 4, "class_name": "四年级2班"}
    body.update(data)
    return client.post("/api/v1/bookings?lang=en", json=body, headers=headers)


def _partner(venue, school) -> None:
    factories.partnership(venue, school)


def _slot(slot_id) -> Slot:
    db.session.expire_all()
    return db.session.get(Slot, slot_id)


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _publish(client, manager, *, days_ahead, audience, capacity, start="09:30", end="11:30") -> Slot:
    day = local_today() + timedelta(days=days_ahead)
    response = client.post("/manage/slots/new", data={
        "day": day.isoformat(), "start": start, "end": end, "audience": audience, "capacity": str(capacity),
        "admission": "free", "program_id": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalar(select(Slot).where(Slot.venue_id == manager.venue_id).order_by(Slot.id.desc()))


# --- the partner reserve follows the capacity --------------------------------------------------

def test_lowering_a_slots_capacity_keeps_the_partner_reserve_its_share(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    slot = _publish(client, manager, days_ahead=17, audience="school", capacity=400)
    assert slot.reserved_seats == 120

    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "100"}).status_code == 302
    assert _slot(slot.id).reserved_seats == 30  # 30 % of 100, not all 100
    assert "30 places until" in _text(client.get(f"/manage/slots/{slot.id}?lang=en"))
    auth.logout()

    auth.login(factories.user("teacher", school=factories.school(kind=SchoolKind.KINDERGARTEN)).email)
    assert "70 places left" in _text(client.get(f"/slots/{slot.id}/book?lang=en"))
    assert _book_class(client, slot.id, class_name="大班1", grade=0, students=20, adults=2).status_code == 302
    assert _slot(slot.id).taken == 22


def test_raising_a_slots_capacity_raises_the_partner_reserve_with_it(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    slot = _publish(client, manager, days_ahead=17, audience="mixed", capacity=100)
    published_until = slot.reserve_until

    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "205"}).status_code == 302
    grown = _slot(slot.id)
    assert grown.reserved_seats == 61 and grown.reserve_until == published_until  # 30 of 100 → 61 of 205


def test_a_slot_that_holds_nothing_back_keeps_holding_nothing_when_it_grows(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    small = _publish(client, manager, days_ahead=17, audience="mixed", capacity=3)
    assert small.reserved_seats == 0 and small.reserve_until is None  # 30 % of 3 rounds down to nothing

    assert client.post(f"/manage/slots/{small.id}/capacity", data={"capacity": "200"}).status_code == 302
    grown = _slot(small.id)
    assert grown.reserved_seats == 0 and grown.reserve_until is None
    public = _publish(client, manager, days_ahead=17, audience="public", capacity=50, start="14:00", end="16:00")
    assert client.post(f"/manage/slots/{public.id}/capacity", data={"capacity": "500"}).status_code == 302
    assert _slot(public.id).reserved_seats == 0  # individual visitors' slots hold nothing back


def _set_reserve_pct(manager, pct: int) -> None:
    """The venue changes its rules after the slot is published (setup, not the behaviour tested)."""
    from app.bookings.rules import DEFAULT_RULES

    db.session.add(BookingRules(venue_id=manager.venue_id, **{**DEFAULT_RULES, "partner_reserved_pct": pct}))
    db.session.commit()


def test_a_resize_keeps_the_slots_reserve_though_the_venue_no_longer_reserves_places(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    slot = _publish(client, manager, days_ahead=17, audience="school", capacity=100)
    published_until = slot.reserve_until
    _set_reserve_pct(manager, 0)

    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "101"}).status_code == 302
    resized = _slot(slot.id)
    assert (resized.reserved_seats, resized.reserve_until) == (30, published_until)
    assert "30 places until" in _text(client.get(f"/manage/slots/{slot.id}?lang=en"))


def test_a_resize_does_not_take_up_the_venues_larger_reserve_of_today(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    slot = _publish(client, manager, days_ahead=17, audience="mixed", capacity=70)
    assert slot.reserved_seats == 21
    _set_reserve_pct(manager, 50)

    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "71"}).status_code == 302
    assert _slot(slot.id).reserved_seats == 21  # 21 of 70 → 21.3 of 71, rounded down
    auth.logout()
    auth.login(factories.user("teacher").email)
    assert "50 places left" in _text(client.get(f"/slots/{slot.id}/book?lang=en"))


# --- the places a school that is not a partner can book ------------------------------------------

def _reserved_school_slot(capacity=40):
    return factories.slot(audience="school", days_ahead=20, capacity=capacity, window_closes_hours=72,
                          reserved_seats=capacity * 30 // 100, reserve_until=utcnow() + timedelta(days=13))


def test_a_school_that_is_not_a_partner_is_shown_only_the_places_it_can_book(client, auth):
    slot = _reserved_school_slot(capacity=40)  # 12 places held for partner schools
    partner_teacher = factories.user("teacher")
    _partner(slot.venue, partner_teacher.school)
    factories.booked_visit(slot, factories.user("teacher"), students=20, adults=2)

    auth.login(factories.user("teacher").email)
    page = _text(client.get(f"/slots/{slot.id}/book?lang=en"))
    assert "6 places left" in page and "18 places left" not in page
    assert "12 more places are held for partner schools until" in page
    auth.logout()
    auth.login(partner_teacher.email)
    page = _text(client.get(f"/slots/{slot.id}/book?lang=en"))
    assert "18 places left" in page and "held for partner schools" not in page


def test_a_class_refused_for_held_places_is_told_they_are_held_for_partner_schools(client, auth):
    slot = _reserved_school_slot(capacity=60)  # 18 held
    factories.booked_visit(slot, factories.user("teacher"), students=20, adults=2)  # 20 open places left
    teacher = factories.user("teacher")

    refused = _api_class(client, _token(client, teacher), slot.id, students=30, adults=2)
    assert refused.status_code == 409 and refused.get_json()["error"] == "slot_full"
    message = refused.get_json()["message"]
    assert "20" in message and "18 more places are held for partner schools until" in message

    auth.login(teacher.email)
    page = _book_class(client, slot.id, students=30, adults=2)
    assert page.status_code == 409 and "18 more places are held for partner schools" in _text(page)
    assert _slot(slot.id).taken == 22


def test_the_held_places_refusal_is_in_chinese_for_a_chinese_client(client):
    slot = _reserved_school_slot(capacity=60)  # 18 held
    factories.booked_visit(slot, factories.user("teacher"), students=20, adults=2)
    body = {"slot_id": slot.id, "students": 30, "adults": 2, "grade": 4, "class_name": "四年级2班"}
    refused = client.post("/api/v1/bookings?lang=zh", json=body,
                          headers=_token(client, factories.user("teacher")))
    assert refused.status_code == 409
    assert refused.get_json()["message"].startswith("本时段贵校可预约的名额：20 个。另有 18 个名额为合作学校保留至 ")


def test_a_class_refused_after_the_slot_was_made_smaller_is_told_only_the_held_places_still_free(client, auth):
    slot = _reserved_school_slot(capacity=40)  # 12 held
    factories.booked_visit(slot, factories.user("teacher"), students=26, adults=2)  # every open place taken
    auth.login(factories.user("venue_manager", venue=slot.venue).email)
    assert client.post(f"/manage/slots/{slot.id}/capacity", data={"capacity": "30"}).status_code == 302
    assert _slot(slot.id).reserved_seats == 9  # the reserve follows capacity, but only 2 places are free
    auth.logout()

    teacher = factories.user("teacher")
    refused = _api_class(client, _token(client, teacher), slot.id, students=10, adults=2)
    message = refused.get_json()["message"]
    assert refused.status_code == 409 and "book at this time: 0." in message
    assert "2 more places are held for partner schools until" in message  # as the booking page says
    auth.login(teacher.email)
    assert "2 more places are held for partner schools until" in _text(client.get(f"/slots/{slot.id}/book?lang=en"))


# --- the group window and cutoff, whatever the slot's audience -----------------------------------

def test_a_class_on_a_mixed_slot_keeps_the_group_cutoff(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    tomorrow = _publish(client, manager, days_ahead=1, audience="mixed", capacity=100, start="19:00", end="21:00")
    auth.logout()
    teacher = factories.user("teacher")

    auth.login(teacher.email)
    assert "Booking for this visit closed at 19:00 on" in _text(client.get(f"/slots/{tomorrow.id}/book?lang=en"))
    auth.logout()
    refused = _api_class(client, _token(client, teacher), tomorrow.id)
    assert (refused.status_code, refused.get_json()["error"]) == (400, "outside_booking_window")
    citizen = client.post("/api/v1/bookings", json={"slot_id": tomorrow.id, "party_size": 2},
                          headers=_token(client, factories.user("citizen")))
    assert citizen.status_code == 201  # individuals keep the public window
    assert _slot(tomorrow.id).taken == 2


def test_a_class_books_a_mixed_slot_in_the_group_window(client, auth):
    manager = factories.user("venue_manager")
    db.session.add(BookingRules(venue_id=manager.venue_id, school_window_days=25))
    db.session.commit()
    auth.login(manager.email)
    later = _publish(client, manager, days_ahead=20, audience="mixed", capacity=100)
    auth.logout()

    assert _api_class(client, _token(client, factories.user("teacher")), later.id).status_code == 201
    citizen = client.post("/api/v1/bookings", json={"slot_id": later.id, "party_size": 2},
                          headers=_token(client, factories.user("citizen")))
    assert (citizen.status_code, citizen.get_json()["error"]) == (400, "outside_booking_window")


# --- the venue calendar knows who is looking --------------------------------------------------------

def _calendar(client, slot) -> str:
    return _text(client.get(f"/venues/{slot.venue_id}?month={slot.local_date:%Y-%m}&lang=en"))


def _action(page: str, slot) -> str:
    """The calendar's link or note for ``slot``: the text of its booking link, or "" without one."""
    match = re.search(rf'href="/slots/{slot.id}/book">([^<]*)<', page)
    return match.group(1).strip() if match else ""


def test_the_venue_calendar_offers_a_partner_school_its_early_window(client, auth):
    slot = factories.slot(audience="school", days_ahead=33, start=time(9, 30), end=time(11, 30), capacity=100)
    partner_teacher = factories.user("teacher")
    _partner(slot.venue, partner_teacher.school)

    auth.login(partner_teacher.email)
    assert _action(_calendar(client, slot), slot) == "Book"
    auth.logout()
    auth.login(factories.user("teacher").email)
    assert _action(_calendar(client, slot), slot).startswith("Booking opens")


def test_the_venue_calendar_shows_a_teacher_the_group_window_of_a_mixed_slot(client, auth):
    slot = factories.slot(audience="mixed", days_ahead=20, window_opens_days=7, capacity=100)
    auth.login(factories.user("teacher").email)
    assert _action(_calendar(client, slot), slot) == "Book"
    auth.logout()
    auth.login(factories.user("citizen").email)
    assert _action(_calendar(client, slot), slot).startswith("Booking opens")  # for individuals, in 13 days


# --- classes have no waiting list ----------------------------------------------------------------

def test_a_teacher_is_not_offered_a_class_form_for_a_full_slot(client, auth):
    slot = factories.slot(audience="mixed", days_ahead=10, capacity=50, window_closes_hours=72)
    factories.booked_visit(slot, factories.user("teacher"), students=40, adults=2)  # 8 places left

    auth.login(factories.user("teacher").email)
    page = _text(client.get(f"/slots/{slot.id}/book?lang=en"))
    assert "No room for a class" in page and "a class visit needs at least 11" in page
    assert "Class visits have no waiting list" in page and "See other times" in page
    assert 'name="students"' not in page
    assert "Join the waiting list" not in _calendar(client, slot)


def test_a_citizen_still_sees_the_waiting_list_of_a_full_mixed_slot(client, auth):
    slot = factories.slot(audience="mixed", days_ahead=3, capacity=2)
    factories.booked_visit(slot, factories.user("citizen"), party_size=2)
    auth.login(factories.user("citizen").email)
    assert "Join the waiting list" in _calendar(client, slot)


# --- one booking per class --------------------------------------------------------------------------

def test_a_class_name_with_full_width_digits_is_the_same_class(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)
    first = factories.user("teacher")
    colleague = factories.user("teacher", school=first.school)
    assert _api_class(client, _token(client, first), slot.id, class_name="四年级2班").status_code == 201

    again = _api_class(client, _token(client, colleague), slot.id, class_name="四年级２班")
    assert (again.status_code, again.get_json()["error"]) == (409, "duplicate_booking")
    assert again.get_json()["message"] == "四年级2班 of your school already has a booking for this time."
    spaced = _api_class(client, _token(client, colleague), slot.id, class_name="  Grade\u30004   Class 3 ")
    assert spaced.status_code == 201 and spaced.get_json()["class_name"] == "Grade 4 Class 3"
    assert _slot(slot.id).taken == 64


def test_a_class_name_in_another_case_is_the_same_class_named_as_booked(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)
    first = factories.user("teacher")
    colleague = factories.user("teacher", school=first.school)
    assert _api_class(client, _token(client, first), slot.id, class_name="Grade 4 Class 2A").status_code == 201

    again = _api_class(client, _token(client, colleague), slot.id, class_name="grade 4 CLASS 2a")
    assert (again.status_code, again.get_json()["error"]) == (409, "duplicate_booking")
    assert again.get_json()["message"] == "Grade 4 Class 2A of your school already has a booking for this time."
    auth.login(colleague.email)
    error = re.search(r'id="class_name-error">([^<]*)<', _book_class(client, slot.id, class_name="ＧＲＡＤＥ 4 class 2A")
                      .get_data(as_text=True))
    assert error and "Grade 4 Class 2A of your school already has a booking" in error.group(1)
    assert _slot(slot.id).taken == 32
    assert db.session.scalar(select(db.func.count(Booking.id))) == 1


def test_a_colleague_is_told_the_class_is_booked_not_that_they_booked_it(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)
    first = factories.user("teacher")
    factories.booked_visit(slot, first, class_name="四年级2班")
    auth.login(factories.user("teacher", school=first.school).email)

    refused = _book_class(client, slot.id, class_name="四年级2班")
    assert refused.status_code == 409
    assert "四年级2班 of your school already has a booking for this time." in _text(refused)
    assert "You already have a booking" not in _text(refused)
    assert db.session.scalar(select(db.func.count(Booking.id))) == 1


def test_a_class_already_booked_by_a_colleague_is_said_next_to_the_class_field(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)
    first = factories.user("teacher")
    factories.booked_visit(slot, first, class_name="三年级2班")
    colleague = factories.user("teacher", school=first.school)
    auth.login(colleague.email)

    error = re.search(r'id="class_name-error">([^<]*)<', _book_class(client, slot.id, class_name="三年级２班")
                      .get_data(as_text=True))
    assert error and "三年级2班 of your school already has a booking" in error.group(1)
    auth.logout()
    api = _api_class(client, _token(client, colleague), slot.id, class_name="三年级2班")
    assert (api.status_code, api.get_json()["error"], api.get_json()["field"]) == (409, "duplicate_booking",
                                                                                    "class_name")


# --- the program's grades ---------------------------------------------------------------------------

def test_a_program_for_other_grades_is_refused_next_to_the_program(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)
    program = factories.program(slot.venue, grade_min=1, grade_max=9)
    teacher = factories.user("teacher")

    auth.login(teacher.email)
    page = _book_class(client, slot.id, class_name="高三1班", grade=12, program_id=program.id)
    error = re.search(r'id="program_id-error">([^<]*)<', page.get_data(as_text=True))
    assert page.status_code == 400 and error and "Grade 1 to Grade 9" in error.group(1)
    auth.logout()
    api = _api_class(client, _token(client, teacher), slot.id, grade=0, class_name="大班1", students=20,
                     program_id=program.id)
    assert (api.status_code, api.get_json()["error"]) == (400, "program_grade")
    assert _api_class(client, _token(client, teacher), slot.id, grade=4, program_id=program.id).status_code == 201


def test_a_slot_offering_a_program_for_other_grades_refuses_a_general_visit_of_that_grade(client):
    program = factories.program(factories.venue(), grade_min=1, grade_max=6)
    slot = factories.slot(program.venue, audience="school", days_ahead=10, capacity=200, program_id=program.id)
    refused = _api_class(client, _token(client, factories.user("teacher")), slot.id, grade=8, class_name="初二1班")
    assert (refused.status_code, refused.get_json()["error"]) == (400, "program_grade")
    assert refused.get_json()["message"] == "This time offers a program for Grade 1 to Grade 6 only."


def _slot_with_program(**program):
    """A school slot running a program for grades 1–9, at a venue with another program for every grade."""
    water = factories.program(factories.venue(), title_en="Where water comes from", grade_min=1, grade_max=9,
                              **program)
    other = factories.program(water.venue, title_en="Hands-on lab day", grade_min=0, grade_max=12)
    slot = factories.slot(water.venue, audience="school", days_ahead=10, capacity=200, program_id=water.id)
    return slot, water, other


def test_a_slot_running_a_program_offers_only_that_program_on_the_booking_form(client, auth):
    slot, water, other = _slot_with_program()
    auth.login(factories.user("teacher").email)
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    choices = re.search(r'<select[^>]*name="program_id"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert "Where water comes from" in choices
    assert "Hands-on lab day" not in choices and "General visit" not in choices


def test_another_program_than_the_slots_own_is_refused_next_to_the_program(client, auth):
    slot, water, other = _slot_with_program()
    teacher = factories.user("teacher")
    auth.login(teacher.email)
    page = _book_class(client, slot.id, class_name="高一1班", grade=10, program_id=other.id)
    assert page.status_code == 400 and 'id="program_id-error"' in page.get_data(as_text=True)
    auth.logout()

    headers = _token(client, teacher)
    for lang, says in (("en", "Where water comes from"), ("zh", None)):
        api = client.post(f"/api/v1/bookings?lang={lang}", headers={**headers, "Accept-Language": lang},
                          json={"slot_id": slot.id, "students": 30, "adults": 2, "grade": 10,
                                "class_name": "高一1班", "program_id": other.id})
        body = api.get_json()
        assert (api.status_code, body["error"], body["field"]) == (400, "invalid_program", "program_id")
        if says:
            assert says in body["message"]
        else:
            assert re.search(r"[\u4e00-\u9fff]", body["message"]) and "program" not in body["message"]
    assert db.session.scalar(select(db.func.count(Booking.id))) == 0


def test_a_class_booking_a_slot_with_a_program_gets_that_program_within_its_grades(client):
    slot, water, other = _slot_with_program()
    headers = _token(client, factories.user("teacher"))
    too_old = _api_class(client, headers, slot.id, grade=10, class_name="高一1班", program_id=water.id)
    assert (too_old.status_code, too_old.get_json()["error"]) == (400, "program_grade")
    booked = _api_class(client, headers, slot.id, grade=4, program_id=water.id)
    assert booked.status_code == 201
    assert db.session.get(Booking, booked.get_json()["id"]).program_id == water.id


# --- the partner notice -----------------------------------------------------------------------------

def test_the_partner_school_notice_is_a_notice_not_a_badge(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    teacher = factories.user("teacher")
    _partner(slot.venue, teacher.school)
    auth.login(teacher.email)
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    notice = re.search(r'<p class="([^"]*)"[^>]*>Your school is a partner school', page)
    assert notice and "badge" not in notice.group(1) and "flash" in notice.group(1)


def test_an_unverified_teacher_is_told_before_filling_in_the_class_form(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher", verified=False).email)
    page = client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    assert "waiting for verification by the district" in page and 'name="students"' not in page


# --- the deadline a booking's page states ------------------------------------------------------------

def test_a_pending_request_states_it_can_be_changed_until_the_visit_starts(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=200)  # 09:00
    db.session.add(BookingRules(venue_id=slot.venue_id, cancel_cutoff_hours=30))  # the cutoff: 03:00 the day before
    db.session.commit()
    teacher = factories.user("teacher")
    booking = factories.booked_visit(slot, teacher)
    auth.login(teacher.email)

    said = re.search(r"You can change or cancel until ([^<]*)\.", _text(client.get(f"/bookings/{booking.id}?lang=en")))
    assert said and "09:00" in said.group(1) and "03:00" not in said.group(1)
