"""A manager raises (or lowers) the capacity of every slot of some days at once, as for the Spring
Festival's crowds, instead of opening each slot: never below the places booked, waiting lists first."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import BookingStatus
from app.bookings.services import book_individual_visit
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.scheduling.models import Audience, Slot, SlotStatus
from tests import factories


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def reload(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


def change(client, first, last, capacity, audience="", lang="en", **query):
    return client.post("/manage/slots/capacity", query_string={"lang": lang, **query},
                       data={"batch-starts_on": first.isoformat(), "batch-ends_on": last.isoformat(),
                             "batch-audience": audience, "batch-capacity": str(capacity)})


def test_every_open_slot_of_the_days_gets_the_new_capacity_and_other_days_stay(client, manager):
    venue = manager.venue
    holiday = [factories.slot(venue, days_ahead=d, start=start, end=end)
               for d in (5, 6) for start, end in ((time(9), time(12)), (time(13, 30), time(16, 30)))]
    before = factories.slot(venue, days_ahead=4)
    after = factories.slot(venue, days_ahead=7)
    cancelled = factories.slot(venue, days_ahead=5, start=time(18), end=time(20), status=SlotStatus.CANCELLED)
    first, last = holiday[0].local_date, holiday[-1].local_date

    response = change(client, first, last, 120)
    assert response.status_code == 302
    assert f"start={first.isoformat()}" in response.headers["Location"]
    assert [reload(s).capacity for s in holiday] == [120] * 4
    assert reload(before).capacity == reload(after).capacity == reload(cancelled).capacity == 40
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "4 slots now take 120 people each." in page


def test_only_the_audience_chosen_and_never_below_the_places_booked(client, manager):
    venue = manager.venue
    public = factories.slot(venue, days_ahead=5, capacity=10)
    school = factories.slot(venue, days_ahead=5, audience=Audience.SCHOOL, start=time(14), end=time(16))
    full = factories.slot(venue, days_ahead=6, capacity=10)
    book_individual_visit(factories.user("citizen"), full, party_size=5)
    book_individual_visit(factories.user("citizen"), full, party_size=4)
    db.session.commit()

    response = change(client, public.local_date, full.local_date, 6, audience="public")
    assert response.status_code == 302
    assert reload(public).capacity == 6
    assert reload(school).capacity == 40  # only individual visitors' slots were chosen
    assert reload(full).capacity == 10  # 9 places are booked: it keeps its capacity
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 slot now takes 6 people." in page
    assert "1 slot kept its capacity: more places are already booked on it." in page


def test_more_room_goes_to_the_waiting_list_and_they_are_told(client, manager):
    slot = factories.slot(manager.venue, days_ahead=5, capacity=2)
    book_individual_visit(factories.user("citizen"), slot, party_size=2)
    waiting_citizen = factories.user("citizen")
    waiting = book_individual_visit(waiting_citizen, slot, party_size=2, join_waitlist=True)
    db.session.commit()
    assert waiting.status == BookingStatus.WAITLISTED

    assert change(client, slot.local_date, slot.local_date, 10).status_code == 302
    assert reload(waiting).status == BookingStatus.CONFIRMED
    assert reload(slot).taken == 4
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.user_id == waiting_citizen.id, OutboxMessage.kind == "booking_promoted")) == 1


@pytest.mark.parametrize("first,last,capacity,message", [
    (-1, 0, 50, "The first day cannot be in the past."),
    (3, 2, 50, "The last day cannot be before the first day."),
    (2, 3, 0, "Number must be between 1 and 100000."),
    (20, 21, 50, "There are no open slots on these days to change."),
])
def test_refused_answers_say_why_and_change_nothing(client, manager, first, last, capacity, message):
    slot = factories.slot(manager.venue, days_ahead=2)
    today = local_today()
    response = change(client, today + timedelta(days=first), today + timedelta(days=last), capacity)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert "<details class=\"panel capacity-between\" open>" in page
    assert reload(slot).capacity == 40


def test_another_venues_slots_are_out_of_reach(client, manager):
    other = factories.slot(factories.venue(), days_ahead=3)
    assert change(client, other.local_date, other.local_date, 99).status_code == 400  # none of its own
    assert reload(other).capacity == 40


def test_the_slot_list_offers_the_form_for_the_days_it_shows(client, manager):
    factories.slot(manager.venue, days_ahead=3)
    first, last = local_today() + timedelta(days=1), local_today() + timedelta(days=9)
    page = client.get(f"/manage/slots?lang=en&start={first}&end={last}&audience=public").get_data(as_text=True)
    assert "Change the capacity of several slots" in page
    assert re.search(f'<input id="batch-starts_on" name="batch-starts_on" [^>]*value="{first}"', page)
    assert re.search(f'<input id="batch-ends_on" name="batch-ends_on" [^>]*value="{last}"', page)
    assert re.search(r'(?s)<select id="batch-audience"[^>]*>(?:(?!</select>).)*<option selected value="public">', page)


def test_a_citizen_cannot_change_capacities(client, auth):
    citizen = factories.user("citizen")
    slot = factories.slot(days_ahead=3)
    auth.login(citizen.email)
    assert change(client, slot.local_date, slot.local_date, 99).status_code in (403, 404)
    assert db.session.scalar(select(Slot.capacity).where(Slot.id == slot.id)) == 40


def test_each_day_of_the_slot_list_says_its_date_once(client, manager):
    slot = factories.slot(manager.venue, days_ahead=3)
    day = slot.local_date
    page = client.get(f"/manage/slots?lang=zh&start={day}&end={day}").get_data(as_text=True)

    section = re.search(r'(?s)<section class="slot-day".*?</section>', page).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    long_date = f"{day.year}年{day.month}月{day.day}日"
    assert text.count(long_date) == 1 and day.isoformat() not in text and "的场次" not in text
    assert f'<table aria-labelledby="day-{day.isoformat()}">' in section
    assert re.search(rf'role="region"\s+aria-labelledby="day-{day.isoformat()} scroll-region-note"', section)
