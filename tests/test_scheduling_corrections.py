"""Correcting what was published: withdrawing a weekly schedule from a day on, and correcting a slot
nobody has booked yet."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from app.bookings.models import Booking, BookingRules, BookingStatus
from app.bookings.services import book_individual_visit
from app.core.time import LOCAL_TZ, local_today, to_local
from app.extensions import db
from app.scheduling.models import Audience, Closure, Schedule, Slot, SlotStatus
from app.venues.models import Admission
from tests import factories
from tests.test_scheduling_closures import booked, messages_to, reload
from tests.test_scheduling_publish import schedule_form


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def text(response) -> str:
    """The page's words, without markup, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def published(client, manager, days: int = 14, **overrides) -> Schedule:
    """A daily schedule of two sessions from tomorrow, published through the form."""
    first = local_today() + timedelta(days=1)
    response = client.post("/manage/schedules/new", data=schedule_form(
        first, first + timedelta(days=days - 1), weekdays=[str(d) for d in range(1, 8)], capacity="40", **overrides))
    assert response.status_code == 302, text(response)[:800]
    return db.session.scalar(select(Schedule).where(Schedule.venue_id == manager.venue_id)
                             .order_by(Schedule.id.desc()).limit(1))


def schedule_slots(schedule, status=None) -> list[Slot]:
    query = select(Slot).where(Slot.schedule_id == schedule.id)
    if status is not None:
        query = query.where(Slot.status == status)
    return list(db.session.scalars(query.order_by(Slot.starts_at)))


# --- withdrawing a weekly schedule ---------------------------------------------------------------

def test_the_schedule_list_offers_to_withdraw_each_schedule(client, manager):
    schedule = published(client, manager)
    page = client.get("/manage/schedules/new?lang=en").get_data(as_text=True)
    assert f'href="/manage/schedules/{schedule.id}/withdraw"' in page


def test_withdrawing_a_booked_schedule_says_what_it_cancels_and_waits_for_confirmation(client, manager):
    schedule = published(client, manager)
    first, second = schedule_slots(schedule)[:2]
    citizen, booking = booked(first, party=3)
    booked(second, party=2)
    answers = {"from_day": local_today().isoformat(), "reason": "展厅改造，暂停开放"}
    preview = client.post(f"/manage/schedules/{schedule.id}/withdraw?lang=en", data=answers)
    assert preview.status_code == 200
    assert "Time slots: 28 Bookings: 2 People booked: 5" in text(preview)
    assert '<input name="confirmed" type="hidden" value="yes">' in preview.get_data(as_text=True)
    assert reload(booking).status == BookingStatus.CONFIRMED
    assert not schedule_slots(schedule, SlotStatus.CANCELLED) and reload(schedule).withdrawn_from is None

    done = client.post(f"/manage/schedules/{schedule.id}/withdraw?lang=en", data={**answers, "confirmed": "yes"})
    assert done.status_code == 302
    assert len(schedule_slots(schedule, SlotStatus.CANCELLED)) == 28
    booking = reload(booking)
    assert booking.status == BookingStatus.CANCELLED and booking.cancel_reason == "展厅改造，暂停开放"
    assert reload(first).taken == 0
    assert messages_to(citizen, "booking_closure") == 1  # the venue's cancellation notice
    schedule = reload(schedule)
    # From today, before its first day: withdrawn from its first day.
    assert (schedule.withdrawn_from, schedule.withdrawal_reason) == (schedule.starts_on, "展厅改造，暂停开放")


def test_a_withdrawal_is_said_and_the_list_shows_it_withdrawn_from_that_day(client, manager):
    schedule = published(client, manager)
    booked(schedule_slots(schedule)[0])
    done = client.post(f"/manage/schedules/{schedule.id}/withdraw?lang=en", follow_redirects=True,
                       data={"from_day": local_today().isoformat(), "reason": "Renovation", "confirmed": "yes"})
    page = text(done)
    assert "28 slots and 1 booking cancelled; the bookers are told." in page
    assert "Withdrawn from" in page
    assert f'href="/manage/schedules/{schedule.id}/withdraw"' not in done.get_data(as_text=True)


