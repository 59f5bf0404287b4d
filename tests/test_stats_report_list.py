"""The admins' list of a year's annual reports: paged, searched by venue name, filtered by report
status (and district, for the city admin), with counts per status and a CSV of what it shows."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from app.accounts.models import Role
from app.core.time import from_local, local_today
from app.extensions import db
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU, XUANWU

LAST_YEAR = local_today().year - 1


def registered_venues(count: int = 1, **kw) -> list:
    """Approved venues whose approval is recorded on 1 March of last year: they owe last year's report."""
    approved = from_local(datetime(LAST_YEAR, 3, 1, 10))
    venues = [factories.venue(**kw) for _ in range(count)]
    for venue in venues:
        venue.created_at = approved
        venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                                  created_at=approved)]
    db.session.commit()
    return venues


def submit(client, auth, venue):
    manager = factories.user(Role.VENUE_MANAGER, venue=venue, name="馆长张三", phone="13912345678")
    auth.login(manager.email)
    assert client.post(f"/manage/reports/{LAST_YEAR}/submit", data={}).status_code == 302
    auth.logout()
    return manager


def return_to_venue(client, auth, venue):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "请补充"}).status_code == 302
    auth.logout()


def listing(client, query: str = "") -> str:
    response = client.get(f"/admin/reports?year={LAST_YEAR}&lang=en{query}")
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows_of(page: str) -> int:
    return page.count(f'/{LAST_YEAR}">')  # each row links to its venue's report of the year


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_city_admin_pages_through_the_reports_fifty_venues_at_a_time(client, auth):
    registered_venues(51)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    first = listing(client)
    assert rows_of(first) == 50 and "Page 1 of 2" in first and "51 venues found." in first
    assert rows_of(listing(client, "&page=2")) == 1


def test_a_reports_page_past_the_end_goes_to_the_last_page_with_the_same_filters(client, auth):
    registered_venues(51)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    response = client.get(f"/admin/reports?year={LAST_YEAR}&status=not_submitted&page=9")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.path, parse_qs(location.query)) == (
        "/admin/reports", {"year": [str(LAST_YEAR)], "status": ["not_submitted"], "page": ["2"]})


def test_the_reports_are_searched_by_venue_name(client, auth):
    wanted, = registered_venues(name_zh="紫金山天文台", name_en="Purple Mountain Observatory")
    other, = registered_venues(name_zh="江宁织造博物馆", name_en="Jiangning Weaving Museum")
    auth.login(factories.user(Role.CITY_ADMIN).email)

    page = listing(client, "&q=天文台")
    assert wanted.name_en in page and other.name_en not in page and "1 venue found." in page


def test_the_reports_are_filtered_by_status_and_counted_per_status(client, auth):
    submitted, returned, waiting, draft = (registered_venues(name_en=f"Status Hall {name}")[0]
                                           for name in ("Sent", "Back", "Waiting", "Draft"))
    auth.login(factories.user(Role.VENUE_MANAGER, venue=draft).email)
    client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": "草稿"})
    auth.logout()
    submit(client, auth, submitted)
    submit(client, auth, returned)
    return_to_venue(client, auth, returned)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    every = listing(client)
    assert "2 not yet submitted" in every and "1 submitted" in every and "1 returned to the venue" in every
    shown = {status: listing(client, f"&status={status}")
             for status in ("not_submitted", "submitted", "returned")}
    assert submitted.name_en in shown["submitted"] and rows_of(shown["submitted"]) == 1
    assert returned.name_en in shown["returned"] and rows_of(shown["returned"]) == 1
    assert waiting.name_en in shown["not_submitted"] and draft.name_en in shown["not_submitted"]
    assert rows_of(shown["not_submitted"]) == 2
    # The counts stay those of every status, so that the admin sees what the other filters hold.
    assert "1 submitted" in shown["returned"]


def test_an_unknown_status_shows_every_report_and_says_so(client, auth):
    registered_venues(2)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = listing(client, "&status=accepted-ish")
    assert rows_of(page) == 2 and "There is no such status" in page


def test_the_city_admin_filters_the_reports_by_district(client, auth):
    xuanwu, = registered_venues(district_code=XUANWU)
    gulou, = registered_venues(district_code=GULOU)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    page = listing(client, f"&district={GULOU}")
    assert gulou.name_en in page and xuanwu.name_en not in page
    assert 'name="district"' in page


def test_a_district_admin_gets_only_their_district_whatever_district_is_asked(client, auth):
    xuanwu, = registered_venues(district_code=XUANWU)
    gulou, = registered_venues(district_code=GULOU)
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)

    page = listing(client, f"&district={GULOU}")
    assert xuanwu.name_en in page and gulou.name_en not in page
    assert 'name="district"' not in page
    rows = csv_rows(client.get(f"/admin/reports.csv?year={LAST_YEAR}&district={GULOU}"))
    assert [r["venue_id"] for r in rows] == [str(xuanwu.id)]


def test_the_reports_download_as_csv_with_each_venues_status_and_submitted_date(client, auth):
    submitted, waiting = registered_venues(2)
    manager = submit(client, auth, submitted)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    response = client.get(f"/admin/reports.csv?year={LAST_YEAR}")
    rows = {r["venue_id"]: r for r in csv_rows(response)}
    assert response.headers["Content-Disposition"] == f'attachment; filename="annual-reports-{LAST_YEAR}-all.csv"'
    assert rows[str(submitted.id)]["status"] == "submitted"
    assert rows[str(submitted.id)]["submitted_on"] == local_today().isoformat()
    assert rows[str(submitted.id)]["venue"] == submitted.name_zh
    assert (rows[str(waiting.id)]["status"], rows[str(waiting.id)]["submitted_on"]) == ("not_submitted", "")
    text = response.get_data().decode("utf-8")
    assert manager.name not in text and manager.email not in text and "13912345678" not in text


def test_the_csv_holds_the_filtered_list_not_only_its_page(client, auth):
    submitted, *waiting = registered_venues(53)
    submit(client, auth, submitted)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    assert len(csv_rows(client.get(f"/admin/reports.csv?year={LAST_YEAR}&page=1"))) == 53
    only = csv_rows(client.get(f"/admin/reports.csv?year={LAST_YEAR}&status=submitted"))
    assert [r["venue_id"] for r in only] == [str(submitted.id)]
    link = re.search(r'href="(/admin/reports\.csv\?[^"]*)"', listing(client, "&status=submitted")).group(1)
    assert parse_qs(urlsplit(link.replace("&amp;", "&")).query) == {"year": [str(LAST_YEAR)], "status": ["submitted"]}


def test_a_bad_year_of_the_csv_is_refused(client, auth):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.get("/admin/reports.csv?year=abc").status_code == 400
    assert client.get(f"/admin/reports.csv?year={LAST_YEAR + 5}").status_code == 400
