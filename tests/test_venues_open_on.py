"""The directory's day filter (``/venues?open_on=YYYY-MM-DD``): the venues with times that whoever is
looking could book that day and places left, each card with the places its calendar shows that day."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from babel.dates import format_skeleton

from app.bookings.models import Partnership
from app.core.time import LOCAL_TZ, local_today, utcnow
from app.extensions import db
from app.venues.models import VenueStatus
from tests import factories
from tests.factories import GULOU, XUANWU
from tests.test_perf_hot_paths import statements


def _venue(name: str, **kw):
    return factories.venue(name_zh=name, name_en=name, **kw)  # the same name in either language


def _day(days_ahead: int = 4) -> date:
    return local_today() + timedelta(days=days_ahead)


def _page(client, query: str, status: int = 200, lang: str = "en") -> str:
    response = client.get(f"/venues?{query}&lang={lang}")
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _listed(page: str) -> set[str]:
    return set(re.findall(r'<h3><a href="[^"]*">([^<]+)</a></h3>', page))


def _card_places(page: str, name: str) -> str:
    card = page.split(f">{name}</a></h3>", 1)[1].split("</li>", 1)[0]
    return re.search(r'<p class="venue-places">[^<:]*: ([^<]*)</p>', card).group(1)


def _calendar_places(client, venue, day: date) -> str:
    """What the venue's own calendar says of ``day`` for whoever is signed in on ``client``."""
    page = re.sub(r"\s+", " ", client.get(f"/venues/{venue.id}?month={day:%Y-%m}&lang=en").get_data(as_text=True))
    title = format_skeleton("MMMMEEEEd", day, locale="en")
    return re.search(re.escape(title) + r'</h\d> <p class="day-summary">([^<]*)</p>', page).group(1)


def _partner_teacher(venue):
    teacher = factories.user("teacher")
    factories.partnership(venue, teacher.school)
    return teacher


def test_the_day_lists_only_venues_with_places_left_that_day(client, app):
    day = _day()
    factories.slot(_venue("开放馆"), day=day)
    factories.slot(_venue("次日馆"), day=day + timedelta(days=1))
    factories.slot(_venue("约满馆"), day=day, capacity=10, taken=10)
    factories.slot(_venue("取消馆"), day=day, status="cancelled")
    factories.slot(_venue("暂停馆", status=VenueStatus.SUSPENDED), day=day)
    _venue("无场次馆")

    page = _page(client, f"open_on={day.isoformat()}")

    assert _listed(page) == {"开放馆"}
    assert "Venues with places left on" in page and ": 1</h2>" in page
    assert _listed(_page(client, "")) == {"开放馆", "次日馆", "约满馆", "取消馆", "无场次馆"}


def test_a_time_that_has_already_started_today_does_not_count(client, app):
    started = _venue("已开始馆")
    factories.slot(started, day=local_today(), start=time(0, 0), end=time(0, 1))

    assert _listed(_page(client, f"open_on={local_today().isoformat()}")) == set()


def test_each_visitor_is_shown_the_venues_whose_times_they_may_book(client, auth, app):
    day = _day()
    for name, audience in (("个人馆", "public"), ("团体馆", "school"), ("混合馆", "mixed")):
        factories.slot(_venue(name), day=day, audience=audience)
    query = f"open_on={day.isoformat()}"

    # Someone not signed in may yet sign in as a citizen or a teacher.
    assert _listed(_page(client, query)) == {"个人馆", "团体馆", "混合馆"}
    auth.login(factories.user("citizen").email)
    assert _listed(_page(client, query)) == {"个人馆", "混合馆"}
    auth.logout()
    auth.login(factories.user("teacher").email)
    assert _listed(_page(client, query)) == {"团体馆", "混合馆"}


def test_places_held_for_partner_schools_open_a_venue_only_to_its_partners(client, auth, app):
    day = _day(20)
    venue = _venue("合作馆")
    factories.slot(venue, day=day, audience="school", capacity=10, taken=5, reserved_seats=5,
                   reserve_until=utcnow() + timedelta(days=13))
    query = f"open_on={day.isoformat()}"

    auth.login(factories.user("teacher").email)
    assert _listed(_page(client, query)) == set()
    auth.logout()
    auth.login(_partner_teacher(venue).email)
    assert _listed(_page(client, query)) == {"合作馆"}