def test_withdrawing_from_a_later_day_keeps_the_slots_before_it(client, manager):
    schedule = published(client, manager)
    later = local_today() + timedelta(days=8)
    response = client.post(f"/manage/schedules/{schedule.id}/withdraw", data={"from_day": later.isoformat()})
    assert response.status_code == 302
    assert {s.local_date for s in schedule_slots(schedule, SlotStatus.OPEN)} == {
        local_today() + timedelta(days=n) for n in range(1, 8)}
    assert all(s.local_date >= later for s in schedule_slots(schedule, SlotStatus.CANCELLED))
    assert reload(schedule).withdrawn_from == later


def test_a_schedule_nobody_booked_is_withdrawn_at_once_without_a_reason(client, manager):
    schedule = published(client, manager)
    response = client.post(f"/manage/schedules/{schedule.id}/withdraw", data={"from_day": ""})
    assert response.status_code == 302
    assert not schedule_slots(schedule, SlotStatus.OPEN)
    assert reload(schedule).withdrawn_from == schedule.starts_on  # an empty day means from today, or its first day


def test_withdrawing_booked_slots_asks_for_the_reason_the_bookers_are_given(client, manager):
    schedule = published(client, manager)
    booked(schedule_slots(schedule)[0])
    response = client.post(f"/manage/schedules/{schedule.id}/withdraw?lang=en",
                           data={"from_day": local_today().isoformat(), "reason": " ", "confirmed": "yes"})
    assert response.status_code == 400
    assert 'id="reason-error"' in response.get_data(as_text=True)
    assert not schedule_slots(schedule, SlotStatus.CANCELLED)


def test_slots_already_started_one_off_slots_and_other_schedules_stay(client, manager):
    schedule = published(client, manager)
    other = published(client, manager, audience="school")
    started = factories.slot_at(manager.venue, starts_in=-timedelta(minutes=30), schedule_id=schedule.id)
    one_off = factories.slot(manager.venue, days_ahead=3, start=time(19), end=time(20))
    client.post(f"/manage/schedules/{schedule.id}/withdraw", data={"from_day": local_today().isoformat()})
    assert reload(started).status == SlotStatus.OPEN and reload(one_off).status == SlotStatus.OPEN
    assert not schedule_slots(other, SlotStatus.CANCELLED)


@pytest.mark.parametrize("days, field", [(-1, "from_day"), (20, "from_day")])
def test_a_day_in_the_past_or_after_the_schedule_ends_is_refused(client, manager, days, field):
    schedule = published(client, manager)
    response = client.post(f"/manage/schedules/{schedule.id}/withdraw",
                           data={"from_day": (local_today() + timedelta(days=days)).isoformat()})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert not schedule_slots(schedule, SlotStatus.CANCELLED)


def test_a_schedule_withdrawn_can_be_withdrawn_from_an_earlier_day_but_not_again_from_a_later_one(client, manager):
    schedule = published(client, manager)
    url = f"/manage/schedules/{schedule.id}/withdraw"
    client.post(url, data={"from_day": (local_today() + timedelta(days=8)).isoformat()})
    again = client.post(url + "?lang=en", data={"from_day": (local_today() + timedelta(days=9)).isoformat()})
    assert again.status_code == 409 and "already withdrawn from" in text(again)
    assert client.post(url, data={"from_day": (local_today() + timedelta(days=3)).isoformat()}).status_code == 302
    assert reload(schedule).withdrawn_from == local_today() + timedelta(days=3)
    assert len(schedule_slots(schedule, SlotStatus.OPEN)) == 4


def test_the_withdraw_page_shows_the_schedule_and_defaults_to_today(client, manager):
    schedule = published(client, manager)
    response = client.get(f"/manage/schedules/{schedule.id}/withdraw?lang=en")
    assert response.status_code == 200
    assert f'value="{local_today().isoformat()}"' in response.get_data(as_text=True)
    assert "09:00-12:00,13:30-16:30" in text(response)


def test_another_venues_manager_cannot_withdraw_a_schedule(client, manager, auth):
    schedule = published(client, manager)
    auth.logout()
    auth.login(factories.user("venue_manager").email)
    assert client.post(f"/manage/schedules/{schedule.id}/withdraw", data={"from_day": ""}).status_code == 403
    assert not schedule_slots(schedule, SlotStatus.CANCELLED)


