"""A filed annual report keeps the figures it was filed with: late check-ins, corrections and a
rebuild do not change it; the city admin is told which figures the records now give otherwise; a
report returned and filed again keeps its new figures; the public reads filed reports, nobody's name."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import from_local, local_today, utcnow
from app.events.models import ThemedDay
from app.extensions import db
from app.stats import rebuild
from app.stats.models import ReportSubmission
from app.venues.models import Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU

LAST_YEAR = local_today().year - 1


def facts(page: str) -> dict:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def counted_last_year(venue, persons: int, month: int = 6):
    """Walk-ins of ``persons`` at ``venue`` on a day of last year, then the rollups rebuilt."""
    factories.walk_in(venue, persons=persons, when=from_local(datetime(LAST_YEAR, month, 1, 10)))
    rebuild.rebuild_all()
    db.session.commit()


@pytest.fixture
def venue(app):
    """A venue approved on 1 March last year, with 3 walk-ins counted last June."""
    venue = factories.venue(name_zh="档案馆", name_en="Archive Hall")
    approved = from_local(datetime(LAST_YEAR, 3, 1, 10))
    venue.created_at = approved
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                              created_at=approved)]
    db.session.commit()
    counted_last_year(venue, 3)
    return venue


@pytest.fixture
def manager(venue):
    return factories.user(Role.VENUE_MANAGER, venue=venue, name="王馆长", email="wang.manager@example.com")


def file_report(client, auth, manager, text: str = "全年开放正常。"):
    auth.login(manager.email)
    assert client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": text}).status_code == 302
    assert client.post(f"/manage/reports/{LAST_YEAR}/submit", data={}).status_code == 302
    auth.logout()


def city_admin_reads(client, auth, venue, suffix: str = "") -> object:
    auth.login(factories.user(Role.CITY_ADMIN).email)
    response = client.get(f"/admin/reports/{venue.id}/{LAST_YEAR}{suffix}?lang=en")
    auth.logout()
    return response


def xlsx_summary(response) -> dict:
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    return {row[0]: row[1] for row in rows if len(row) > 1}


def test_a_filed_report_keeps_the_figures_it_was_filed_with(client, auth, venue, manager):
    file_report(client, auth, manager)
    counted_last_year(venue, 4, month=7)  # a late gate upload, then a rebuild
    auth.login(manager.email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert (facts(page)["Visits"], facts(page)["Walk-ins"]) == ("3", "3")
    assert "As filed on" in page and 'id="changed-since-filing"' not in page  # the admin's to weigh
    summary = xlsx_summary(client.get(f"/manage/reports/{LAST_YEAR}.xlsx?lang=en"))
    assert (summary["Visits"], summary["Walk-ins"]) == (3, 3)
    assert summary["As filed on"] == local_today().isoformat()


def test_the_city_admin_is_told_which_figures_the_records_now_give_otherwise(client, auth, venue, manager):
    file_report(client, auth, manager)
    page = city_admin_reads(client, auth, venue).get_data(as_text=True)
    assert "As filed on" in page and 'id="changed-since-filing"' not in page
    counted_last_year(venue, 4, month=7)
    page = city_admin_reads(client, auth, venue).get_data(as_text=True)
    assert facts(page)["Visits"] == "3"
    changed = re.search(r'id="changed-since-filing"[^>]*>([^<]+)<', page).group(1)
    assert "Visits" in changed and "Walk-ins" in changed and "Visits by month" in changed
    assert "School groups" not in changed and "Bookings" not in changed
    assert xlsx_summary(city_admin_reads(client, auth, venue, ".xlsx"))["Visits"] == 3


def test_a_returned_report_filed_again_keeps_its_new_figures(client, auth, venue, manager):
    file_report(client, auth, manager)
    counted_last_year(venue, 4, month=7)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return",
                       data={"reason": "请核对七月的入馆人数"}).status_code == 302
    auth.logout()
    auth.login(manager.email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert facts(page)["Visits"] == "7" and "As filed on" not in page  # not filed: the live figures
    auth.logout()
    file_report(client, auth, manager, text="已核对七月人数。")
    page = city_admin_reads(client, auth, venue).get_data(as_text=True)
    assert facts(page)["Visits"] == "7" and "As filed on" in page and 'id="changed-since-filing"' not in page


def test_a_report_filed_before_figures_were_kept_says_so(client, auth, venue):
    db.session.add(ReportSubmission(venue_id=venue.id, year=LAST_YEAR, text="旧的报告。", submitted_at=utcnow()))
    db.session.commit()
    page = city_admin_reads(client, auth, venue).get_data(as_text=True)
    assert 'id="figures-not-kept"' in page and "As filed on" not in page
    assert facts(page)["Visits"] == "3"
    assert xlsx_summary(city_admin_reads(client, auth, venue, ".xlsx"))["Filed on"] == local_today().isoformat()
    public = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=en")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert 'id="figures-not-kept"' in text and "旧的报告。" in text and "<dt>Visits</dt>" not in text


def test_the_public_reads_a_filed_report_with_its_figures_as_filed_and_no_one_s_name(client, auth, venue, manager):
    file_report(client, auth, manager)
    counted_last_year(venue, 4, month=7)
    venue_page = client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)
    assert f'href="/venues/{venue.id}/reports/{LAST_YEAR}"' in venue_page
    response = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert facts(page)["Visits"] == "3" and "As filed on" in page and "全年开放正常。" in page
    assert "王馆长" not in page and "wang.manager" not in page and "Submitted to the city" not in page


def test_years_not_filed_or_returned_are_not_found_by_the_public(client, auth, venue, manager):
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 404  # not filed
    assert f"/venues/{venue.id}/reports/" not in client.get(f"/venues/{venue.id}").get_data(as_text=True)
    auth.login(manager.email)
    client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": "草稿"})
    auth.logout()
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 404  # a draft
    file_report(client, auth, manager)
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 200
    auth.login(factories.user(Role.CITY_ADMIN).email)
    client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "请补充"})
    auth.logout()
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 404  # returned
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR + 1}").status_code == 404
    assert client.get(f"/venues/{venue.id}/reports/99999999999").status_code == 404
    assert client.get(f"/venues/{venue.id + 999}/reports/{LAST_YEAR}").status_code == 404


def test_the_reports_of_a_venue_never_on_the_register_are_not_found_by_the_public(client, auth, venue, manager):
    file_report(client, auth, manager)
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 200
    venue.status, venue.status_changes = VenueStatus.SUBMITTED, []  # it never was approved
    db.session.commit()
    assert client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").status_code == 404


def suspend(client, auth, venue):
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=venue.district_code).email)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": "消防整改"}).status_code == 302
    auth.logout()


def test_a_suspended_venue_s_filed_report_stays_public_without_a_link_to_its_hidden_page(client, auth, venue,
                                                                                       manager):
    file_report(client, auth, manager)
    suspend(client, auth, venue)
    assert client.get(f"/venues/{venue.id}?lang=en").status_code == 404
    response = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert facts(page)["Visits"] == "3" and "全年开放正常。" in page and "Archive Hall" in page
    assert f'href="/venues/{venue.id}"' not in page and f'href="/venues/{venue.id}?' not in page
    assert 'id="venue-not-open"' in page


def test_the_venue_s_manager_still_follows_the_link_to_its_suspended_venue_s_page(client, auth, venue, manager):
    file_report(client, auth, manager)
    suspend(client, auth, venue)
    auth.login(manager.email)
    page = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}").get_data(as_text=True)
    assert f'href="/venues/{venue.id}"' in page and 'id="venue-not-open"' not in page
    assert client.get(f"/venues/{venue.id}").status_code == 200


def test_a_venue_back_in_review_after_a_move_keeps_its_filed_report_public(client, auth, venue, manager):
    file_report(client, auth, manager)
    auth.login(manager.email)
    data = factories.venue_form_data(name_zh=venue.name_zh, name_en="Archive Hall", district_code=GULOU,
                                     confirm_move=GULOU)
    assert client.post("/manage/venue", data=data).status_code == 302
    auth.logout()
    assert db.session.get(Venue, venue.id).status == VenueStatus.SUBMITTED
    assert client.get(f"/venues/{venue.id}").status_code == 404
    response = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=en")
    assert response.status_code == 200
    assert "全年开放正常。" in response.get_data(as_text=True)
    assert f'href="/venues/{venue.id}"' not in response.get_data(as_text=True)


def test_a_filed_report_names_its_themed_events_in_either_language(client, auth, venue, manager):
    db.session.add(ThemedDay(key="filed_week", name_zh="档案周", name_en="Archive week", rule_kind="fixed",
                             rule="09-20..09-26"))
    db.session.commit()
    factories.slot(venue, day=date(LAST_YEAR, 9, 20), capacity=30,
                   program_id=factories.program(venue, themed_day_key="filed_week", title_zh="档案展",
                                                title_en="Archive show").id)
    file_report(client, auth, manager)
    english = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert "Archive show" in english and "Archive week" in english
    chinese = client.get(f"/venues/{venue.id}/reports/{LAST_YEAR}?lang=zh").get_data(as_text=True)
    assert "档案展" in chinese and "档案周" in chinese
    stored = db.session.scalar(select(ReportSubmission.filed_figures))
    assert stored["events"][0]["places"] == 30 and stored["totals"]["visits"] == 3


def test_the_xlsx_summary_gives_the_themed_events_places_as_the_page_does(client, auth, venue, manager):
    db.session.add(ThemedDay(key="filed_week", name_zh="档案周", name_en="Archive week", rule_kind="fixed",
                             rule="09-20..09-26"))
    db.session.commit()
    event = factories.program(venue, themed_day_key="filed_week", title_zh="档案展")
    for day in (20, 21):
        factories.slot(venue, day=date(LAST_YEAR, 9, day), capacity=30, program_id=event.id)
    file_report(client, auth, manager)
    auth.login(manager.email)
    summary = xlsx_summary(client.get(f"/manage/reports/{LAST_YEAR}.xlsx?lang=en"))
    assert (summary["Themed event sessions"], summary["Themed event places offered"]) == (2, 60)