@pytest.mark.parametrize("who", ["nobody", "citizen", "teacher", "partner teacher"])
def test_each_card_shows_the_places_left_that_day_its_calendar_shows(client, auth, app, who):
    day = _day(5)
    venue = _venue("名额馆")
    held = {"reserve_until": utcnow() + timedelta(days=10)}
    factories.slot(venue, day=day, audience="public", capacity=40, taken=5)
    factories.slot(venue, day=day, audience="school", capacity=30, reserved_seats=9, start=time(13, 30),
                   end=time(16, 30), **held)
    factories.slot(venue, day=day, audience="mixed", capacity=20, taken=4, reserved_seats=6, start=time(18),
                   end=time(20), **held)
    factories.slot(venue, day=day + timedelta(days=1), audience="public", capacity=99)  # another day
    if who == "citizen":
        auth.login(factories.user("citizen").email)
    elif who == "teacher":
        auth.login(factories.user("teacher").email)
    elif who == "partner teacher":
        auth.login(_partner_teacher(venue).email)
    expected = {"nobody": 35 + 30 + 16, "citizen": 35 + 10, "teacher": 21 + 10, "partner teacher": 30 + 16}[who]

    page = _page(client, f"open_on={day.isoformat()}")

    assert _card_places(page, "名额馆") == f"{expected} places left" == _calendar_places(client, venue, day)
    assert f'href="/venues/{venue.id}?month={day:%Y-%m}"' in page  # the card opens the venue on that month


def test_the_day_combines_with_the_keyword_the_district_and_paging(client, app):
    app.config["DIRECTORY_PAGE_SIZE"] = 2
    day = _day()
    for n in range(3):
        factories.slot(_venue(f"玄武科技馆{n}", district_code=XUANWU), day=day)
    factories.slot(_venue("鼓楼科技馆", district_code=GULOU), day=day)
    factories.slot(_venue("玄武科普画廊", district_code=XUANWU), day=day)
    _venue("玄武科技馆无场次", district_code=XUANWU)
    query = f"open_on={day.isoformat()}&district={XUANWU}&q=科技"

    first, second = _page(client, query), _page(client, query + "&page=2")

    assert ": 3</h2>" in first
    assert _listed(first) | _listed(second) == {"玄武科技馆0", "玄武科技馆1", "玄武科技馆2"}
    assert len(_listed(first)) == 2 and len(_listed(second)) == 1
    next_link = re.search(r'<a href="([^"]*)" rel="next"', first).group(1)
    assert f"open_on={day.isoformat()}" in next_link and f"district={XUANWU}" in next_link
    assert f'value="{day.isoformat()}"' in first  # the form keeps the day, for the next search


@pytest.mark.parametrize(("typed", "message"), [
    ("2026-13-45", "Enter a date as year-month-day"),
    ("2027-02-30", "Enter a date as year-month-day"),
    ("saturday", "Enter a date as year-month-day"),
    ("1e3", "Enter a date as year-month-day"),
    ("12/05", "Enter a date as year-month-day"),
    ("9" * 5000, "Enter a date as year-month-day"),
    ("0000-01-01", "Enter a date as year-month-day"),
    ("2000-01-01", "That day has passed"),
    ("yesterday", "That day has passed"),
    ("too far", "That day is too far ahead. Choose a day within the next 90 days."),
])
def test_a_day_that_cannot_be_used_is_explained_next_to_the_field(client, app, typed, message):
    factories.slot(_venue("稳健馆"), day=_day())
    typed = {"yesterday": (local_today() - timedelta(days=1)).isoformat(),
             "too far": (local_today() + timedelta(days=91)).isoformat()}.get(typed, typed)

    page = _page(client, f"open_on={typed}&district={XUANWU}", status=400)

    field = page.split('<label for="open_on">', 1)[1].split("</div>", 1)[0]
    assert f'<p class="error" id="open_on-error">{message}' in field
    assert 'aria-invalid="true" aria-describedby="open_on-hint open_on-error"' in field
    assert 'href="#open_on">Open on:' in page  # the summary at the top links to the field
    assert "稳健馆" not in page  # a search that cannot be read lists nothing


@pytest.mark.parametrize("typed", ["%00", "2026-12-0%00", "%FF%FE", "２０２６年", "-1", "99999-01-01", "2026-12-05T09:00",
                                   "2026-12-05&open_on=2026-12-06", "\\", "%25"])
def test_garbage_days_never_give_a_server_error(client, app, typed):
    assert client.get(f"/venues?open_on={typed}").status_code in (200, 400)


def test_the_last_day_ahead_and_dates_typed_other_ways_are_read(client, app):
    last = local_today() + timedelta(days=90)
    factories.slot(_venue("远期馆"), day=last)
    for typed in (last.isoformat(), f"{last.year}/{last.month}/{last.day}", f"{last.year}年{last.month}月{last.day}日",
                  f" {last.year}-{last.month:02d}-{last.day:02d} ".translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))):
        page = _page(client, f"open_on={typed}")
        assert _listed(page) == {"远期馆"}, typed
        assert f'value="{last.isoformat()}"' in page, typed


