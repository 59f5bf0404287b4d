"""What the annual report's pages tell the manager and the admins: the report to file on the manager's
home page, the remarks' limit, the year links, the themed events' places, how far the running year's
figures go, and how many venues a reminder reaches."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import time_machine

from app.accounts.models import Role
from app.core.time import LOCAL_TZ, local_today
from app.events.models import ThemedDay
from app.extensions import db
from tests import factories
from tests.factories import XUANWU
from tests.test_stats_report_due import registered_in, reminders

THIS_YEAR = local_today().year
LAST_YEAR = THIS_YEAR - 1


def at(day: date):
    """Nanjing noon of ``day``, the clock standing still."""
    return time_machine.travel(datetime.combine(day, time(12), LOCAL_TZ), tick=False)


def manager_of(venue):
    return factories.user(Role.VENUE_MANAGER, venue=venue)


def home(client, auth, venue, lang: str = "en") -> str:
    auth.login(manager_of(venue).email)
    response = client.get(f"/me?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_managers_home_page_says_last_years_report_is_due_and_links_to_it(client, auth):
    with at(date(THIS_YEAR, 2, 15)):
        venue = registered_in(LAST_YEAR)
        page = home(client, auth, venue)
        assert f"Your {LAST_YEAR} annual report is due by Mar 31, {THIS_YEAR}." in page
        assert f'href="/manage/reports/{LAST_YEAR}"' in page and "Overdue" not in page


def test_the_managers_home_page_flags_an_overdue_report(client, auth):
    with at(date(THIS_YEAR, 5, 2)):
        venue = registered_in(LAST_YEAR)
        page = home(client, auth, venue)
        assert "Overdue" in page and f"Your {LAST_YEAR} annual report is overdue: it was due by Mar 31, {THIS_YEAR}." in page
        opened = client.get("/manage/reports?lang=en", follow_redirects=True).get_data(as_text=True)
        assert "Overdue" in opened and f"It was due by Mar 31, {THIS_YEAR}." in opened


def test_the_home_page_says_nothing_of_a_report_filed_or_not_owed(client, auth):
    with at(date(THIS_YEAR, 5, 2)):
        filed = registered_in(LAST_YEAR)
        home(client, auth, filed)
        assert client.post(f"/manage/reports/{LAST_YEAR}/submit", data={}).status_code == 302
        assert "annual report is" not in client.get("/me?lang=en").get_data(as_text=True)
        auth.logout()
        newcomer = registered_in(THIS_YEAR)  # approved this year: owes no report of last year
        assert "annual report is" not in home(client, auth, newcomer)
        page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
        assert "Overdue" not in page and "Due by" not in page


def test_an_earlier_year_left_unfiled_stays_on_the_home_page_after_the_next_is_due(client, auth):
    with at(date(THIS_YEAR, 2, 15)):
        venue = registered_in(THIS_YEAR - 3)
        auth.login(manager_of(venue).email)
        assert client.post(f"/manage/reports/{THIS_YEAR - 3}/submit", data={}).status_code == 302
        page = client.get("/me?lang=en").get_data(as_text=True)
        # Last year's is due; the one before is overdue; the one filed is not mentioned.
        assert page.index(f"Your {LAST_YEAR} annual report is due by Mar 31, {THIS_YEAR}.") < page.index(
            f"Your {THIS_YEAR - 2} annual report is overdue: it was due by Mar 31, {THIS_YEAR - 1}.")
        assert f"Your {THIS_YEAR - 3} annual report" not in page
        assert f'href="/manage/reports/{THIS_YEAR - 2}"' in page


def test_remarks_too_long_are_refused_next_to_the_field_saying_the_limit(client, auth):
    venue = registered_in(LAST_YEAR)
    auth.login(manager_of(venue).email)
    response = client.post(f"/manage/reports/{LAST_YEAR}/text?lang=en", data={"text": "字" * 4001})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="text-error">(.*?)</p>', page, re.S).group(1)
    assert error == "The remarks can be up to 4,000 characters long; these are 4,001. Shorten them, then save again."
    assert "字" * 4001 in page  # what was typed stays in the field to shorten


def test_the_year_links_list_every_year_in_order_marking_the_one_shown(client, auth):
    venue = registered_in(LAST_YEAR)
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    nav = re.search(r'<nav class="actions no-print" aria-label="Years">(.*?)</nav>', page, re.S).group(1)
    assert re.findall(r">(\d{4})<", nav) == [str(y) for y in range(THIS_YEAR, THIS_YEAR - 5, -1)]
    assert f'<strong aria-current="page">{LAST_YEAR}</strong>' in nav


def test_the_themed_events_total_gives_the_places_offered(client, auth):
    venue = registered_in(LAST_YEAR)
    db.session.add(ThemedDay(key="report_week", name_zh="测试周", name_en="Test week", rule_kind="fixed",
                             rule="09-20..09-26"))
    db.session.commit()
    event = factories.program(venue, themed_day_key="report_week")
    factories.slot(venue, day=date(LAST_YEAR, 9, 20), capacity=30, program_id=event.id)
    factories.slot(venue, day=date(LAST_YEAR, 9, 21), capacity=25, program_id=event.id)
    other = factories.program(venue, themed_day_key="report_week")
    factories.slot(venue, day=date(LAST_YEAR, 9, 22), capacity=10, program_id=other.id)
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    total = re.search(r"<tfoot>(.*?)</tfoot>", page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', total) == ["3", "65", "0"]


def test_the_running_years_figures_say_they_include_today_so_far_and_stop_at_this_month(client, auth):
    venue = registered_in(LAST_YEAR)
    factories.walk_in(venue, persons=3)  # counted at once: today is in the figures
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{THIS_YEAR}?lang=en").get_data(as_text=True)
    today = local_today()
    assert f"of {THIS_YEAR} so far, today ({today.isoformat()}) included" in page
    months = re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', page)
    assert months[-1] == f"{today:%Y-%m}" and len(months) == today.month


def test_the_reminder_reaches_the_venues_listed_and_its_button_says_how_many(client, auth):
    alpha = registered_in(LAST_YEAR - 1, district_code=XUANWU, name_en="Alpha Star Hall", name_zh="阿尔法星馆")
    beta = registered_in(LAST_YEAR - 1, district_code=XUANWU, name_en="Beta Rock Hall", name_zh="贝塔岩石馆")
    alpha_manager, _beta_manager = manager_of(alpha), manager_of(beta)
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)
    year = LAST_YEAR - 1

    page = client.get(f"/admin/reports?year={year}&q=Alpha&lang=en").get_data(as_text=True)
    assert "Remind the 1 venue listed that has not submitted" in page
    everyone = client.get(f"/admin/reports?year={year}&lang=en").get_data(as_text=True)
    assert "Remind the 2 venues listed that have not submitted" in everyone

    response = client.post(f"/admin/reports/remind?year={year}&q=Alpha&lang=en", data={})
    assert response.status_code == 302 and "q=Alpha" in response.headers["Location"]
    assert [m.recipient for m in reminders()] == [alpha_manager.email]
    # Alpha's manager was just reminded: the button now counts Beta alone.
    after = client.get(f"/admin/reports?year={year}&lang=en").get_data(as_text=True)
    assert "Remind the 1 venue listed that has not submitted" in after
