"""The manager's slot pages: slots past midnight, a slot changed in another tab, the partner reserve
once it has passed, and what a weekly schedule says it skipped."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from app.core.time import LOCAL_TZ, from_local, local_today, to_local, utcnow
from app.extensions import db
from app.scheduling.models import Closure, SlotStatus
from tests import factories
from tests.test_scheduling_closures import reload
from tests.test_scheduling_publish import next_monday, schedule_form, slot_count, slot_form, venue_slots


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


# --- a slot past midnight ------------------------------------------------------------------------

def test_a_slot_that_ends_the_next_day_is_published_from_the_form(client, manager):
    day = local_today() + timedelta(days=4)
    response = client.post("/manage/slots/new", data=slot_form(day, start="23:00", end="00:30", ends_next_day="y"))
    assert response.status_code == 302
    slot = venue_slots(manager.venue)[0]
    assert to_local(slot.starts_at) == datetime.combine(day, time(23), LOCAL_TZ)
    assert to_local(slot.ends_at) == datetime.combine(day + timedelta(days=1), time(0, 30), LOCAL_TZ)
    assert slot.local_date == day
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "23:00–00:30 (next day)" in page


def test_an_end_before_the_start_without_next_day_says_how_to_go_past_midnight(client, manager):
    day = local_today() + timedelta(days=4)
    response = client.post("/manage/slots/new?lang=en", data=slot_form(day, start="23:00", end="00:30"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="end-error"' in page and "tick “Ends the next day”" in page
    assert slot_count() == 0


def test_a_slot_past_midnight_still_lasts_at_most_24_hours(client, manager):
    day = local_today() + timedelta(days=4)
    response = client.post("/manage/slots/new?lang=en",
                           data=slot_form(day, start="09:00", end="09:30", ends_next_day="y"))
    assert response.status_code == 400
    assert "A slot lasts at most 24 hours." in response.get_data(as_text=True)
    assert slot_count() == 0


def test_the_slot_form_offers_the_next_day_with_a_hint(client, manager):
    page = client.get("/manage/slots/new").get_data(as_text=True)
    assert 'name="ends_next_day"' in page and 'aria-describedby="ends_next_day-hint"' in page
    assert "次日结束" in page


def test_a_weekly_time_past_midnight_is_refused_saying_to_publish_it_on_its_own(client, manager):
    monday = next_monday()
    response = client.post("/manage/schedules/new?lang=en",
                           data=schedule_form(monday, monday + timedelta(days=6), sessions="23:00-01:00"))
    assert response.status_code == 400
    assert "cannot run past midnight" in response.get_data(as_text=True)
    assert slot_count() == 0


# --- what a weekly schedule skipped -----------------------------------------------------------------

def test_the_schedule_result_says_which_times_already_existed(client, manager):
    monday = next_monday()
    wednesday = monday + timedelta(days=2)
    db.session.add(Closure(venue_id=manager.venue.id, starts_on=wednesday, ends_on=wednesday, reason_zh="检修"))
    db.session.commit()
    form = schedule_form(monday, monday + timedelta(days=6), weekdays=["3", "4"], sessions="09:00-12:00")
    client.post("/manage/schedules/new", data=schedule_form(monday, monday + timedelta(days=6), weekdays=["4"],
                                                            sessions="09:00-12:00"))
    page = client.post("/manage/schedules/new", data={**form, "weekdays": ["3", "4", "5"]},
                       follow_redirects=True).get_data(as_text=True)
    assert "已发布 1 个场次。" in page
    assert "已跳过：闭馆日 1 个，已存在 1 个。" in page


def test_one_slot_published_is_said_in_the_singular(client, manager):
    monday = next_monday()
    page = client.post("/manage/schedules/new?lang=en", follow_redirects=True, data=schedule_form(
        monday, monday + timedelta(days=6), weekdays=["4"], sessions="09:00-12:00")).get_data(as_text=True)
    assert "1 slot published." in page


def test_one_skipped_time_of_each_kind_is_said_in_the_singular(client, manager):
    monday = next_monday()
    wednesday = monday + timedelta(days=2)
    db.session.add(Closure(venue_id=manager.venue.id, starts_on=wednesday, ends_on=wednesday, reason_zh="检修"))
    db.session.commit()
    week = (monday, monday + timedelta(days=6))
    client.post("/manage/schedules/new", data=schedule_form(*week, weekdays=["4"], sessions="09:00-12:00"))
    page = client.post("/manage/schedules/new?lang=en", follow_redirects=True, data=schedule_form(
        *week, weekdays=["3", "4", "5"], sessions="09:00-12:00")).get_data(as_text=True)
    assert "Skipped: 1 on a closed day, 1 that already exists." in page


# --- what cancelling a slot says ---------------------------------------------------------------------

@pytest.mark.parametrize("lang, bookings, said", [
    ("en", 1, "The slot is cancelled; 1 booking was cancelled and its booker told."),
    ("en", 2, "The slot is cancelled; 2 bookings were cancelled and their bookers told."),
    ("en", 0, "The slot is cancelled; it had no bookings."),
    ("zh", 1, "场次已取消；1 个预约已取消，并已通知预约人。"),
])
def test_cancelling_a_slot_says_how_many_bookings_it_ended_in_words_that_agree(client, manager, lang, bookings,
                                                                                said):
    slot = factories.slot(manager.venue, days_ahead=3, capacity=10)
    for _n in range(bookings):
        factories.confirmed_visit(slot, party_size=1)
    page = client.post(f"/manage/slots/{slot.id}/cancel?lang={lang}", data={"reason": "讲解员临时有事"},
                       follow_redirects=True).get_data(as_text=True)
    assert said in page


# --- a slot changed in another tab ----------------------------------------------------------------

def cancelled_slot(manager):
    slot = factories.slot(manager.venue, days_ahead=3, capacity=10)
    slot.status = SlotStatus.CANCELLED
    db.session.commit()
    return slot


@pytest.mark.parametrize("action, data", [("cancel", {"reason": "讲解员临时有事"}), ("cancel", {"reason": ""}),
                                          ("capacity", {"capacity": "20"})])
def test_changing_a_slot_cancelled_in_another_tab_says_so(client, manager, action, data):
    slot = cancelled_slot(manager)
    response = client.post(f"/manage/slots/{slot.id}/{action}", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<div class="error-summary" role="alert">' in page
    if data.get("reason") != "":
        assert "此场次已取消。" in page
    assert reload(slot).capacity == 10


# --- the partner reserve ---------------------------------------------------------------------------

def reserved_slot(manager, *, until):
    slot = factories.slot(manager.venue, days_ahead=3, audience="school", capacity=80)
    slot.reserved_seats, slot.reserve_until = 24, until
    db.session.commit()
    return slot


def test_a_reserve_still_held_is_shown_with_the_time_it_opens(client, manager):
    slot = reserved_slot(manager, until=utcnow() + timedelta(days=2))
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "24 places until" in page and "then open to everyone" in page


def test_a_reserve_whose_time_has_passed_is_not_shown_as_still_held(client, manager):
    until = from_local(datetime.combine(local_today() - timedelta(days=4), time(9)))
    slot = reserved_slot(manager, until=until)
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "then open to everyone" not in page
    assert "now open to everyone" in page


# --- a slot past midnight, wherever slot times are listed -----------------------------------------

def overnight_slot(venue=None, **kw):
    """A slot from 23:00 to 00:30 the next day, four days ahead."""
    day = local_today() + timedelta(days=4)
    slot = factories.slot(venue, day=day, start=time(23), end=time(23, 30), **kw)
    slot.ends_at = from_local(datetime.combine(day + timedelta(days=1), time(0, 30)))
    db.session.commit()
    return slot


NEXT_DAY = "23:00–00:30 (next day)"


def test_the_managers_slot_list_marks_a_slot_that_ends_the_next_day(client, manager):
    slot = overnight_slot(manager.venue)
    page = client.get(f"/manage/slots?start={slot.local_date}&end={slot.local_date}&lang=en").get_data(as_text=True)
    assert NEXT_DAY in page


def test_the_public_calendar_marks_a_slot_that_ends_the_next_day(client, app):
    slot = overnight_slot()
    month = f"{slot.local_date:%Y-%m}"
    page = client.get(f"/venues/{slot.venue_id}/availability?month={month}&lang=en").get_data(as_text=True)
    assert NEXT_DAY in page
    assert "23:00–00:30 （次日）" in client.get(f"/venues/{slot.venue_id}/availability?month={month}&lang=zh"
                                             ).get_data(as_text=True)


def test_the_events_list_marks_a_themed_slot_that_ends_the_next_day(client, app):
    from app.events.themed_days import load_themed_days
    from app.scheduling.models import ProgramKind

    load_themed_days()
    venue = factories.venue()
    program = factories.program(venue, kind=ProgramKind.THEMED_ACTIVITY, title_zh="观星夜",
                                themed_day_key="national_science_day")
    overnight_slot(venue, program_id=program.id)
    assert NEXT_DAY in client.get("/events?lang=en").get_data(as_text=True)


def test_the_booking_pages_and_the_ticket_mark_a_slot_that_ends_the_next_day(client, auth):
    slot = overnight_slot(capacity=10)
    citizen = factories.user("citizen")
    auth.login(citizen.email)
    assert NEXT_DAY in client.get(f"/slots/{slot.id}/book?lang=en").get_data(as_text=True)
    booking = factories.confirmed_visit(slot, citizen)
    page = client.get(f"/bookings/{booking.id}?lang=en").get_data(as_text=True)
    assert NEXT_DAY in page.split('class="ticket-summary"', 1)[1].split("</p>", 1)[0]


def test_a_slot_within_one_day_carries_no_next_day_marker(client, manager):
    slot = factories.slot(manager.venue, start=time(19), end=time(21))
    page = client.get(f"/manage/slots?start={slot.local_date}&end={slot.local_date}&lang=en").get_data(as_text=True)
    assert "19:00–21:00" in page and "(next day)" not in page


# --- the booking windows of a mixed slot ------------------------------------------------------------

def test_a_mixed_slot_states_the_class_window_beside_the_public_one(client, manager):
    slot = factories.slot(manager.venue, audience="mixed", days_ahead=20, window_opens_days=7)
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "Individuals: Opens 7 days before, closes when the slot starts" in page
    assert "Classes: Opens 30 days before, closes 72 hours before the start" in page


def test_a_public_slot_states_one_booking_window(client, manager):
    slot = factories.slot(manager.venue, days_ahead=5)
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert "Opens 7 days before, closes when the slot starts" in page and "Classes:" not in page