@pytest.mark.parametrize(("today", "choices"), [
    (date(2026, 12, 2), [("Today", 2), ("Tomorrow", 3), ("This Saturday", 5), ("This Sunday", 6)]),  # Wednesday
    (date(2026, 12, 4), [("Today", 4), ("Tomorrow", 5), ("This Sunday", 6)]),  # Friday: Saturday is tomorrow
    (date(2026, 12, 5), [("Today", 5), ("Tomorrow", 6)]),  # Saturday
    (date(2026, 12, 6), [("Today", 6), ("Tomorrow", 7), ("Next Saturday", 12)]),  # Sunday
])
def test_quick_choices_name_today_tomorrow_and_the_weekend_and_keep_the_other_filters(client, app, today, choices):
    with time_machine.travel(datetime.combine(today, time(10), LOCAL_TZ), tick=False):
        page = _page(client, f"district={XUANWU}&page=1")

    quick = page.split('class="quick-days"', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'<a href="([^"]*)">([^<]*?) <span class="quick-date">([^<]*)</span></a>', quick)
    assert [(label, int(short.split()[-1])) for _, label, short in links] == choices
    for href, _, _ in links:
        assert f"district={XUANWU}" in href and "page=" not in href and "open_on=2026-12-" in href
    assert "Any day" not in quick


def test_the_chosen_day_is_marked_and_can_be_cleared(client, app):
    tomorrow = local_today() + timedelta(days=1)
    page = _page(client, f"open_on={tomorrow.isoformat()}&free=1")
    quick = page.split('class="quick-days"', 1)[1].split("</ul>", 1)[0]
    assert re.search(rf'open_on={tomorrow.isoformat()}[^"]*" aria-current="true">Tomorrow', quick)
    any_day = re.search(r'<a href="([^"]*)">Any day</a>', quick).group(1)
    assert "open_on" not in any_day and "free=1" in any_day
    assert "Clear all filters" in page


def test_the_day_filter_speaks_chinese(client, app):
    page = _page(client, "open_on=2000-01-01", status=400, lang="zh")
    assert '<label for="open_on">开放日期</label>' in page
    assert "这一天已经过去" in page
    page = _page(client, "", lang="zh")
    assert ">今天 <span" in page and ">明天 <span" in page


def test_the_day_costs_the_directory_one_statement_for_the_whole_page(client, app):
    day = _day()
    for n in range(25):
        venue = _venue(f"语句馆{n:02d}", themes=["astronomy"])
        factories.slot(venue, day=day)
        factories.slot(venue, day=day, audience="mixed", start=time(14), end=time(16))
    with statements() as plain:
        assert client.get("/venues").status_code == 200
    with statements() as with_day:
        page = _page(client, f"open_on={day.isoformat()}")
    assert len(with_day) == len(plain) + 1, with_day
    assert page.count('class="venue-places"') == 20 and "80 places left" in page


def test_the_api_does_not_take_the_pages_day_parameter(client, app):
    # The directory page's filter is not an API filter: the API refuses it by name rather than
    # ignoring it and listing every venue.
    _venue("接口馆")
    response = client.get("/api/v1/venues?open_on=2026-12-05")
    assert response.status_code == 400
    assert (response.get_json()["error"], response.get_json()["field"]) == ("unknown_parameter", "open_on")
    assert client.get("/api/v1/venues").get_json()["total"] == 1


def _sign_in(auth, who: str, venue) -> None:
    if who == "citizen":
        auth.login(factories.user("citizen").email)
    elif who == "teacher":
        auth.login(factories.user("teacher").email)
    elif who == "partner teacher":
        auth.login(_partner_teacher(venue).email)


def _at(wall: time, day_offset: int = 0):
    """The clock stopped at ``wall`` in Nanjing today (``day_offset`` days on)."""
    return time_machine.travel(datetime.combine(local_today() + timedelta(days=day_offset), wall, LOCAL_TZ),
                               tick=False)


def _night(venue, day: date, **kw):
    """A time of ``day`` from 23:00 to 01:00 the next morning."""
    night = factories.slot(venue, day=day, start=time(23), end=time(23, 30), **kw)
    night.ends_at += timedelta(hours=1, minutes=30)
    db.session.commit()
    return night


