"""What every form does with what people type: empty optional fields stay quiet, a value that cannot
be read is told once, line breaks count as the browser counts them, full-width digits are digits,
and the error summary speaks of marked fields only when a field is marked."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.bookings.services import book_individual_visit
from app.core.time import local_today
from app.extensions import db
from app.stats.models import ReportSubmission
from tests import factories
from tests.test_scheduling_publish import slot_form, venue_slots

MARKED_FIELDS = "Please correct the marked fields."


def errors(page: str) -> dict[str, str]:
    """The error shown under each field, by field id."""
    return dict(re.findall(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page, re.S))


@pytest.fixture
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def new_manager(auth):
    person = factories.user("venue_manager", venue=None)
    auth.login(person.email)
    return person


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def test_a_form_shown_again_flags_only_the_wrong_field_not_the_empty_optional_ones(english, new_manager):
    data = factories.venue_form_data(latitude="", longitude="", opens_at="", closes_at="", daily_capacity="-5")
    response = english.post("/manage/venue", data=data)
    assert response.status_code == 400
    assert list(errors(response.get_data(as_text=True))) == ["daily_capacity"]


def test_a_number_that_cannot_be_read_is_told_so_once(english, new_manager):
    response = english.post("/manage/venue", data=factories.venue_form_data(latitude="abc", longitude="118.8"))
    assert errors(response.get_data(as_text=True)) == {"latitude": "Not a valid decimal value."}


def test_an_empty_required_date_says_it_is_required(english, manager):
    response = english.post("/manage/closures", data={"starts_on": "", "ends_on": "", "reason_zh": "设备检修"})
    assert response.status_code == 400
    assert errors(response.get_data(as_text=True)) == {"starts_on": "This field is required."}


def test_a_one_day_closure_with_bookings_is_previewed_without_an_error_on_the_empty_end_date(english, manager):
    slot = factories.slot(manager.venue, days_ahead=2, capacity=40)
    book_individual_visit(factories.user("citizen"), slot, party_size=2)
    db.session.commit()
    preview = english.post("/manage/closures", data={"starts_on": slot.local_date.isoformat(), "ends_on": "",
                                                     "reason_zh": "设备检修", "reason_en": ""})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert errors(page) == {} and 'name="confirmed"' in page


def test_a_line_break_counts_as_one_character_as_in_the_browser(client, manager):
    # 2,999 characters as the textarea (maxlength 4000) counts them; 4,498 with CRLF on the wire.
    response = client.post(f"/manage/reports/{local_today().year - 1}/text", data={"text": "第\r\n" * 1499 + "第"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ReportSubmission.text)) == "第\n" * 1499 + "第"


def test_full_width_dates_and_times_are_read_like_full_width_numbers(client, auth):
    manager = factories.user("venue_manager", venue=factories.venue(closed_weekdays=""))
    auth.login(manager.email)
    day = local_today() + timedelta(days=4)
    full_width_day = day.isoformat().translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    response = client.post("/manage/slots/new", data=slot_form(day, day=full_width_day, start="１９:００",
                                                               end="２１：３０", capacity="８０"))
    assert response.status_code == 302
    slot = venue_slots(manager.venue)[0]
    assert slot.local_date == day and slot.capacity == 80


def _class_booking(client, slot, **data):
    page = client.get(f"/slots/{slot.id}/book").get_data(as_text=True)
    found = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page)
    key = found.group(1) if found else "0" * 32  # no form shown (an unverified teacher): posted all the same
    return client.post(f"/slots/{slot.id}/book", data={
        "request_key": key, "class_name": "四年级2班", "grade": 4, "students": 40, "adults": 4, "program_id": 0,
        **data})


def test_a_choice_that_is_not_a_number_gets_the_same_message_as_a_choice_not_offered(english, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher").email)
    not_offered = errors(_class_booking(english, slot, grade=13).get_data(as_text=True))
    not_a_number = errors(_class_booking(english, slot, grade="abc").get_data(as_text=True))
    assert not_offered == not_a_number == {"grade": "Not a valid choice."}


def test_a_school_that_is_not_a_number_is_refused_like_an_unknown_school(english):
    form = {"role": "teacher", "name": "李华", "phone": "13912345678", "email": "lihua@example.com",
            "password": "correct-horse", "confirm": "correct-horse", "consent": "y"}
    unknown = errors(english.post("/register", data={**form, "school_id": "999999"}).get_data(as_text=True))
    not_a_number = errors(english.post("/register", data={**form, "school_id": "abc"}).get_data(as_text=True))
    assert unknown == not_a_number == {"school_id": "Choose a school from the list."}


def test_a_refusal_of_the_whole_form_does_not_speak_of_marked_fields(english, auth):
    slot = factories.slot(audience="school", days_ahead=10, capacity=100)
    auth.login(factories.user("teacher", verified=False).email)
    response = _class_booking(english, slot)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "waiting for verification" in page and MARKED_FIELDS not in page


def test_a_marked_field_is_announced_above_the_form(english, new_manager):
    page = english.post("/manage/venue", data=factories.venue_form_data(daily_capacity="-5")).get_data(as_text=True)
    assert MARKED_FIELDS in page