# --- correcting a slot nobody has booked ---------------------------------------------------------

def correction(slot, **overrides) -> dict:
    """The slot's own answers, as its correction form is filled in, with ``overrides``."""
    start, end = to_local(slot.starts_at), to_local(slot.ends_at)
    data = {"day": start.date().isoformat(), "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
            "audience": slot.audience.value, "admission": slot.admission.value,
            "program_id": str(slot.program_id or "")}
    data.update(overrides)
    return data


def test_an_unbooked_slots_time_audience_program_and_admission_are_corrected(client, manager):
    db.session.add(BookingRules(venue_id=manager.venue_id, school_window_days=21, school_cutoff_hours=48,
                                partner_reserved_pct=25))
    db.session.commit()
    slot = factories.slot(manager.venue, days_ahead=10, capacity=40)
    program = factories.program(manager.venue)
    day = local_today() + timedelta(days=12)
    response = client.post(f"/manage/slots/{slot.id}/edit", data=correction(
        slot, day=day.isoformat(), start="14:00", end="16:30", audience="school", admission="discounted",
        program_id=str(program.id)))
    assert response.status_code == 302
    slot = reload(slot)
    assert to_local(slot.starts_at) == datetime.combine(day, time(14), LOCAL_TZ)
    assert to_local(slot.ends_at) == datetime.combine(day, time(16, 30), LOCAL_TZ)
    assert slot.local_date == day
    assert (slot.audience, slot.admission, slot.program_id) == (Audience.SCHOOL, Admission.DISCOUNTED, program.id)
    # The booking window and partner reserve follow the rules again, for the new time and audience.
    assert (slot.window_opens_days, slot.window_closes_hours, slot.reserved_seats) == (21, 48, 10)
    assert slot.reserve_until == slot.starts_at - timedelta(days=7)
    assert slot.capacity == 40


def test_the_page_of_an_unbooked_slot_offers_its_correction_filled_in(client, manager):
    slot = factories.slot(manager.venue, days_ahead=10, start=time(9, 30), end=time(11))
    page = client.get(f"/manage/slots/{slot.id}?lang=en").get_data(as_text=True)
    assert f'action="/manage/slots/{slot.id}/edit"' in page
    assert 'value="09:30"' in page and f'value="{slot.local_date.isoformat()}"' in page


@pytest.mark.parametrize("status", ["confirmed", "pending", "waitlisted"])
def test_a_booked_slot_keeps_its_time_and_audience_and_says_why(client, manager, status):
    slot = factories.slot(manager.venue, days_ahead=10, capacity=2 if status == "waitlisted" else 40,
                          audience="mixed")
    if status == "pending":
        assert factories.booked_visit(slot, factories.user("teacher")).status == BookingStatus.PENDING
    else:
        _, first = booked(slot, party=2)
        if status == "waitlisted":
            waiting = book_individual_visit(factories.user("citizen"), slot, party_size=1, join_waitlist=True)
            # Only the waiting booking is left: the first one ended without handing its places on.
            db.session.execute(update(Booking).where(Booking.id == first.id).values(status=BookingStatus.CANCELLED))
            db.session.execute(update(Slot).where(Slot.id == slot.id).values(taken=0))
            db.session.commit()
            assert reload(waiting).status == BookingStatus.WAITLISTED
    assert reload(slot).status == SlotStatus.OPEN
    page = client.get(f"/manage/slots/{slot.id}?lang=en")
    assert f'action="/manage/slots/{slot.id}/edit"' not in page.get_data(as_text=True)
    assert "its time and who can book stay as they are" in text(page)
    before = (slot.starts_at, slot.audience)
    response = client.post(f"/manage/slots/{slot.id}/edit?lang=en", data=correction(slot, start="15:00", end="16:00"))
    assert response.status_code == 409
    assert "its time and who can book stay as they are" in text(response)
    slot = reload(slot)
    assert (slot.starts_at, slot.audience) == before