@pytest.mark.parametrize("who", ["nobody", "citizen", "teacher", "partner teacher"])
def test_today_counts_only_the_times_whose_booking_is_still_open_for_whoever_is_looking(client, auth, app, who):
    with _at(time(15)):
        today = local_today()
        venue, late = _venue("今日馆"), _venue("截止馆")
        factories.slot(venue, day=today, capacity=11)  # 09:00, over
        factories.slot(venue, day=today, capacity=13, start=time(16), end=time(17), window_closes_hours=2)
        factories.slot(venue, day=today, capacity=40, start=time(17), end=time(18))
        # Mixed: individuals until it starts, classes until the venue's group cut-off (72 hours before).
        factories.slot(venue, day=today, capacity=20, audience="mixed", start=time(18), end=time(20))
        factories.slot(venue, day=today, capacity=30, audience="school", start=time(19), end=time(21),
                       window_closes_hours=3)
        factories.slot(venue, day=today, capacity=17, audience="school", start=time(16, 30), end=time(17, 30),
                       window_closes_hours=72)
        factories.slot(late, day=today, start=time(16), end=time(17), window_closes_hours=2)
        _sign_in(auth, who, venue)
        expected = {"nobody": 40 + 20 + 30, "citizen": 40 + 20, "teacher": 30, "partner teacher": 30}[who]

        page = _page(client, f"open_on={today.isoformat()}")

        assert _listed(page) == {"今日馆"}
        assert _card_places(page, "今日馆") == f"{expected} places left" == _calendar_places(client, venue, today)


def test_a_class_on_a_mixed_time_is_counted_until_the_venues_own_group_cut_off(client, auth, app):
    from app.bookings.models import BookingRules

    with _at(time(15)):
        today = local_today()
        venue = _venue("混合截止馆")
        db.session.add(BookingRules(venue_id=venue.id, school_cutoff_hours=2))
        factories.slot(venue, day=today, capacity=20, audience="mixed", start=time(18), end=time(20))
        factories.slot(venue, day=today, capacity=9, audience="mixed", start=time(16), end=time(17))
        auth.login(factories.user("teacher").email)

        page = _page(client, f"open_on={today.isoformat()}")

        assert _card_places(page, "混合截止馆") == "20 places left" == _calendar_places(client, venue, today)


@pytest.mark.parametrize("who", ["nobody", "citizen"])
def test_just_after_midnight_today_counts_the_nights_time_but_not_those_already_closed(client, auth, app, who):
    with _at(time(0, 0, 30)):
        today = local_today()
        venue = _venue("夜场馆")
        factories.slot(venue, day=today, capacity=7, start=time(0, 30), end=time(2), window_closes_hours=1)
        factories.slot(venue, day=today, capacity=8, start=time(2), end=time(3), window_closes_hours=2)
        _night(venue, today - timedelta(days=1), capacity=9)
        # Tonight's time runs past midnight: it is today's, open until it starts.
        _night(venue, today, capacity=25)
        _sign_in(auth, who, venue)

        page = _page(client, f"open_on={today.isoformat()}")
        tomorrow = _page(client, f"open_on={(today + timedelta(days=1)).isoformat()}")

        assert _card_places(page, "夜场馆") == "25 places left" == _calendar_places(client, venue, today)
        assert _listed(tomorrow) == set()


def test_a_night_time_whose_booking_closed_before_midnight_counts_on_neither_day(client, app):
    with _at(time(22, 30)):
        today = local_today()
        venue = _venue("深夜馆")
        _night(venue, today, window_closes_hours=1)
        factories.slot(venue, day=today + timedelta(days=1), start=time(0, 30), end=time(2), window_closes_hours=3)
        factories.slot(venue, day=today + timedelta(days=1), capacity=6, start=time(1), end=time(2))

        assert _listed(_page(client, f"open_on={today.isoformat()}")) == set()
        page = _page(client, f"open_on={(today + timedelta(days=1)).isoformat()}")
        assert _card_places(page, "深夜馆") == "6 places left"
        assert _calendar_places(client, venue, today + timedelta(days=1)) == "6 places left"


def test_a_teachers_day_costs_the_directory_one_statement_for_the_whole_page(client, auth, app):
    from app.bookings.models import BookingRules

    with _at(time(10)):
        today = local_today()
        teacher = factories.user("teacher")
        for n in range(25):
            venue = _venue(f"教师语句馆{n:02d}")
            db.session.add(BookingRules(venue_id=venue.id, school_cutoff_hours=1))
            db.session.add(Partnership(venue_id=venue.id, school_id=teacher.school_id, valid_from=today,
                                       valid_to=today + timedelta(days=30)))
            factories.slot(venue, day=today, audience="mixed", start=time(14), end=time(16))
            factories.slot(venue, day=today, audience="school", start=time(12), end=time(13), window_closes_hours=3)
        db.session.commit()
        auth.login(teacher.email)
        client.get("/venues?lang=en")  # remembers the language chosen, once
        with statements() as plain:
            assert client.get("/venues").status_code == 200
        with statements() as with_day:
            page = _page(client, f"open_on={today.isoformat()}")

    assert len(with_day) == len(plain) + 1, with_day
    assert page.count('class="venue-places"') == 20 and "40 places left" in page
