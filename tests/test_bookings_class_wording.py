"""What teachers, managers and gate staff read about a class booking: pluralised headcounts, the class
named as typed, the chosen program, slips and lists that follow the booking's status, stale tabs."""
from __future__ import annotations

import re

import icalendar
from sqlalchemy import select

from app.bookings import services as booking_services
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _teacher(locale=None):
    teacher = factories.user("teacher")
    teacher.locale = locale
    db.session.commit()
    return teacher


def _class_of_21(teacher, **kw):
    """Class "5-3": 20 students and the 1 adult they need, on a school slot 10 days ahead."""
    slot = kw.pop("slot", None) or factories.slot(audience="school", days_ahead=10, capacity=100)
    return factories.booked_visit(slot, teacher, students=20, adults=1, grade=5, class_name="5-3", **kw)


def _mail(kind, booking) -> OutboxMessage:
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == kind,
                                                         OutboxMessage.booking_id == booking.id))


def _html(response) -> str:
    return response.get_data(as_text=True)


def _only_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 1 adult, not "1 adults"; the class as the teacher typed it -----------------------------------

def test_my_bookings_say_one_adult_and_name_the_class_as_typed(client, auth):
    teacher = _teacher()
    _class_of_21(teacher)
    auth.login(teacher.email)

    english = _only_text(_html(client.get("/me/bookings?lang=en")))
    assert "5-3 (20 students, 1 adult)" in english
    assert "1 adults" not in english and "Class 5-3" not in english

    chinese = _only_text(_html(client.get("/me/bookings?lang=zh")))
    assert "5-3（学生 20 人，随行成人 1 人）" in chinese


def test_the_booking_email_says_one_adult_without_prefixing_class(app):
    english = _class_of_21(_teacher(locale="en"))
    chinese = _class_of_21(_teacher())

    body = _mail("booking_requested", english).body
    assert "Party: 5-3 (20 students, 1 adult)" in body
    assert "adults" not in body and "Class 5-3" not in body
    assert "参观人员：5-3（学生 20 人，随行成人 1 人）" in _mail("booking_requested", chinese).body


def test_the_calendar_entry_says_one_adult(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)

    ics = client.get(f"/bookings/{booking.id}/calendar.ics?lang=en")
    description = str(icalendar.Calendar.from_ical(ics.data).walk("VEVENT")[0]["description"])
    assert "Party: 5-3 (20 students, 1 adult)" in description and "1 adults" not in description


def test_the_ticket_and_the_manager_pages_say_one_adult(client, auth):
    teacher = _teacher()
    pending = _class_of_21(teacher)
    confirmed = factories.confirmed_visit(factories.slot(pending.venue, audience="school", days_ahead=12,
                                                         capacity=100),
                                          teacher, students=20, adults=1, grade=5, class_name="5-3")
    auth.login(teacher.email)
    ticket = _only_text(_html(client.get(f"/bookings/{confirmed.id}?lang=en")))
    assert "5-3 (20 students, 1 adult)" in ticket
    auth.logout()

    auth.login(factories.user("venue_manager", venue=pending.venue).email)
    requests = _only_text(_html(client.get("/manage/bookings?lang=en")))
    assert "20 students, 1 adult" in requests and "1 adults" not in requests
    decline = _only_text(_html(client.get(f"/manage/bookings/{pending.id}/decline?lang=en")))
    assert "20 students, 1 adult" in decline and "1 adults" not in decline


def test_the_gate_tells_a_class_of_one_adult_in_the_singular(client, auth):
    slot = factories.slot_at(audience="school")
    booking = factories.confirmed_visit(slot, _teacher(), students=20, adults=1, grade=5, class_name="5-3")
    auth.login(factories.user("venue_staff", venue=slot.venue).email)

    html = _only_text(_html(client.post("/scan?lang=en", data={"code": booking.reference, "nonce": "one-adult"})))
    assert "5-3 (20 students, 1 adult)" in html and "Class 5-3" not in html


