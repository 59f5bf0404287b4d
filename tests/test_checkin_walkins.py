"""Walk-ins: the daily poster, counted once per phone per day, within the day's capacity."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone
from email.utils import parsedate_to_datetime

import time_machine
from sqlalchemy import func, select

from app.checkin import services, walkins
from app.checkin.models import CheckIn, CheckInKind
from app.core.time import LOCAL_TZ, local_today
from app.extensions import db
from app.stats.models import VenueDailyStats
from tests import factories


def _walk_in_url(venue, day=None) -> str:
    return f"/walk-in/{venue.id}/{walkins.daily_token(venue.id, day or local_today())}"


def _walk_ins(venue_id: int) -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckIn).where(CheckIn.venue_id == venue_id,
                                                         CheckIn.kind == CheckInKind.WALK_IN)))


def test_the_poster_points_to_todays_walk_in_link(client, auth):
    manager = factories.user("venue_manager")
    auth.login(manager.email)
    page = client.get("/manage/poster").get_data(as_text=True)
    assert _walk_in_url(manager.venue) in page
    qr = client.get("/manage/poster/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"


def test_the_poster_is_for_the_venues_people_only(client, auth):
    auth.login(factories.user("citizen").email)
    assert client.get("/manage/poster").status_code == 403


def test_a_visitor_is_counted_as_a_walk_in_with_their_group(client):
    venue = factories.venue(daily_capacity=100)
    assert client.get(_walk_in_url(venue)).status_code == 200
    response = client.post(_walk_in_url(venue), data={"persons": 3, "audience_group": "senior"})
    assert response.status_code == 200
    [visit] = _walk_ins(venue.id)
    assert (visit.persons, visit.audience_group.value, visit.result.value) == (3, "senior", "ok")
    assert visit.device_hash and visit.local_date == local_today()


def test_the_same_phone_is_counted_once_a_day(client):
    venue = factories.venue()
    client.get(_walk_in_url(venue))  # the first visit sets the device cookie
    client.post(_walk_in_url(venue), data={"persons": 2, "audience_group": "adult"})
    again = client.post(_walk_in_url(venue), data={"persons": 5, "audience_group": "youth"})
    assert again.status_code == 200
    assert [v.persons for v in _walk_ins(venue.id)] == [2]


def test_one_phones_visits_to_two_venues_cannot_be_linked(client):
    first, second = factories.venue(), factories.venue()
    for venue in (first, second):
        client.get(_walk_in_url(venue))
        assert client.post(_walk_in_url(venue), data={"persons": 1, "audience_group": "adult"}).status_code == 200
    [at_first], [at_second] = _walk_ins(first.id), _walk_ins(second.id)
    assert at_first.device_hash and at_second.device_hash
    assert at_first.device_hash != at_second.device_hash


def test_one_phones_visits_on_two_days_cannot_be_linked(client):
    venue = factories.venue()
    for day in (local_today() + timedelta(days=1), local_today() + timedelta(days=2)):
        with time_machine.travel(datetime.combine(day, time(10), LOCAL_TZ), tick=False):
            client.get(_walk_in_url(venue))
            assert client.post(_walk_in_url(venue), data={"persons": 1, "audience_group": "adult"}).status_code == 200
    first, second = _walk_ins(venue.id)
    assert first.local_date != second.local_date and first.device_hash != second.device_hash


def _device_cookie(response) -> str | None:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("sv_device=")]
    return headers[0] if headers else None


def _expires(cookie_header: str) -> datetime:
    return parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie_header).group(1))


def test_the_device_cookie_lasts_until_local_midnight(client):
    header = _device_cookie(client.get(_walk_in_url(factories.venue())))
    midnight = datetime.combine(local_today() + timedelta(days=1), time(), LOCAL_TZ)
    assert header and "HttpOnly" in header
    assert _expires(header) == midnight.astimezone(timezone.utc)
    max_age = int(re.search(r"Max-Age=(\d+)", header).group(1))
    assert max_age <= 24 * 3600


def test_a_long_lived_device_cookie_from_before_is_replaced_by_todays(client):
    venue = factories.venue()
    client.set_cookie("sv_device", "an-old-400-day-device-cookie-value")
    header = _device_cookie(client.get(_walk_in_url(venue)))
    assert header and "an-old-400-day-device-cookie-value" not in header
    assert _device_cookie(client.get(_walk_in_url(venue))) is None  # today's is kept for the day


def test_the_privacy_notice_describes_the_walk_in_cookie(client):
    english = client.get("/privacy?lang=en").get_data(as_text=True)
    assert "walk-in" in english and "until midnight" in english
    assert "tracking" in english
    chinese = client.get("/privacy?lang=zh").get_data(as_text=True)
    assert "现场入馆" in chinese and "午夜" in chinese


def test_another_phone_is_counted_separately(app):
    venue = factories.venue()
    for _ in range(2):
        phone = app.test_client()
        phone.get(_walk_in_url(venue))
        phone.post(_walk_in_url(venue), data={"persons": 1, "audience_group": "adult"})
    assert len(_walk_ins(venue.id)) == 2


def test_yesterdays_poster_does_not_work(client):
    venue = factories.venue()
    stale = _walk_in_url(venue, local_today() - timedelta(days=1))
    assert client.get(stale).status_code == 404
    assert client.post(stale, data={"persons": 1, "audience_group": "adult"}).status_code == 404
    assert client.get(f"/walk-in/{venue.id}/made-up").status_code == 404
    assert _walk_ins(venue.id) == []


def test_walk_ins_stop_when_the_days_capacity_is_reached(client):
    venue = factories.venue(daily_capacity=10)
    slot = factories.slot_at(venue, capacity=10)
    factories.confirmed_visit(slot, party_size=5)
    refused = client.post(_walk_in_url(venue), data={"persons": 6, "audience_group": "adult"})
    assert refused.status_code == 409 and _walk_ins(venue.id) == []
    assert walkins.room_left(venue, local_today()) == 5
    accepted = client.post(_walk_in_url(venue), data={"persons": 5, "audience_group": "adult"})
    assert accepted.status_code == 200 and len(_walk_ins(venue.id)) == 1


def test_a_bad_walk_in_form_is_shown_again_with_the_reason(client):
    venue = factories.venue()
    response = client.post(_walk_in_url(venue), data={"persons": 0, "audience_group": "alien"})
    assert response.status_code == 400 and 'id="persons-error"' in response.get_data(as_text=True)


def test_staff_add_walk_ins_on_the_scanner_page(client, auth):
    staff = factories.user("venue_staff")
    auth.login(staff.email)
    response = client.post("/scan/walk-in", data={"persons": 4, "audience_group": "youth"})
    assert response.status_code == 302
    [visit] = _walk_ins(staff.venue_id)
    assert visit.user_id == staff.id and visit.persons == 4
    assert client.get("/scan/totals").get_json()["walk_ins"] == 4
    assert db.session.scalar(select(func.count(CheckIn.id))) == 1


def test_staff_walk_ins_are_recorded_at_the_gate_remembered_on_the_device(client, auth):
    staff = factories.user("venue_staff")
    auth.login(staff.email)
    client.set_cookie("sv_gate", "West%20gate%201")  # as static/js/scanner.js writes it
    assert client.post("/scan/walk-in", data={"persons": 2, "audience_group": "adult"}).status_code == 302
    [visit] = _walk_ins(staff.venue_id)
    assert visit.gate == "West gate 1"


def test_staff_count_a_walk_in_group_larger_than_the_poster_takes(client, auth):
    staff = factories.user("venue_staff")
    auth.login(staff.email)
    assert client.post("/scan/walk-in", data={"persons": 25, "audience_group": "youth"}).status_code == 302
    assert [v.persons for v in _walk_ins(staff.venue_id)] == [25]
    poster = client.post(_walk_in_url(staff.venue), data={"persons": 25, "audience_group": "youth"})
    assert poster.status_code == 400 and [v.persons for v in _walk_ins(staff.venue_id)] == [25]
    assert client.post("/scan/walk-in", data={"persons": walkins.MAX_STAFF_GROUP + 1,
                                              "audience_group": "youth"}).status_code == 400


def test_staff_walk_ins_above_the_days_room_say_how_many_places_are_left(client, auth):
    venue = factories.venue(daily_capacity=30)
    factories.confirmed_visit(factories.slot_at(venue, capacity=30), party_size=5)
    auth.login(factories.user("venue_staff", venue=venue).email)
    refused = client.post("/scan/walk-in?lang=en", data={"persons": 26, "audience_group": "adult"})
    assert refused.status_code == 400 and _walk_ins(venue.id) == []
    assert "room for 25 more people today" in refused.get_data(as_text=True)
    assert client.post("/scan/walk-in", data={"persons": 25, "audience_group": "adult"}).status_code == 302


def test_a_class_request_undecided_when_its_visit_started_holds_no_walk_in_room(client):
    venue = factories.venue(daily_capacity=40)
    slot = factories.slot_at(venue, capacity=40, audience="school")  # began ten minutes ago
    factories.booked_visit(slot, factories.user("teacher"), students=20, adults=2,
                           now=slot.starts_at - timedelta(days=4))  # never approved: lapsed at the start
    assert walkins.room_left(venue, local_today()) == 40
    accepted = client.post(_walk_in_url(venue), data={"persons": 10, "audience_group": "adult"})
    assert accepted.status_code == 200 and len(_walk_ins(venue.id)) == 1


def _group_options(page: str, name: str = "audience_group") -> list[tuple[str, bool]]:
    """The (value, preselected) options of the group select, in order."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [(value, "selected" in attrs) for attrs, value in
            re.findall(r'<option([^>]*?)\s*value="([^"]*)"', select_html)]


