"""Filing the annual report: only a finished year, only by a venue registered in it; the city admin
returns a filed report with a reason; a stale tab's remarks are shown back, not lost."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.core.time import from_local, local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.stats.models import ReportSubmission
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import XUANWU

THIS_YEAR = local_today().year
LAST_YEAR = THIS_YEAR - 1


def registered_venue(year: int = LAST_YEAR, **kw):
    """An approved venue whose approval is recorded on 1 March of ``year``."""
    venue = factories.venue(**kw)
    approved = from_local(datetime(year, 3, 1, 10))
    venue.created_at = approved
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                              created_at=approved)]
    db.session.commit()
    return venue


def newly_approved_venue(**kw):
    """A venue registered and approved today."""
    venue = factories.venue(**kw)
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED)]
    db.session.commit()
    return venue


def manager_of(venue):
    return factories.user(Role.VENUE_MANAGER, venue=venue)


def submission(venue, year: int) -> ReportSubmission | None:
    db.session.expire_all()
    return db.session.scalar(select(ReportSubmission).where(ReportSubmission.venue_id == venue.id,
                                                            ReportSubmission.year == year))


def submit(client, auth, venue, year: int = LAST_YEAR):
    auth.login(manager_of(venue).email)
    assert client.post(f"/manage/reports/{year}/submit", data={}).status_code == 302
    auth.logout()


# --- only a finished year --------------------------------------------------------------------------

def test_the_running_year_cannot_be_submitted_and_the_page_says_when_it_can(client, auth):
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{THIS_YEAR}?lang=en").get_data(as_text=True)
    assert f"/manage/reports/{THIS_YEAR}/submit" not in page
    assert f"The report can be submitted from Jan 1, {THIS_YEAR + 1}" in page
    assert f"/manage/reports/{THIS_YEAR}/text" in page  # the remarks can be prepared meanwhile

    response = client.post(f"/manage/reports/{THIS_YEAR}/submit?lang=en", data={}, follow_redirects=True)
    assert f"it can be submitted from 1 January {THIS_YEAR + 1}" in response.get_data(as_text=True)
    assert submission(venue, THIS_YEAR) is None or submission(venue, THIS_YEAR).submitted_at is None


def test_a_finished_year_is_submitted(client, auth):
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    assert f"/manage/reports/{LAST_YEAR}/submit" in client.get(f"/manage/reports/{LAST_YEAR}").get_data(as_text=True)
    client.post(f"/manage/reports/{LAST_YEAR}/submit", data={})
    assert submission(venue, LAST_YEAR).submitted_at is not None


def test_a_venue_approved_this_year_has_no_report_to_file_for_last_year(client, auth):
    venue = newly_approved_venue()
    auth.login(manager_of(venue).email)
    response = client.post(f"/manage/reports/{LAST_YEAR}/submit?lang=en", data={}, follow_redirects=True)
    assert f"Your venue was not yet registered in {LAST_YEAR}" in response.get_data(as_text=True)
    assert submission(venue, LAST_YEAR) is None


def test_the_page_does_not_offer_to_file_a_year_the_venue_was_not_registered_in(client, auth):
    venue = newly_approved_venue()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert f"/manage/reports/{LAST_YEAR}/submit" not in page
    assert f"Your venue was not yet registered in {LAST_YEAR}" in page


@pytest.mark.parametrize("status", [VenueStatus.SUBMITTED, VenueStatus.SUSPENDED])
def test_a_venue_off_the_register_now_still_files_the_year_it_operated(client, auth, status):
    venue = registered_venue()  # on the register all last year
    manager = manager_of(venue)
    venue.status = status  # back in review after a district move, or suspended since
    db.session.commit()
    auth.login(manager.email)
    assert f"/manage/reports/{LAST_YEAR}/submit" in client.get(f"/manage/reports/{LAST_YEAR}").get_data(as_text=True)
    assert client.post(f"/manage/reports/{LAST_YEAR}/submit", data={}).status_code == 302
    assert submission(venue, LAST_YEAR).submitted_at is not None
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    listing = client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert venue.name_en in listing and "Submitted on" in listing.split(venue.name_en, 1)[1].split("</tr>", 1)[0]


# --- which venues owe a report ---------------------------------------------------------------------

def test_a_venue_approved_after_the_year_is_neither_listed_as_late_nor_scored(client, auth):
    old = registered_venue(name_en="Old Hall")
    new = newly_approved_venue(name_en="New Hall")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    listing = client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert old.name_en in listing and new.name_en not in listing
    scores = client.get(f"/admin/evaluation?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert old.name_en in scores and new.name_en not in scores
    # This year both are on the register.
    listing = client.get(f"/admin/reports?year={THIS_YEAR}&lang=en").get_data(as_text=True)
    assert old.name_en in listing and new.name_en in listing


def test_a_venue_with_slots_in_the_year_is_listed_whenever_its_approval_was_recorded(client, auth):
    venue = newly_approved_venue(name_en="Hall With A Past")  # as the demo's: loaded with last year's slots
    factories.slot(venue, day=local_today().replace(year=LAST_YEAR, month=6, day=1))
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert venue.name_en in client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)


def status_change(venue, to_status: VenueStatus, when: datetime) -> None:
    venue.status_changes.append(VenueStatusChange(from_status=venue.status, to_status=to_status,
                                                  created_at=from_local(when)))
    venue.status = to_status
    db.session.commit()


def test_a_venue_suspended_since_is_listed_and_scored_for_the_year_it_operated(client, auth):
    venue = registered_venue(name_en="Suspended Since Hall", district_code=XUANWU)
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": "安全检查"}).status_code == 302
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    listing = client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert venue.name_en in listing and "Suspended" in listing
    scores = client.get(f"/admin/evaluation?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert venue.name_en in scores and "Suspended" in scores


def test_a_venue_suspended_the_whole_year_is_neither_listed_nor_scored_for_it(client, auth):
    idle = registered_venue(LAST_YEAR - 1, name_en="Idle Hall")
    status_change(idle, VenueStatus.SUSPENDED, datetime(LAST_YEAR - 1, 11, 1))
    back = registered_venue(LAST_YEAR - 1, name_en="Back Again Hall")
    status_change(back, VenueStatus.SUSPENDED, datetime(LAST_YEAR - 1, 11, 1))
    status_change(back, VenueStatus.APPROVED, datetime(LAST_YEAR, 10, 1))
    auth.login(factories.user(Role.CITY_ADMIN).email)
    for page in ("reports", "evaluation"):
        last_year = client.get(f"/admin/{page}?year={LAST_YEAR}&lang=en").get_data(as_text=True)
        assert idle.name_en not in last_year and back.name_en in last_year, page
        year_before = client.get(f"/admin/{page}?year={LAST_YEAR - 1}&lang=en").get_data(as_text=True)
        assert idle.name_en in year_before and back.name_en in year_before, page


def test_a_venue_back_in_review_after_a_move_is_listed_for_the_year_it_operated(client, auth):
    venue = registered_venue(name_en="Moved Hall")
    status_change(venue, VenueStatus.SUBMITTED, datetime(THIS_YEAR, 1, 2))
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert venue.name_en in client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    assert venue.name_en in client.get(f"/admin/evaluation?year={LAST_YEAR}&lang=en").get_data(as_text=True)


def test_a_venue_never_approved_is_never_listed(client, auth):
    draft = factories.venue(name_en="Draft Hall", status=VenueStatus.DRAFT)
    draft.created_at = from_local(datetime(LAST_YEAR, 3, 1))
    db.session.commit()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    for page in ("reports", "evaluation"):
        assert draft.name_en not in client.get(f"/admin/{page}?year={LAST_YEAR}&lang=en").get_data(as_text=True)


# --- the city admin returns a report -------------------------------------------------------------

def test_the_city_admin_returns_a_report_and_the_manager_can_correct_and_resubmit_it(client, auth):
    venue = registered_venue()
    manager = manager_of(venue)
    auth.login(manager.email)
    client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": "第一版说明"})
    client.post(f"/manage/reports/{LAST_YEAR}/submit", data={})
    auth.logout()

    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/reports/{venue.id}/{LAST_YEAR}").get_data(as_text=True)
    assert f"/admin/reports/{venue.id}/{LAST_YEAR}/return" in page
    empty = client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": " "})
    assert empty.status_code == 400 and 'id="reason-error"' in empty.get_data(as_text=True)
    assert submission(venue, LAST_YEAR).submitted_at is not None
    response = client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return?lang=en",
                           data={"reason": "请补充十二月的闭馆说明"}, follow_redirects=True)
    assert "The report is returned to the venue" in response.get_data(as_text=True)
    stored = submission(venue, LAST_YEAR)
    assert stored.submitted_at is None and stored.submitted_by_id is None and stored.text == "第一版说明"
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "annual_report_returned"))
    assert message.recipient == manager.email and "请补充十二月的闭馆说明" in message.body
    assert f"/manage/reports/{LAST_YEAR}" in message.body
    auth.logout()

    auth.login(manager.email)
    page = client.get(f"/manage/reports/{LAST_YEAR}").get_data(as_text=True)
    assert f"/manage/reports/{LAST_YEAR}/submit" in page
    assert client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": "第二版说明"}).status_code == 302
    client.post(f"/manage/reports/{LAST_YEAR}/submit", data={})
    stored = submission(venue, LAST_YEAR)
    assert stored.text == "第二版说明" and stored.submitted_at is not None


def test_a_returned_report_is_told_to_the_active_managers_not_to_one_invited_without_a_password(client, auth):
    venue = registered_venue()
    submit(client, auth, venue)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    client.post(f"/admin/venues/{venue.id}/managers", data={"manager-name": "新馆长",
                                                            "manager-email": "invited@example.com"})

    client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "请补充说明"})

    told = db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == "annual_report_returned"))
    assert list(told) == [db.session.scalar(select(User.email).where(User.role == Role.VENUE_MANAGER,
                                                                     User.email != "invited@example.com"))]


def test_a_report_returned_in_another_tab_is_not_returned_twice(client, auth):
    venue = registered_venue()
    submit(client, auth, venue)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "第一次退回"})
    response = client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return?lang=en", data={"reason": "第二次退回"},
                           follow_redirects=True)
    assert "This report is not submitted" in response.get_data(as_text=True)
    bodies = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.kind == "annual_report_returned")).all()
    assert len(bodies) == 1 and "第一次退回" in bodies[0]


def test_only_the_city_admin_returns_reports(client, auth):
    venue = registered_venue(district_code=XUANWU)
    submit(client, auth, venue)
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)
    page = client.get(f"/admin/reports/{venue.id}/{LAST_YEAR}").get_data(as_text=True)
    assert "/return" not in page
    assert client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "x"}).status_code == 403
    assert submission(venue, LAST_YEAR).submitted_at is not None


# --- a stale tab ------------------------------------------------------------------------------------

def test_remarks_saved_after_the_report_was_submitted_in_another_tab_are_shown_back(client, auth):
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    client.post(f"/manage/reports/{LAST_YEAR}/text", data={"text": "第一版"})
    client.post(f"/manage/reports/{LAST_YEAR}/submit", data={})
    response = client.post(f"/manage/reports/{LAST_YEAR}/text?lang=en", data={"text": "另一个标签页里写的新说明"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "This report has already been submitted to the city" in page
    assert re.search(r"<textarea[^>]*readonly[^>]*>另一个标签页里写的新说明</textarea>", page)
    assert submission(venue, LAST_YEAR).text == "第一版"


# --- wording ---------------------------------------------------------------------------------------

def test_the_chinese_report_says_the_no_show_share_without_nested_brackets(client, auth):
    venue = factories.venue()
    slot = factories.slot(venue, day=local_today() - timedelta(days=2), start=time(9), end=time(11))
    booker = factories.user(Role.CITIZEN)
    factories.confirmed_visit(slot, booker, party_size=2)
    from app.checkin.services import mark_no_shows

    mark_no_shows(slot.local_date, now=slot.ends_at + timedelta(hours=1))
    db.session.commit()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{slot.local_date.year}?lang=zh").get_data(as_text=True)
    no_shows = re.search(r"<dt>爽约数</dt><dd>([^<]+)</dd>", page).group(1)
    assert no_shows == "1（占 1 个预约的 100.0%）"


# --- the report page says why it came back ---------------------------------------------------------

def returned(client, auth, venue, reason: str, year: int = LAST_YEAR):
    """Filed by its manager, then returned by the city admin with ``reason``."""
    submit(client, auth, venue, year)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/reports/{venue.id}/{year}/return", data={"reason": reason}).status_code == 302
    auth.logout()


def today_en() -> str:
    today = local_today()
    return f"{today:%b} {today.day}, {today.year}"


def today_zh() -> str:
    today = local_today()
    return f"{today.year}年{today.month}月{today.day}日"


def test_the_manager_reads_why_the_report_was_returned_on_the_report_page_in_both_languages(client, auth):
    venue = registered_venue()
    returned(client, auth, venue, "请补充十二月的闭馆说明")
    auth.login(manager_of(venue).email)
    english = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert f"Returned on {today_en()} by the city: 请补充十二月的闭馆说明" in english
    assert "Returned to the venue" in english and "Correct what is asked, then submit the report again." in english
    chinese = client.get(f"/manage/reports/{LAST_YEAR}?lang=zh").get_data(as_text=True)
    assert f"市科协已于 {today_zh()} 退回：请补充十二月的闭馆说明" in chinese


def test_the_admin_report_page_shows_the_return_too(client, auth):
    venue = registered_venue(district_code=XUANWU)
    returned(client, auth, venue, "缺少志愿者人数")
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)
    page = client.get(f"/admin/reports/{venue.id}/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert f"Returned on {today_en()} by the city: 缺少志愿者人数" in page
    assert "Correct what is asked" not in page  # that is the manager's to do


def test_the_return_reason_is_shown_as_text(client, auth):
    venue = registered_venue()
    returned(client, auth, venue, "<script>alert(1)</script>")
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_filing_again_answers_the_return_which_stays_as_history(client, auth):
    venue = registered_venue()
    returned(client, auth, venue, "第一次：请补充闭馆说明")
    submit(client, auth, venue)

    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert "Submitted to the city on" in page
    assert "Returned to the venue" not in page and "Correct what is asked" not in page
    history = page.split('id="returns-heading"', 1)[1]
    assert "Earlier returns" in history and "by the city: 第一次：请补充闭馆说明" in history
    auth.logout()

    # Returned a second time: the new reason is the one to answer; the first is history.
    auth.login(factories.user(Role.CITY_ADMIN).email)
    client.post(f"/admin/reports/{venue.id}/{LAST_YEAR}/return", data={"reason": "第二次：月度数字需说明"})
    auth.logout()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    current, history = page.split('id="returns-heading"', 1)
    assert f"Returned on {today_en()} by the city: 第二次：月度数字需说明" in current
    assert "第一次" not in current and "第一次：请补充闭馆说明" in history and "第二次" not in history


def test_a_report_never_returned_says_nothing_of_returns(client, auth):
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert "Returned" not in page and "Earlier returns" not in page


def test_the_admins_list_of_reports_tells_a_returned_report_from_one_never_filed(client, auth):
    returned_venue, quiet_venue = registered_venue(), registered_venue()
    returned(client, auth, returned_venue, "请补充闭馆说明")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/reports?year={LAST_YEAR}&lang=en").get_data(as_text=True)
    rows = {row.split("</th>", 1)[0]: row for row in page.split("<tr>")[2:]}
    [returned_row] = [row for head, row in rows.items() if returned_venue.name_en in head]
    [quiet_row] = [row for head, row in rows.items() if quiet_venue.name_en in head]
    assert "Returned to the venue" in returned_row and "Not yet submitted" not in returned_row
    assert "Not yet submitted" in quiet_row


# --- how far the figures go ------------------------------------------------------------------------

def xlsx_summary(client, path: str) -> dict:
    import io

    from openpyxl import load_workbook

    response = client.get(path)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    # An empty value (the remarks of a report not written yet) leaves its row one cell long.
    return {row[0]: (row + (None,))[1] for row in book.worksheets[0].iter_rows(values_only=True)}


def test_a_finished_years_report_counts_the_whole_year_with_no_through_date(client, auth):
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    page = client.get(f"/manage/reports/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert f"bookings of all of {LAST_YEAR}." in page and " through " not in page
    assert "Figures through" not in xlsx_summary(client, f"/manage/reports/{LAST_YEAR}.xlsx?lang=en")

    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    page = client.get(f"/admin/reports/{venue.id}/{LAST_YEAR}?lang=en").get_data(as_text=True)
    assert f"bookings of all of {LAST_YEAR}." in page and " through " not in page
    assert "Figures through" not in xlsx_summary(client, f"/admin/reports/{venue.id}/{LAST_YEAR}.xlsx?lang=en")


def test_the_running_years_report_runs_through_today(client, auth):
    # Pins what must not change: the year under way is counted up to today, on the page and in the XLSX.
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    today = local_today().isoformat()
    page = client.get(f"/manage/reports/{THIS_YEAR}?lang=en").get_data(as_text=True)
    assert f"so far, today ({today}) included" in page and "of all of" not in page
    assert xlsx_summary(client, f"/manage/reports/{THIS_YEAR}.xlsx?lang=en")["Figures through"] == today


def test_a_year_not_started_has_no_report_to_count_yet(client, auth):
    # Pins what must not change: next year's report is not offered, on any of its addresses.
    venue = registered_venue()
    auth.login(manager_of(venue).email)
    assert client.get(f"/manage/reports/{THIS_YEAR + 1}").status_code == 404
    assert client.get(f"/manage/reports/{THIS_YEAR + 1}.xlsx").status_code == 404
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.get(f"/admin/reports/{venue.id}/{THIS_YEAR + 1}").status_code == 404
    assert client.get(f"/admin/reports/{venue.id}/{THIS_YEAR + 1}.xlsx").status_code == 404
    assert client.get(f"/admin/reports?year={THIS_YEAR + 1}").status_code == 400