@pytest.mark.parametrize("overrides, field", [
    ({"end": "08:00"}, "end"),
    ({"day": "2020-01-01"}, "start"),
    ({"day": "not-a-date"}, "day"),
    ({"audience": "aliens"}, "audience"),
    ({"admission": "paid"}, "admission"),
    ({"start": "09:00:30"}, "start"),
    ({"start": "09:00", "end": "10:00", "ends_next_day": "y"}, "end"),  # 25 hours
])
def test_a_correction_is_checked_as_a_new_slot_is(client, manager, overrides, field):
    slot = factories.slot(manager.venue, days_ahead=10)
    before = (slot.starts_at, slot.ends_at, slot.audience, slot.admission)
    response = client.post(f"/manage/slots/{slot.id}/edit", data=correction(slot, **overrides))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    slot = reload(slot)
    assert (slot.starts_at, slot.ends_at, slot.audience, slot.admission) == before


def test_a_correction_onto_a_time_already_published_for_that_audience_is_refused(client, manager):
    slot = factories.slot(manager.venue, days_ahead=10)
    factories.slot(manager.venue, days_ahead=10, start=time(14), end=time(16))
    response = client.post(f"/manage/slots/{slot.id}/edit?lang=en", data=correction(slot, start="14:00", end="16:00"))
    assert response.status_code == 400
    assert "This time is already published for this audience." in text(response)


def test_another_venues_program_cannot_be_attached_by_a_correction(client, manager):
    slot = factories.slot(manager.venue, days_ahead=10)
    other = factories.program(factories.venue())
    response = client.post(f"/manage/slots/{slot.id}/edit", data=correction(slot, program_id=str(other.id)))
    assert response.status_code == 400 and 'id="program_id-error"' in response.get_data(as_text=True)
    assert reload(slot).program_id is None


def test_a_slot_keeps_its_own_time_when_only_its_program_changes(client, manager):
    slot = factories.slot(manager.venue, days_ahead=10)
    program = factories.program(manager.venue)
    response = client.post(f"/manage/slots/{slot.id}/edit", data=correction(slot, program_id=str(program.id)))
    assert response.status_code == 302
    assert reload(slot).program_id == program.id


def test_moving_a_slot_onto_a_closed_day_asks_to_confirm_a_special_opening(client, manager):
    slot = factories.slot(manager.venue, days_ahead=10)
    closed = local_today() + timedelta(days=12)
    db.session.add(Closure(venue_id=manager.venue_id, starts_on=closed, ends_on=closed, reason_zh="设备检修"))
    db.session.commit()
    answers = correction(slot, day=closed.isoformat())
    asked = client.post(f"/manage/slots/{slot.id}/edit?lang=en", data=answers)
    assert asked.status_code == 200 and "Yes, publish it as a special opening" in text(asked)
    assert reload(slot).local_date != closed
    assert client.post(f"/manage/slots/{slot.id}/edit", data={**answers, "special_opening": "yes"}).status_code == 302
    assert reload(slot).local_date == closed


@pytest.mark.parametrize("state", ["cancelled", "started"])
def test_a_cancelled_or_started_slot_cannot_be_corrected(client, manager, state):
    if state == "cancelled":
        slot = factories.slot(manager.venue, days_ahead=10, status=SlotStatus.CANCELLED)
    else:
        slot = factories.slot_at(manager.venue, starts_in=-timedelta(minutes=5))
    page = client.get(f"/manage/slots/{slot.id}").get_data(as_text=True)
    assert f'action="/manage/slots/{slot.id}/edit"' not in page
    # Times of their own: a slot started just before midnight would send 23:55–01:55, refused as such.
    later = correction(slot, day=(local_today() + timedelta(days=5)).isoformat(), start="10:00", end="11:00")
    assert client.post(f"/manage/slots/{slot.id}/edit", data=later).status_code == 409
    assert reload(slot).local_date != local_today() + timedelta(days=5)


def test_another_venues_manager_cannot_correct_a_slot(client, auth):
    slot = factories.slot(days_ahead=10)
    auth.login(factories.user("venue_manager").email)
    response = client.post(f"/manage/slots/{slot.id}/edit", data=correction(slot, start="14:00", end="15:00"))
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Slot.id)).where(Slot.starts_at != slot.starts_at)) == 0
