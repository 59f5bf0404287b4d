"""A venue manager publishes one-off slots and weekly schedules."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.bookings.models import BookingRules
from app.core.time import LOCAL_TZ, local_today, to_local
from app.extensions import db
from app.scheduling.models import Audience, Schedule, Slot
from tests import factories


def next_monday(after_days: int = 3) -> date:
    day = local_today() + timedelta(days=after_days)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def venue_slots(venue) -> list[Slot]:
    return list(db.session.scalars(select(Slot).where(Slot.venue_id == venue.id).order_by(Slot.starts_at)))


def slot_count(venue=None) -> int:
    query = select(func.count(Slot.id))
    if venue is not None:
        query = query.where(Slot.venue_id == venue.id)
    return db.session.scalar(query)


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager", venue=factories.venue(closed_weekdays="1,2"))
    auth.login(person.email)
    return person


def schedule_form(starts_on: date, ends_on: date, **overrides) -> dict:
    data = {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "weekdays": ["3", "4", "5", "6", "7"],
            "sessions": "09:00-12:00,13:30-16:30", "audience": "public", "capacity": "200", "admission": "free",
            "program_id": ""}
    data.update(overrides)
    return data


def slot_form(on: date, **overrides) -> dict:
    data = {"day": on.isoformat(), "start": "19:00", "end": "21:00", "audience": "public", "capacity": "80",
            "admission": "free", "program_id": ""}
    data.update(overrides)
    return data


def test_a_wednesday_to_sunday_schedule_for_two_weeks_makes_one_slot_per_day_and_session(client, manager):
    monday = next_monday()
    response = client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=13)))
    assert response.status_code == 302

    slots = venue_slots(manager.venue)
    assert len(slots) == 20  # 5 days x 2 weeks x 2 sessions
    local = [(to_local(s.starts_at), to_local(s.ends_at)) for s in slots]
    assert {start.isoweekday() for start, _ in local} == {3, 4, 5, 6, 7}
    assert {(start.time(), end.time()) for start, end in local} == {(time(9), time(12)), (time(13, 30), time(16, 30))}
    first = slots[0]
    assert first.starts_at == datetime.combine(monday + timedelta(days=2), time(1, 0))  # 09:00 in Shanghai is 01:00 UTC
    assert first.local_date == monday + timedelta(days=2)
    assert all(s.capacity == 200 and s.audience == Audience.PUBLIC and s.schedule_id for s in slots)
    assert db.session.scalar(select(Schedule.weekdays)) == "3,4,5,6,7"


def test_the_schedule_form_ticks_the_venues_open_days(client, manager):
    page = client.get("/manage/schedules/new").get_data(as_text=True)
    assert all(f'checked id="weekdays-{i}"' in page for i in range(2, 7))  # Wednesday to Sunday
    assert '<input id="weekdays-0"' in page and '<input id="weekdays-1"' in page  # closed Monday, Tuesday
    assert "09:00-12:00,13:30-16:30" in page


def test_publishing_the_same_schedule_twice_does_not_double_the_slots(client, manager):
    monday = next_monday()
    form = schedule_form(monday, monday + timedelta(days=13))
    client.post("/manage/schedules/new", data=form)
    response = client.post("/manage/schedules/new", data=form)
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert slot_count(manager.venue) == 20


def test_a_school_schedule_may_sit_beside_a_public_one_at_the_same_times(client, manager):
    monday = next_monday()
    client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6)))
    client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6), audience="school"))
    assert slot_count(manager.venue) == 20


def test_a_schedule_longer_than_366_days_is_refused_at_the_last_day(client, manager):
    monday = next_monday()
    response = client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=366)))
    assert response.status_code == 400
    assert 'id="ends_on-error"' in response.get_data(as_text=True)
    assert slot_count() == 0


@pytest.mark.parametrize("sessions", ["9-12", "12:00-09:00", "09:00-12:00,11:00-13:00", "25:00-26:00", ""])
def test_unclear_session_times_are_refused_next_to_the_field(client, manager, sessions):
    monday = next_monday()
    response = client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6),
                                                                        sessions=sessions))
    assert response.status_code == 400
    assert 'id="sessions-error"' in response.get_data(as_text=True)
    assert slot_count() == 0


@pytest.mark.parametrize("sessions", [
    "０９：００－１２：００，１３：３０－１６：３０",  # a Chinese IME in full-width mode
    "09:00—12:00；13:30——16:30",  # its Shift+- gives "——"
    "09:00–12:00, 13:30~16:30", "09:00 - 12:00 13:30 至 16:30", "09:00到12:00 13:30〜16:30",
])
def test_session_times_are_read_with_any_dash_or_tilde_a_keyboard_types(client, manager, sessions):
    monday = next_monday()
    response = client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6),
                                                                        weekdays=["3"], sessions=sessions))
    assert response.status_code == 302
    times = [(to_local(s.starts_at).time(), to_local(s.ends_at).time()) for s in venue_slots(manager.venue)]
    assert times == [(time(9), time(12)), (time(13, 30), time(16, 30))]


def test_a_schedule_without_weekdays_is_refused(client, manager):
    monday = next_monday()
    response = client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6), weekdays=[]))
    assert response.status_code == 400
    assert 'id="weekdays-error"' in response.get_data(as_text=True)


def test_school_slots_take_the_school_window_and_hold_a_partner_reserve_until_a_week_before(client, manager):
    db.session.add(BookingRules(venue_id=manager.venue.id, school_window_days=21, school_cutoff_hours=48,
                                partner_reserved_pct=25))
    db.session.commit()
    monday = next_monday()
    client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6), audience="school",
                                                            capacity="50", sessions="09:00-12:00"))
    slot = venue_slots(manager.venue)[0]
    assert (slot.window_opens_days, slot.window_closes_hours) == (21, 48)
    assert slot.reserved_seats == 12  # floor(50 * 25 / 100)
    assert slot.reserve_until == slot.starts_at - timedelta(days=7)


def test_public_slots_take_the_public_window_and_no_reserve(client, manager):
    client.post("/manage/slots/new", data=slot_form(local_today() + timedelta(days=3)))
    slot = venue_slots(manager.venue)[0]
    assert (slot.window_opens_days, slot.window_closes_hours) == (7, 0)
    assert slot.reserved_seats == 0 and slot.reserve_until is None


def test_a_manager_publishes_an_evening_slot_outside_opening_hours(client, manager):
    day = local_today() + timedelta(days=4)
    response = client.post("/manage/slots/new", data=slot_form(day))
    assert response.status_code == 302
    slot = venue_slots(manager.venue)[0]
    assert to_local(slot.starts_at) == datetime.combine(day, time(19), LOCAL_TZ)
    assert slot.local_date == day and slot.capacity == 80


def test_a_slot_can_offer_one_of_the_venues_programs(client, manager):
    program = factories.program(manager.venue)
    client.post("/manage/slots/new", data=slot_form(local_today() + timedelta(days=3), program_id=str(program.id)))
    assert venue_slots(manager.venue)[0].program_id == program.id


def test_another_venues_program_cannot_be_attached(client, manager):
    other = factories.program(factories.venue())
    response = client.post("/manage/slots/new", data=slot_form(local_today() + timedelta(days=3),
                                                                program_id=str(other.id)))
    assert response.status_code == 400
    assert slot_count() == 0


@pytest.mark.parametrize("overrides, field", [
    ({"end": "18:00"}, "end"),
    ({"capacity": "0"}, "capacity"),
    ({"capacity": "abc"}, "capacity"),
    ({"audience": "aliens"}, "audience"),
    ({"day": "2020-01-01"}, "start"),
    ({"day": "not-a-date"}, "day"),
])
def test_bad_slot_input_is_shown_next_to_its_field(client, manager, overrides, field):
    response = client.post("/manage/slots/new", data=slot_form(local_today() + timedelta(days=3), **overrides))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert slot_count() == 0


def test_the_same_time_cannot_be_published_twice_for_the_same_audience(client, manager):
    day = local_today() + timedelta(days=3)
    client.post("/manage/slots/new", data=slot_form(day))
    response = client.post("/manage/slots/new", data=slot_form(day))
    assert response.status_code == 400
    assert slot_count() == 1


def test_the_slot_list_shows_each_day_with_taken_and_available_places(client, manager):
    slot = factories.slot(manager.venue, capacity=30, days_ahead=2)
    from app.bookings.services import book_individual_visit

    book_individual_visit(factories.user("citizen"), slot, party_size=4)
    db.session.commit()
    page = client.get("/manage/slots").get_data(as_text=True)
    assert slot.local_date.isoformat() in page
    assert "<td>30</td>" in page and "<td>4</td>" in page and "<td>26</td>" in page


def test_the_slot_list_refuses_a_reversed_range(client, manager):
    today = local_today()
    response = client.get(f"/manage/slots?start={today}&end={today - timedelta(days=1)}")
    assert response.status_code == 400
    assert 'id="end-error"' in response.get_data(as_text=True)
