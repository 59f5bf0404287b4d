"""The venue profile as a manager types it: contact details in full width (a Chinese input method's
０２５－…) are read as the digits and signs they are and stored so, as the capacity and coordinates
are; the one-line fields (names, addresses, contact details) refuse line breaks and other control
characters next to the field, keeping what was saved."""
from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.venues.models import Venue
from tests import factories


@pytest.fixture
def new_manager(auth):
    person = factories.user("venue_manager", venue=None)
    auth.login(person.email)
    return person


@pytest.fixture
def venue_manager(auth):
    venue = factories.venue(name_zh="南京科技馆", name_en="Nanjing Science Museum", address_zh="北京东路1号",
                            contact_phone="025-8480 0000")
    person = factories.user("venue_manager", venue=venue)
    auth.login(person.email)
    return person


def _stored(manager) -> Venue | None:
    db.session.expire_all()
    venue_id = db.session.merge(manager).venue_id
    return db.session.get(Venue, venue_id) if venue_id else None


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize("typed,stored", [
    ("０２５－８４８０　００００", "025-8480 0000"),
    ("（０２５）８４８０００００", "(025)84800000"),
    ("＋８６ ２５ ８４８０ ００００", "+86 25 8480 0000"),
])
def test_a_full_width_telephone_number_is_accepted_and_stored_in_plain_digits(client, new_manager, typed, stored):
    response = client.post("/manage/venue", data=factories.venue_form_data(contact_phone=typed, daily_capacity="８００"))
    assert response.status_code == 302, _field_error(response.get_data(as_text=True), "contact_phone")
    venue = _stored(new_manager)
    assert venue.contact_phone == stored and venue.daily_capacity == 800


def test_a_full_width_telephone_number_is_accepted_when_editing_too(client, venue_manager):
    response = client.post("/manage/venue", data=factories.venue_form_data(contact_phone="０２５－５２３０ １２３４"))
    assert response.status_code == 302
    assert _stored(venue_manager).contact_phone == "025-5230 1234"


def test_a_telephone_number_with_letters_is_still_refused(client, new_manager):
    response = client.post("/manage/venue?lang=en", data=factories.venue_form_data(contact_phone="０２５－ＡＢＣ"))
    assert response.status_code == 400
    assert "Enter a telephone number" in _field_error(response.get_data(as_text=True), "contact_phone")
    assert _stored(new_manager) is None


def test_a_full_width_email_address_and_website_are_stored_as_typed_in_ascii(client, new_manager):
    response = client.post("/manage/venue", data=factories.venue_form_data(
        contact_email="ｉｎｆｏ＠ｍｕｓｅｕｍ．ｃｎ", website="ｈｔｔｐｓ：／／ｍｕｓｅｕｍ．ｃｎ"))
    assert response.status_code == 302
    venue = _stored(new_manager)
    assert (venue.contact_email, venue.website) == ("info@museum.cn", "https://museum.cn")


# (The form's own email check refuses such an address before the profile's rules see it.)
@pytest.mark.parametrize("field", ["name_zh", "name_en", "address_zh", "address_en", "website"])
@pytest.mark.parametrize("inside", ["\r\n", "\n", "\t", "\u2028", "\x0b"])
def test_a_line_break_inside_a_one_line_field_is_refused_next_to_it(client, new_manager, field, inside):
    good = factories.venue_form_data()[field]
    typed = f"{good[:3]}{inside}{good[3:]}"
    response = client.post("/manage/venue?lang=en", data=factories.venue_form_data(**{field: typed}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Keep this on one line" in _field_error(page, field)
    assert _stored(new_manager) is None


def test_a_renamed_venue_with_a_line_break_keeps_its_saved_name(client, venue_manager):
    data = factories.venue_form_data(name_zh="南京科技馆\r\nATTENDEE:mailto:evil@example.com", address_zh="北京东路2号")
    response = client.post("/manage/venue?lang=en", data=data)
    assert response.status_code == 400
    assert "Keep this on one line" in _field_error(response.get_data(as_text=True), "name_zh")
    venue = _stored(venue_manager)
    assert (venue.name_zh, venue.address_zh) == ("南京科技馆", "北京东路1号")


def test_a_line_break_typed_at_the_end_of_a_name_is_simply_trimmed(client, new_manager):
    assert client.post("/manage/venue", data=factories.venue_form_data(name_zh="紫金星空馆\r\n")).status_code == 302
    assert _stored(new_manager).name_zh == "紫金星空馆"


def test_the_description_keeps_its_paragraphs(client, new_manager):
    text = "第一段。\r\n\r\n第二段。"
    assert client.post("/manage/venue", data=factories.venue_form_data(description_zh=text)).status_code == 302
    assert _stored(new_manager).description_zh == "第一段。\n\n第二段。"
