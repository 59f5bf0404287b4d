"""On a day the venue is closed (the Spring Festival, maintenance) its walk-in poster, left on an
entrance screen, counts nobody: visitors read that it is closed and why. A special opening that day
opens the door again; gate staff still count a group they let in, and read that the day is closed."""
from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from app.checkin import walkins
from app.checkin.models import CheckIn, CheckInKind
from app.core.time import local_today
from app.extensions import db
from app.scheduling.models import Closure, SlotStatus
from tests import factories


def _walk_in_url(venue) -> str:
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, local_today())}"


def _close_today(venue, reason_zh="春节闭馆", reason_en="Closed for the Spring Festival"):
    db.session.add(Closure(venue_id=venue.id, starts_on=local_today() - timedelta(days=1),
                           ends_on=local_today() + timedelta(days=2), reason_zh=reason_zh, reason_en=reason_en))
    db.session.commit()


def _walk_ins(venue_id: int) -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn.persons).where(CheckIn.venue_id == venue_id,
                                                                 CheckIn.kind == CheckInKind.WALK_IN)))


def test_the_poster_of_a_closed_day_says_so_and_counts_nobody(client):
    venue = factories.venue()
    _close_today(venue)
    page = client.get(_walk_in_url(venue) + "?lang=en")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "The venue is closed today" in html and "Closed for the Spring Festival" in html
    assert 'name="persons"' not in html  # no form to fill in

    refused = client.post(_walk_in_url(venue) + "?lang=en", data={"persons": 3, "audience_group": "adult"})
    assert refused.status_code == 409
    assert "The venue is closed today" in refused.get_data(as_text=True)
    assert _walk_ins(venue.id) == []

    zh = client.get(_walk_in_url(venue) + "?lang=zh").get_data(as_text=True)
    assert "春节闭馆" in zh


def test_a_special_opening_on_the_closed_day_opens_the_poster_again(client):
    venue = factories.venue()
    _close_today(venue)
    factories.slot(venue, day=local_today(), start=time(23, 0), end=time(23, 59))
    response = client.post(_walk_in_url(venue), data={"persons": 3, "audience_group": "adult"})
    assert response.status_code == 200
    assert _walk_ins(venue.id) == [3]


def test_a_cancelled_slot_is_no_special_opening(client):
    venue = factories.venue()
    _close_today(venue)
    factories.slot(venue, day=local_today(), start=time(23, 0), end=time(23, 59), status=SlotStatus.CANCELLED)
    assert client.post(_walk_in_url(venue), data={"persons": 3, "audience_group": "adult"}).status_code == 409
    assert _walk_ins(venue.id) == []


def test_an_ordinary_day_and_other_venues_closures_change_nothing(client):
    venue = factories.venue()
    _close_today(factories.venue())  # another venue's closure
    db.session.add(Closure(venue_id=venue.id, starts_on=local_today() + timedelta(days=1),
                           ends_on=local_today() + timedelta(days=1), reason_zh="设备检修"))
    db.session.commit()
    assert client.post(_walk_in_url(venue), data={"persons": 2, "audience_group": "youth"}).status_code == 200
    assert _walk_ins(venue.id) == [2]


def test_gate_staff_read_that_the_day_is_closed_and_still_count_a_group(client, auth):
    venue = factories.venue()
    _close_today(venue)
    staff = factories.gate_staff(venue)
    auth.login(staff.email)
    page = client.get("/scan?lang=en").get_data(as_text=True)
    assert "The venue is closed today (Closed for the Spring Festival)" in page
    response = client.post("/scan/walk-in", data={"persons": 12, "audience_group": "youth"})
    assert response.status_code == 302
    assert _walk_ins(venue.id) == [12]


def test_an_open_day_has_no_closure_note_at_the_gate(client, auth):
    venue = factories.venue()
    auth.login(factories.gate_staff(venue).email)
    assert "The venue is closed today" not in client.get("/scan?lang=en").get_data(as_text=True)
