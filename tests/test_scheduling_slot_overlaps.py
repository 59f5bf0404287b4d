"""A new slot overlapping an open slot for the same visitors and program: the manager is warned next to
the times, naming the other slots, and confirms; parallel programs and separate audiences need nothing."""
from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from app.core.time import local_today
from tests import factories
from tests.test_api_slots import Caller, payload
from tests.test_scheduling_publish import manager, slot_count, slot_form  # noqa: F401 (fixture)


@pytest.fixture
def day():
    return local_today() + timedelta(days=3)


@pytest.fixture
def sessions(manager, day):
    """The venue's usual public day: 09:00–12:00 and 13:30–16:30."""
    return [factories.slot(manager.venue, day=day, start=time(9), end=time(12)),
            factories.slot(manager.venue, day=day, start=time(13, 30), end=time(16, 30))]


def post(client, data, lang="en"):
    return client.post(f"/manage/slots/new?lang={lang}", data=data)


def test_an_overlapping_time_is_held_back_with_a_warning_naming_the_other_slots(client, manager, day, sessions):
    response = post(client, slot_form(day, start="10:00", end="16:00", capacity="500"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This time overlaps 09:00–12:00, 13:30–16:30" in page
    assert 'name="overlap_ok"' in page and "Yes, publish this time as well" in page
    # Nothing typed is lost, and the warning sits with the times.
    assert 'value="10:00"' in page and 'value="16:00"' in page and 'value="500"' in page
    assert page.index('id="end"') < page.index('id="overlap"') < page.index('name="audience"')
    assert slot_count(manager.venue) == 2


def test_the_warning_is_in_chinese_for_a_chinese_manager(client, manager, day, sessions):
    page = post(client, slot_form(day, start="10:00", end="16:00"), lang="zh").get_data(as_text=True)
    # The times are listed as Chinese lists them (the sentences come with the catalog's translations).
    assert "09:00–12:00、13:30–16:30" in page


def confirm(client, page: str, data: dict):
    token = re.search(r'name="overlap_seen"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="overlap_seen"', page)
    return post(client, {**data, "overlap_ok": "y", "overlap_seen": token.group(1) or token.group(2)})


def test_confirmed_the_overlapping_slot_is_published(client, manager, day, sessions):
    data = slot_form(day, start="10:00", end="16:00")
    response = confirm(client, post(client, data).get_data(as_text=True), data)
    assert response.status_code == 302
    assert slot_count(manager.venue) == 3


def test_ticking_without_having_seen_the_warning_does_not_confirm(client, manager, day, sessions):
    response = post(client, {**slot_form(day, start="10:00", end="16:00"), "overlap_ok": "y", "overlap_seen": "x"})
    assert response.status_code == 200 and "This time overlaps" in response.get_data(as_text=True)
    assert slot_count(manager.venue) == 2


def test_a_confirmation_of_other_times_does_not_count(client, manager, day, sessions):
    first = post(client, slot_form(day, start="10:00", end="16:00")).get_data(as_text=True)
    response = confirm(client, first, slot_form(day, start="11:00", end="14:00"))
    assert response.status_code == 200
    assert slot_count(manager.venue) == 2


@pytest.mark.parametrize("audience, existing", [("mixed", "public"), ("public", "mixed"), ("school", "mixed"),
                                                ("mixed", "school")])
def test_mixed_overlaps_both_audiences(client, manager, day, audience, existing):
    factories.slot(manager.venue, day=day, start=time(9), end=time(12), audience=existing)
    response = post(client, slot_form(day, start="11:00", end="13:00", audience=audience))
    assert response.status_code == 200 and "This time overlaps 09:00–12:00" in response.get_data(as_text=True)


@pytest.mark.parametrize("start, end, audience", [
    ("12:00", "13:30", "public"),   # between the sessions: touching ends do not overlap
    ("10:00", "16:00", "school"),   # school groups and individuals are separate pools
])
def test_no_warning_without_an_overlap_for_the_same_visitors(client, manager, day, sessions, start, end, audience):
    response = post(client, slot_form(day, start=start, end=end, audience=audience))
    assert response.status_code == 302
    assert slot_count(manager.venue) == 3


def test_a_parallel_program_needs_no_confirmation(client, manager, day):
    lab = factories.program(manager.venue)
    factories.slot(manager.venue, day=day, start=time(9), end=time(12), program_id=lab.id)
    other = factories.program(manager.venue)
    assert post(client, slot_form(day, start="10:00", end="11:00", program_id=str(other.id))).status_code == 302
    assert post(client, slot_form(day, start="10:00", end="11:30")).status_code == 302  # no program beside a lab
    page = post(client, slot_form(day, start="11:00", end="12:30", program_id=str(lab.id))).get_data(as_text=True)
    assert "This time overlaps 09:00–12:00" in page  # the same lab twice
    assert slot_count(manager.venue) == 3


def test_cancelled_slots_do_not_count(client, manager, day):
    factories.slot(manager.venue, day=day, start=time(9), end=time(12), status="cancelled")
    assert post(client, slot_form(day, start="10:00", end="16:00")).status_code == 302


def test_the_api_still_publishes_an_overlapping_slot(client, manager, day, sessions):
    response = Caller(client, manager).post(f"/api/v1/venues/{manager.venue_id}/slots", json=payload(
        start=f"{day}T10:00", end=f"{day}T16:00", audience="public"))
    assert response.status_code == 201
    assert slot_count(manager.venue) == 3