def test_too_few_adults_is_said_in_the_singular(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(_teacher().email)
    page = _html(client.get(f"/slots/{slot.id}/book?lang=en"))
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page).group(1)

    response = client.post(f"/slots/{slot.id}/book?lang=en", data={
        "request_key": key, "class_name": "5-3", "grade": 5, "students": 10, "adults": 0, "program_id": 0})
    assert response.status_code == 400
    assert "10 students need at least 1 accompanying adult: add 1 more." in _html(response)


# --- the program the teacher chose -----------------------------------------------------------------

def test_the_chosen_program_is_on_the_booking_page_the_slip_and_the_managers_list(client, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)  # a slot without a program
    water = factories.program(slot.venue, title_zh="中国水周：水从哪里来", title_en="Where water comes from")
    teacher = _teacher()
    booking = _class_of_21(teacher, slot=slot, program_id=water.id)
    auth.login(teacher.email)

    assert "中国水周：水从哪里来" in _html(client.get(f"/bookings/{booking.id}"))
    assert "中国水周：水从哪里来" in _html(client.get(f"/bookings/{booking.id}/slip"))
    auth.logout()

    auth.login(factories.user("venue_manager", venue=slot.venue).email)
    assert "Program: Where water comes from" in _only_text(_html(client.get("/manage/bookings?lang=en")))


# --- declined and cancelled bookings ---------------------------------------------------------------

def test_a_cancelled_class_visit_offers_no_slip_or_calendar_and_its_slip_is_void(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)
    live = _html(client.get(f"/bookings/{booking.id}"))
    assert f"/bookings/{booking.id}/slip" in live and f"/bookings/{booking.id}/calendar.ics" in live
    assert "请集体到达" in _html(client.get(f"/bookings/{booking.id}/slip"))

    client.post(f"/bookings/{booking.id}/cancel")

    page = _html(client.get(f"/bookings/{booking.id}"))
    assert f"/bookings/{booking.id}/slip" not in page and "calendar.ics" not in page
    slip = _html(client.get(f"/bookings/{booking.id}/slip"))
    assert "请集体到达" not in slip and "本确认单无效" in slip


