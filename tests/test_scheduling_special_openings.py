"""A slot on a closed day is a special opening: the manager confirms it, visitors see it as one."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure
from tests import factories
from tests.test_api_slots import Caller, payload
from tests.test_scheduling_closure_rules import close, month_of
from tests.test_scheduling_closures import manager  # noqa: F401 (fixture)
from tests.test_scheduling_publish import slot_count, slot_form, venue_slots


@pytest.fixture
def closed_day(client, manager):
    day = local_today() + timedelta(days=3)
    assert close(client, day, reason_zh="设备检修", reason_en="Maintenance").status_code == 302
    return day


def test_a_slot_on_a_closed_day_is_held_back_until_the_manager_confirms_a_special_opening(client, manager,
                                                                                          closed_day):
    response = client.post("/manage/slots/new?lang=en", data=slot_form(closed_day))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The venue is closed on" in page and "Maintenance" in page
    assert "Yes, publish it as a special opening" in page and 'name="special_opening" type="hidden" value="yes"' in page
    assert slot_count() == 0


def confirmation_answers(page: str) -> dict:
    """The hidden answers of the notice's confirmation form."""
    notice = page.split('class="notice"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', notice))


def test_confirming_the_special_opening_publishes_the_slot_as_asked(client, manager, closed_day):
    asked = slot_form(closed_day, start="23:00", end="00:30", ends_next_day="y", capacity="12")
    answers = confirmation_answers(client.post("/manage/slots/new", data=asked).get_data(as_text=True))
    assert answers["special_opening"] == "yes" and answers["ends_next_day"] == "y"
    response = client.post("/manage/slots/new", data=answers)
    assert response.status_code == 302
    [slot] = venue_slots(manager.venue)
    assert (slot.local_date, slot.capacity, (slot.ends_at - slot.starts_at)) == (closed_day, 12, timedelta(minutes=90))


def test_a_slot_on_an_open_day_needs_no_confirmation(client, manager, closed_day):
    response = client.post("/manage/slots/new", data=slot_form(closed_day + timedelta(days=1)))
    assert response.status_code == 302
    assert slot_count() == 1


def test_an_overnight_slot_starting_the_day_before_a_closure_needs_no_confirmation(client, manager, closed_day):
    response = client.post("/manage/slots/new", data=slot_form(closed_day - timedelta(days=1), start="23:00",
                                                               end="00:30", ends_next_day="y"))
    assert response.status_code == 302


def test_the_public_calendar_shows_a_special_opening_not_a_plain_closed_day(client, manager, closed_day):
    client.post("/manage/slots/new", data=slot_form(closed_day, special_opening="yes"))
    client.post("/logout")
    page = client.get(f"/venues/{manager.venue.id}/availability?month={month_of(closed_day)}&lang=en"
                      ).get_data(as_text=True)
    day_item = next(item for item in page.split('<li class="day')[1:] if "Maintenance" in item)
    assert "Special opening" in day_item and "Closed (Maintenance) except at the times below." in day_item
    assert '<span class="badge bad">Closed</span>' not in day_item
    assert "19:00–21:00" in day_item


def test_a_closed_day_without_a_special_opening_still_says_closed(client, manager, closed_day):
    client.post("/logout")
    page = client.get(f"/venues/{manager.venue.id}/availability?month={month_of(closed_day)}"
                      ).get_data(as_text=True)
    assert '<span class="badge bad">闭馆</span> 设备检修' in page and "特别开放" not in page


@pytest.fixture
def api_manager(client, app):
    caller = Caller(client, factories.user("venue_manager"))
    day = local_today() + timedelta(days=5)  # the day of ``payload``
    db.session.add(Closure(venue_id=caller.venue_id, starts_on=day, ends_on=day, reason_zh="设备检修",
                           created_by_id=caller.user.id))
    db.session.commit()
    return caller


def test_the_api_publishes_a_slot_on_a_closed_day_as_a_special_opening(client, api_manager):
    url = f"/api/v1/venues/{api_manager.venue_id}/slots"
    response = api_manager.post(url, json=payload())  # the contract's four fields, nothing more
    assert response.status_code == 201 and slot_count() == 1
    day = local_today() + timedelta(days=5)
    calendar = client.get(f"/venues/{api_manager.venue_id}/availability?month={day:%Y-%m}&lang=en")
    assert "Special opening" in calendar.get_data(as_text=True)
