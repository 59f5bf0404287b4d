"""What a venue's manager is told about their slots: how many people a capacity change took from the
waiting lists, and which days of the slot list are closed (rather than simply without slots)."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from babel.dates import format_date

from app.bookings.models import BookingStatus
from app.bookings.services import book_individual_visit
from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure
from tests import factories


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def reload(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def flashes(html: str) -> str:
    """The confirmations shown after a redirect."""
    found = re.search(r'(?s)<div class="flashes" role="status">.*?</div>', html)
    return text_of(found.group(0)) if found else ""


def full_slot_with_waiting(venue, parties=(2, 3), **kw):
    """A slot of 3 places booked full, with a waiting booking of each size in ``parties`` (a party
    larger than the whole slot is refused, not waitlisted)."""
    slot = factories.slot(venue, capacity=3, **kw)
    book_individual_visit(factories.user("citizen"), slot, party_size=3)
    waiting = [book_individual_visit(factories.user("citizen"), slot, party_size=n, join_waitlist=True)
               for n in parties]
    db.session.commit()
    assert {b.status for b in waiting} == {BookingStatus.WAITLISTED}
    return slot, waiting


def resize(client, slot, capacity):
    response = client.post(f"/manage/slots/{slot.id}/capacity?lang=en", data={"capacity": str(capacity)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return flashes(client.get(response.headers["Location"]).get_data(as_text=True))


def change_between(client, first, last, capacity):
    response = client.post("/manage/slots/capacity?lang=en",
                           data={"batch-starts_on": first.isoformat(), "batch-ends_on": last.isoformat(),
                                 "batch-audience": "", "batch-capacity": str(capacity)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return flashes(client.get(response.headers["Location"]).get_data(as_text=True))


# --- a capacity change and the waiting list ---------------------------------------------------------

def test_raising_a_slots_capacity_says_how_many_waiting_bookings_and_people_were_confirmed(client, manager):
    slot, waiting = full_slot_with_waiting(manager.venue, days_ahead=5)

    page = resize(client, slot, 120)

    assert [reload(b).status for b in waiting] == [BookingStatus.CONFIRMED] * 2
    assert "Capacity changed to 120. 2 bookings (5 people) on the waiting list were confirmed and told." in page


def test_one_waiting_booking_confirmed_is_said_in_the_singular(client, manager):
    slot, _waiting = full_slot_with_waiting(manager.venue, parties=(1,), days_ahead=5)

    page = resize(client, slot, 4)

    assert "Capacity changed to 4. 1 booking (1 person) on the waiting list was confirmed and told." in page


def test_only_the_waiting_bookings_that_fit_are_counted(client, manager):
    slot, waiting = full_slot_with_waiting(manager.venue, parties=(3, 2), days_ahead=5)

    page = resize(client, slot, 5)  # 2 places more: the party of 3 still waits, the party of 2 fits

    assert [reload(b).status for b in waiting] == [BookingStatus.WAITLISTED, BookingStatus.CONFIRMED]
    assert "Capacity changed to 5. 1 booking (2 people) on the waiting list was confirmed and told." in page


def test_a_capacity_change_with_nobody_waiting_says_nothing_about_a_waiting_list(client, manager):
    slot = factories.slot(manager.venue, days_ahead=5)

    page = resize(client, slot, 120)

    assert "Capacity changed to 120." in page
    assert "waiting" not in page


def test_changing_several_slots_says_how_many_waiting_bookings_were_confirmed_in_all(client, manager):
    first, _ = full_slot_with_waiting(manager.venue, parties=(2,), days_ahead=5)
    second, _ = full_slot_with_waiting(manager.venue, parties=(1, 3), days_ahead=6)
    factories.slot(manager.venue, days_ahead=6, start=time(14), end=time(16))  # nobody waits

    page = change_between(client, first.local_date, second.local_date, 20)

    assert "3 slots now take 20 people each." in page
    assert "3 bookings (6 people) on their waiting lists were confirmed and told." in page


def test_changing_several_slots_with_nobody_waiting_says_nothing_about_waiting_lists(client, manager):
    slot = factories.slot(manager.venue, days_ahead=5)

    page = change_between(client, slot.local_date, slot.local_date, 20)

    assert "1 slot now takes 20 people." in page
    assert "waiting" not in page


# --- closures in the slot list ----------------------------------------------------------------------

def closure(venue, first, last, reason_zh="设备检修", reason_en="Maintenance of the planetarium"):
    row = Closure(venue_id=venue.id, starts_on=first, ends_on=last, reason_zh=reason_zh, reason_en=reason_en)
    db.session.add(row)
    db.session.commit()
    return row


def english(day) -> str:
    return format_date(day, "medium", locale="en")


def slot_list(client, first, last, lang="en"):
    response = client.get(f"/manage/slots?lang={lang}&start={first}&end={last}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_closure_in_the_list_is_shown_once_with_its_dates_and_reason(client, manager):
    today = local_today()
    first, last = today + timedelta(days=3), today + timedelta(days=5)
    closure(manager.venue, first, last)
    factories.slot(manager.venue, days_ahead=2)
    factories.slot(manager.venue, days_ahead=6)

    page = slot_list(client, today, today + timedelta(days=10))

    sections = re.findall(r'(?s)<section class="slot-closure[^"]*".*?</section>', page)
    assert len(sections) == 1
    text = text_of(sections[0])
    assert "Closed" in text and "Maintenance of the planetarium" in text
    assert f"{english(first)} – {english(last)}" in text
    # Between the days before and after it, in the order of the days.
    parts = re.finditer(r'<section class="slot-(?:day|closure)[^"]*" aria-labelledby="([^"]+)"', page)
    days = [m.group(1) for m in parts]
    assert days == [f"day-{today + timedelta(days=2)}", f"closure-{first}", f"day-{today + timedelta(days=6)}"]


def test_a_closure_is_shown_in_the_readers_language(client, manager):
    today = local_today()
    closure(manager.venue, today + timedelta(days=3), today + timedelta(days=3))

    chinese = text_of(slot_list(client, today, today + timedelta(days=10), lang="zh"))
    english = text_of(slot_list(client, today, today + timedelta(days=10), lang="en"))

    assert "设备检修" in chinese and "Maintenance of the planetarium" not in chinese
    assert "Maintenance of the planetarium" in english and "设备检修" not in english


def test_a_closure_without_an_english_reason_shows_the_chinese_one(client, manager):
    today = local_today()
    closure(manager.venue, today + timedelta(days=3), today + timedelta(days=4), reason_zh="春节闭馆", reason_en="")

    assert "春节闭馆" in text_of(slot_list(client, today, today + timedelta(days=10)))


def test_a_closure_reaching_past_the_list_is_shown_once_with_all_its_days(client, manager):
    today = local_today()
    first, last = today + timedelta(days=1), today + timedelta(days=20)
    closure(manager.venue, first, last)

    page = slot_list(client, today + timedelta(days=5), today + timedelta(days=8))

    sections = re.findall(r'(?s)<section class="slot-closure[^"]*".*?</section>', page)
    assert len(sections) == 1
    text = text_of(sections[0])
    assert f"{english(first)} – {english(last)}" in text
    assert "No slots in these days." in text_of(page)  # still true: a closed list is not a slot


def test_closures_outside_the_list_or_of_other_venues_are_not_shown(client, manager):
    today = local_today()
    closure(manager.venue, today + timedelta(days=20), today + timedelta(days=22))
    closure(factories.venue(), today + timedelta(days=3), today + timedelta(days=3), reason_en="Elsewhere")

    page = slot_list(client, today, today + timedelta(days=10))

    assert 'class="slot-closure' not in page
    assert "Elsewhere" not in page


def test_a_special_opening_is_listed_under_its_closure(client, manager):
    today = local_today()
    day = today + timedelta(days=3)
    closure(manager.venue, day, day + timedelta(days=1))
    opening = factories.slot(manager.venue, day=day, start=time(19), end=time(21))

    page = slot_list(client, today, today + timedelta(days=10))

    assert page.count('class="slot-closure') == 1
    assert page.index(f'id="closure-{day}"') < page.index(f"/manage/slots/{opening.id}")
