"""An annual report is due by 31 March of the next year: after that day a report not filed (never,
or not again since the city returned it) is overdue, on the venue's page, in the admins' list and
in its CSV."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from app.accounts.models import Role
from app.core.time import from_local, local_today
from app.extensions import db
from app.venues.models import VenueStatus, VenueStatusChange
from tests import factories

THIS_YEAR = local_today().year
PAST_YEAR = THIS_YEAR - 2  # its report was due by 31 March of last year: overdue, whatever today is


def registered_in(year: int, **kw):
    approved = from_local(datetime(year, 3, 1, 10))
    venue = factories.venue(**kw)
    venue.created_at = approved
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED,
                                              created_at=approved)]
    db.session.commit()
    return venue


def manager_page(client, auth, venue, year: int) -> str:
    auth.login(factories.user(Role.VENUE_MANAGER, venue=venue).email)
    response = client.get(f"/manage/reports/{year}?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_report_not_filed_by_31_march_of_the_next_year_is_overdue_on_the_venues_page(client, auth):
    venue = registered_in(PAST_YEAR)
    page = manager_page(client, auth, venue, PAST_YEAR)
    assert "Overdue" in page and f"It was due by Mar 31, {PAST_YEAR + 1}." in page


def test_the_running_years_report_says_when_it_is_due_and_is_not_overdue(client, auth):
    venue = registered_in(THIS_YEAR - 1)
    page = manager_page(client, auth, venue, THIS_YEAR)
    assert f"Due by Mar 31, {THIS_YEAR + 1}." in page and "Overdue" not in page


def test_a_report_filed_late_is_no_longer_overdue(client, auth):
    venue = registered_in(PAST_YEAR)
    manager_page(client, auth, venue, PAST_YEAR)
    assert client.post(f"/manage/reports/{PAST_YEAR}/submit", data={}).status_code == 302
    page = client.get(f"/manage/reports/{PAST_YEAR}?lang=en").get_data(as_text=True)
    assert "Submitted to the city on" in page and "Overdue" not in page and "Due by" not in page


def test_a_report_returned_after_its_due_date_is_overdue_until_filed_again(client, auth):
    venue = registered_in(PAST_YEAR)
    manager_page(client, auth, venue, PAST_YEAR)
    client.post(f"/manage/reports/{PAST_YEAR}/submit", data={})
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/reports/{venue.id}/{PAST_YEAR}/return", data={"reason": "请补充"}).status_code == 302
    page = client.get(f"/admin/reports/{venue.id}/{PAST_YEAR}?lang=en").get_data(as_text=True)
    assert "Returned to the venue" in page and "Overdue" in page


def test_the_admins_list_marks_the_overdue_reports_and_counts_them(client, auth):
    late = registered_in(PAST_YEAR, name_en="Late Hall")
    filed = registered_in(PAST_YEAR, name_en="Filed Hall")
    manager_page(client, auth, filed, PAST_YEAR)
    client.post(f"/manage/reports/{PAST_YEAR}/submit", data={})
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)

    page = client.get(f"/admin/reports?year={PAST_YEAR}&lang=en").get_data(as_text=True)
    assert f"The {PAST_YEAR} reports were due by Mar 31, {PAST_YEAR + 1}" in page
    assert "1 overdue." in page
    late_row = page[page.index(late.name_en):page.index("</tr>", page.index(late.name_en))]
    filed_row = page[page.index(filed.name_en):page.index("</tr>", page.index(filed.name_en))]
    assert "Overdue" in late_row and "Overdue" not in filed_row

    running = client.get(f"/admin/reports?year={THIS_YEAR}&lang=en").get_data(as_text=True)
    assert f"can be submitted from Jan 1, {THIS_YEAR + 1} and are due by Mar 31, {THIS_YEAR + 1}" in running
    assert "Overdue" not in running


def test_the_reports_csv_says_when_each_report_was_due_and_whether_it_is_overdue(client, auth):
    late = registered_in(PAST_YEAR)
    filed = registered_in(PAST_YEAR)
    manager_page(client, auth, filed, PAST_YEAR)
    client.post(f"/manage/reports/{PAST_YEAR}/submit", data={})
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)

    text = client.get(f"/admin/reports.csv?year={PAST_YEAR}").get_data().decode("utf-8")
    rows = {int(r["venue_id"]): r for r in csv.DictReader(io.StringIO(text[1:]))}
    assert rows[late.id]["due_on"] == rows[filed.id]["due_on"] == f"{PAST_YEAR + 1}-03-31"
    assert (rows[late.id]["overdue"], rows[filed.id]["overdue"]) == ("true", "false")


def reminders():
    from app.notifications.models import OutboxMessage

    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "annual_report_reminder")
                              .order_by(OutboxMessage.id)).all()


def test_a_district_admin_reminds_the_managers_of_their_venues_whose_report_is_not_filed(client, auth):
    from tests.factories import GULOU, XUANWU

    late = registered_in(PAST_YEAR, district_code=XUANWU)
    filed = registered_in(PAST_YEAR, district_code=XUANWU)
    elsewhere = registered_in(PAST_YEAR, district_code=GULOU)
    late_manager = factories.user(Role.VENUE_MANAGER, venue=late)
    factories.user(Role.VENUE_MANAGER, venue=elsewhere)
    manager_page(client, auth, filed, PAST_YEAR)
    client.post(f"/manage/reports/{PAST_YEAR}/submit", data={})
    auth.logout()
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=XUANWU).email)

    page = client.get(f"/admin/reports?year={PAST_YEAR}&lang=en").get_data(as_text=True)
    assert "Remind the 1 venue listed that has not submitted" in page
    response = client.post(f"/admin/reports/remind?year={PAST_YEAR}&lang=en", data={}, follow_redirects=True)
    assert response.status_code == 200
    assert "The managers of 1 venue are reminded by email." in response.get_data(as_text=True)
    sent = reminders()
    assert [m.recipient for m in sent] == [late_manager.email]
    assert f"/manage/reports/{PAST_YEAR}" in sent[0].body and f"{PAST_YEAR + 1}-03-31" in sent[0].body

    # Asked again the same week, nobody is reminded twice.
    again = client.post(f"/admin/reports/remind?year={PAST_YEAR}&lang=en", data={}, follow_redirects=True)
    assert "No venue to remind" in again.get_data(as_text=True) and len(reminders()) == 1


def test_the_running_years_reports_cannot_be_reminded_of_yet(client, auth):
    venue = registered_in(THIS_YEAR - 1)
    factories.user(Role.VENUE_MANAGER, venue=venue)
    auth.login(factories.user(Role.CITY_ADMIN).email)

    page = client.get(f"/admin/reports?year={THIS_YEAR}&lang=en").get_data(as_text=True)
    assert "Remind the venues" not in page
    response = client.post(f"/admin/reports/remind?year={THIS_YEAR}&lang=en", data={}, follow_redirects=True)
    assert response.status_code == 200 and "nothing to remind of yet" in response.get_data(as_text=True)
    assert reminders() == []