def test_a_declined_class_visit_slip_says_it_is_not_valid(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    booking_services.decline_booking(factories.user("venue_manager", venue=booking.venue), booking,
                                     reason="当天展厅维护")
    db.session.commit()
    auth.login(teacher.email)

    slip = _only_text(_html(client.get(f"/bookings/{booking.id}/slip?lang=en")))
    assert "The venue declined this request" in slip and "not valid" in slip
    assert "Please arrive together" not in slip
    assert "calendar.ics" not in _html(client.get(f"/bookings/{booking.id}"))


def test_cancelled_and_declined_bookings_are_not_listed_as_coming_up(client, auth):
    teacher = _teacher()
    live = _class_of_21(teacher)
    cancelled = _class_of_21(teacher, slot=factories.slot(live.venue, audience="school", days_ahead=11,
                                                          capacity=100))
    booking_services.cancel_booking(teacher, cancelled)
    db.session.commit()
    auth.login(teacher.email)

    page = _html(client.get("/me/bookings?lang=en"))
    coming, ended = page.split("Past, cancelled and declined", 1)
    assert f"/bookings/{live.id}\"" in coming and f"/bookings/{cancelled.id}\"" not in coming
    assert f"/bookings/{cancelled.id}\"" in ended
    assert "Who is coming" in page and ">Who<" not in page


# --- a second tab, unchanged numbers, a pending booking's change ------------------------------------

def test_a_headcount_change_from_a_stale_tab_says_the_booking_is_cancelled(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)
    client.post(f"/bookings/{booking.id}/cancel")  # the first tab

    response = client.post(f"/bookings/{booking.id}/headcount?lang=en", data={"students": 15, "adults": 1},
                           follow_redirects=True)
    assert "This booking can no longer be changed." in _html(response)


def test_a_too_long_cancel_reason_from_a_stale_tab_says_the_booking_is_cancelled(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)
    client.post(f"/bookings/{booking.id}/cancel")

    response = client.post(f"/bookings/{booking.id}/cancel?lang=en", data={"reason": "x" * 501},
                           follow_redirects=True)
    assert "This booking can no longer be cancelled." in _html(response)


def test_saving_the_same_numbers_says_nothing_changed(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)

    response = client.post(f"/bookings/{booking.id}/headcount?lang=en", data={"students": 20, "adults": 1},
                           follow_redirects=True)
    html = _html(response)
    assert "nothing was changed" in html and "The new numbers are saved." not in html
    assert _mail("booking_changed", booking) is None


def test_lowering_a_pending_class_does_not_speak_of_an_old_ticket(client, auth):
    teacher = _teacher(locale="en")
    pending = _class_of_21(teacher)
    confirmed = factories.confirmed_visit(factories.slot(audience="school", days_ahead=12, capacity=100), teacher,
                                          students=20, adults=1, grade=5, class_name="5-3")
    auth.login(teacher.email)

    for booking in (pending, confirmed):
        response = client.post(f"/bookings/{booking.id}/headcount", data={"students": 15, "adults": 1})
        assert response.status_code == 302

    assert "Earlier tickets" not in _mail("booking_changed", pending).body
    assert "Earlier tickets of this booking no longer work" in _mail("booking_changed", confirmed).body


# --- someone else's booking, and one word for the adults --------------------------------------------

def test_gate_staff_see_neutral_wording_on_a_checked_in_class(client, auth):
    slot = factories.slot_at(audience="school")
    checkin = factories.admitted_visit(slot, _teacher(), students=20, adults=1, grade=5, class_name="5-3")
    auth.login(factories.user("venue_staff", venue=slot.venue).email)

    page = _html(client.get(f"/bookings/{checkin.booking_id}?lang=zh"))
    assert "该预约已核验入馆" in page
    assert "祝您参观愉快" not in page and "我的全部预约" not in page


def test_a_district_admin_reading_a_citizens_booking_is_not_addressed_as_its_owner(client, auth):
    booking = factories.booked_visit(factories.slot(), factories.user("citizen"))
    auth.login(factories.user("district_admin").email)

    page = _html(client.get(f"/bookings/{booking.id}?lang=zh"))
    assert page and "我的全部预约" not in page


def test_the_form_the_page_and_the_slip_call_the_adults_the_same(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    auth.login(teacher.email)

    other = factories.slot(booking.venue, audience="school", days_ahead=10, capacity=100)  # a form to read
    pages = [_html(client.get(f"/slots/{other.id}/book?lang=zh")),
             _html(client.get(f"/bookings/{booking.id}?lang=zh")),
             _html(client.get(f"/bookings/{booking.id}/slip?lang=zh"))]
    assert all("随行成人" in page and "带队成人" not in page for page in pages)


def test_the_booking_page_names_the_grade_as_the_slip_does(client, auth):
    teacher = _teacher()
    booking = _class_of_21(teacher)
    kindergarten = factories.booked_visit(factories.slot(audience="school", days_ahead=11, capacity=100), teacher,
                                          students=20, adults=2, grade=0, class_name="小一班")
    auth.login(teacher.email)

    page = _only_text(_html(client.get(f"/bookings/{booking.id}?lang=zh")))
    slip = _only_text(_html(client.get(f"/bookings/{booking.id}/slip?lang=zh")))
    assert " 年级 5年级 " in page and " 年级 5年级 " in slip
    assert " Grade Grade 5 " in _only_text(_html(client.get(f"/bookings/{booking.id}?lang=en")))
    assert " 年级 幼儿园 " in _only_text(_html(client.get(f"/bookings/{kindergarten.id}?lang=zh")))