def test_the_walk_in_form_leaves_the_group_unchosen(client):
    # One tap on the button must not count a 70-year-old as a child.
    options = _group_options(client.get(_walk_in_url(factories.venue())).get_data(as_text=True))
    assert options[0] == ("", False)
    assert not any(selected for _value, selected in options)


def test_a_walk_in_without_a_group_is_refused_next_to_the_field(client):
    venue = factories.venue()
    for data in ({"persons": 1, "audience_group": ""}, {"persons": 1}):
        response = client.post(_walk_in_url(venue) + "?lang=zh", data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert re.search(r'id="audience_group-error">\s*请选择参观人群。', page), page
    assert _walk_ins(venue.id) == []


def test_the_walk_in_confirmation_names_the_group_counted(client):
    venue = factories.venue()
    counted = client.post(_walk_in_url(venue) + "?lang=zh", data={"persons": 1, "audience_group": "senior"})
    assert "参观人群：老年人（60 岁及以上）" in counted.get_data(as_text=True)
    again = client.get(_walk_in_url(venue) + "?lang=en").get_data(as_text=True)
    assert "Group: Seniors (60 and over)" in again and "already registered today" in again


def test_the_staff_walk_in_form_leaves_the_group_unchosen_too(client, auth):
    staff = factories.user("venue_staff")
    auth.login(staff.email)
    options = _group_options(client.get("/scan").get_data(as_text=True))
    assert options[0] == ("", False) and not any(selected for _value, selected in options)
    refused = client.post("/scan/walk-in?lang=en", data={"persons": 3, "audience_group": ""})
    assert refused.status_code == 400 and _walk_ins(staff.venue_id) == []
    assert re.search(r'id="audience_group-error">\s*Choose who is visiting\.', refused.get_data(as_text=True))


def test_the_printed_poster_links_the_sites_own_address_whatever_host_was_named(app):
    """Printed and scanned by visitors: a forged Host must not put another site on the poster."""
    elsewhere = factories.signed_in_at_forged_host(app, factories.user("venue_manager"))
    page = elsewhere.get("/manage/poster", base_url=factories.FORGED_HOST).get_data(as_text=True)
    assert "https://scivisit.example.gov.cn/walk-in/" in page and "attacker" not in page


# --- a signed-in visitor who holds a ticket here today ------------------------------------------------

def _persons_field(page: str) -> bool:
    return 'name="persons"' in page


def test_a_visitor_admitted_on_their_ticket_today_is_not_counted_again_at_the_poster(client, auth):
    slot = factories.slot_at()
    citizen = factories.user("citizen")
    admission = factories.admitted_visit(slot, citizen, party_size=3)
    auth.login(citizen.email)
    url = _walk_in_url(slot.venue)

    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "You are already checked in today." in page and not _persons_field(page)
    assert f"/bookings/{admission.booking_id}" in page
    answer = client.post(url, data={"persons": 3, "audience_group": "adult"})
    assert answer.status_code == 200 and "You are already checked in today." in answer.get_data(as_text=True)
    assert _walk_ins(slot.venue_id) == []


def test_a_visitor_with_a_ticket_for_now_is_told_to_show_it_and_is_counted_once_at_the_gate(client, auth):
    slot = factories.slot_at()
    citizen = factories.user("citizen")
    booking = factories.confirmed_visit(slot, citizen, party_size=2)
    auth.login(citizen.email)
    url = _walk_in_url(slot.venue)

    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "You have a ticket for now: show it at the gate" in page and not _persons_field(page)
    assert f'href="/bookings/{booking.id}"' in page
    assert client.post(url, data={"persons": 2, "audience_group": "adult"}).status_code == 200
    assert _walk_ins(slot.venue_id) == []

    # The gate scans the ticket: the party counts there, once.
    services.record_check_in(factories.gate_staff(slot.venue), booking.reference)
    db.session.commit()
    totals = services.day_totals(slot.venue_id, slot.local_date)
    assert (totals["checked_in"], totals["walk_ins"]) == (2, 0)


def test_a_ticket_for_later_today_does_not_stop_a_walk_in_now(client, auth):
    day = local_today() + timedelta(days=1)
    with time_machine.travel(datetime.combine(day, time(10), LOCAL_TZ), tick=False):
        venue = factories.venue()
        evening = factories.slot_at(venue, starts_in=timedelta(hours=9))  # 19:00
        citizen = factories.user("citizen")
        factories.confirmed_visit(evening, citizen)
        auth.login(citizen.email)
        url = _walk_in_url(venue)

        page = client.get(url + "?lang=en").get_data(as_text=True)
        assert "You also have a ticket for today: show it at the gate from 18:30." in page and _persons_field(page)
        assert client.post(url, data={"persons": 1, "audience_group": "adult"}).status_code == 200
    assert [v.persons for v in _walk_ins(venue.id)] == [1]


def test_a_ticket_whose_visit_has_ended_unused_does_not_stop_a_walk_in(client, auth):
    day = local_today() + timedelta(days=1)
    with time_machine.travel(datetime.combine(day, time(15), LOCAL_TZ), tick=False):
        missed = factories.slot_at(starts_in=-timedelta(hours=3), length=timedelta(hours=1))  # 12:00 to 13:00
        citizen = factories.user("citizen")
        factories.confirmed_visit(missed, citizen)
        auth.login(citizen.email)
        answer = client.post(_walk_in_url(missed.venue), data={"persons": 2, "audience_group": "adult"})
        assert answer.status_code == 200
    assert [v.persons for v in _walk_ins(missed.venue_id)] == [2]


# --- taking back a mistyped group ------------------------------------------------------------------

def _venue_day(venue_id: int):
    db.session.expire_all()
    return db.session.get(VenueDailyStats, (venue_id, local_today()))


def test_staff_take_back_a_mistyped_walk_in_group_and_every_figure_loses_it(client, auth):
    from app.stats import rebuild

    staff = factories.user("venue_staff")
    auth.login(staff.email)
    assert client.post("/scan/walk-in", data={"persons": 40, "audience_group": "youth"}).status_code == 302
    [typo] = _walk_ins(staff.venue_id)
    page = client.get("/scan?lang=en").get_data(as_text=True)
    assert f'action="/scan/walk-in/{typo.id}/undo"' in page and "Take back" in page

    response = client.post(f"/scan/walk-in/{typo.id}/undo?lang=en", follow_redirects=True)
    assert "40 walk-in visitors taken back." in response.get_data(as_text=True)
    assert client.post("/scan/walk-in", data={"persons": 4, "audience_group": "youth"}).status_code == 302

    assert client.get("/scan/totals").get_json()["walk_ins"] == 4
    day = _venue_day(staff.venue_id)
    assert (day.visits, day.walk_ins, day.walk_in_youth) == (4, 4, 4)
    rebuild.rebuild_all()  # what the records give, recomputed: the same
    db.session.commit()
    assert (_venue_day(staff.venue_id).visits, _venue_day(staff.venue_id).walk_ins) == (4, 4)
    assert sorted((v.persons, v.reason) for v in _walk_ins(staff.venue_id)) == [(0, walkins.UNDONE), (4, "")]
    assert f"/scan/walk-in/{typo.id}/undo" not in client.get("/scan").get_data(as_text=True)


def test_a_walk_in_group_is_taken_back_once_by_whoever_added_it_and_only_for_a_while(client, auth):
    venue = factories.venue()
    staff, colleague = factories.user("venue_staff", venue=venue), factories.user("venue_staff", venue=venue)
    group, _new = walkins.record_walk_in(staff, venue, persons=6, audience_group="adult")
    late, _new = walkins.record_walk_in(staff, venue, persons=2, audience_group="senior",
                                        now=walkins.utcnow() - walkins.UNDO_WITHIN - timedelta(minutes=1))
    db.session.commit()
    auth.login(colleague.email)
    assert client.post(f"/scan/walk-in/{group.id}/undo").status_code == 404  # not theirs to take back
    auth.logout()
    auth.login(staff.email)
    assert client.post(f"/scan/walk-in/{group.id}/undo").status_code == 302
    again = client.post(f"/scan/walk-in/{group.id}/undo?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "These walk-ins were taken back already." in again
    too_late = client.post(f"/scan/walk-in/{late.id}/undo?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "can be taken back for 15 minutes" in too_late
    # Just after midnight the late group counts on the day before: the venue's days together keep it.
    db.session.expire_all()
    counted = select(func.sum(VenueDailyStats.walk_ins)).where(VenueDailyStats.venue_id == venue.id)
    assert db.session.scalar(counted) == 2
    assert sorted(v.persons for v in _walk_ins(venue.id)) == [0, 2]


def test_two_undos_of_one_group_at_once_take_its_people_back_once(app):
    from app.accounts.models import User
    from tests.races import race

    venue = factories.venue()
    staff = factories.user("venue_staff", venue=venue)
    factories.confirmed_visit(factories.slot_at(venue), party_size=3)
    group, _new = walkins.record_walk_in(staff, venue, persons=5, audience_group="adult")
    db.session.commit()
    staff_id, group_id, venue_id = staff.id, group.id, venue.id

    def undo():
        return walkins.undo_walk_in(db.session.get(User, staff_id), group_id)

    outcomes = race(app, [undo, undo, undo])

    assert sorted(map(str, outcomes)) == ["5", "already_undone", "already_undone"], outcomes
    assert _venue_day(venue_id).walk_ins == 0
