"""Administrators see, for each current accreditation (认定) ending within the expiry notice's window
(``EXPIRY_NOTICE_DAYS``, 60 days), how many days it has left and whether the daily job has warned
the venue's managers, when (their local date, in the reader's language), or why not yet."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from babel.dates import format_date

from app.accounts.models import Role
from app.core.time import local_today, to_local
from app.extensions import db
from app.venues import services
from tests import factories

# 17:00 UTC is 01:00 the next day in Nanjing: the page must give the managers' local date.
WARNED_AT = datetime(2026, 11, 20, 17, 0)
WARNED_ON = to_local(WARNED_AT).date()


def accredit(venue, ends_in: int, **kw):
    today = local_today()
    return factories.accreditation(venue, valid_from=kw.pop("valid_from", today - timedelta(days=1000)),
                                   valid_to=today + timedelta(days=ends_in), **kw)


def warned(accreditation, at: datetime = WARNED_AT):
    accreditation.expiry_notice_sent_at = at
    db.session.commit()
    return accreditation


def city_admin_page(client, auth, query: str = "", lang: str = "en"):
    auth.login(factories.user(Role.CITY_ADMIN).email)
    separator = "&" if query else ""
    return client.get(f"/admin/accreditations?{query}{separator}lang={lang}")


def row_of(html: str, certificate_no: str, section: str = 'id="all-heading"') -> str:
    """The table row that shows ``certificate_no`` in a section of the page."""
    part = html.split(section, 1)[1]
    return part.split(certificate_no, 1)[1].split("</tr>", 1)[0]


def test_the_city_admin_sees_the_local_date_the_managers_were_warned_on(client, auth, app):
    venue = factories.venue()
    factories.user(Role.VENUE_MANAGER, venue=venue)
    warned(accredit(venue, 30, certificate_no="WARNED-1"))

    response = city_admin_page(client, auth)

    assert response.status_code == 200
    row = row_of(response.get_data(as_text=True), "WARNED-1")
    assert "Expires in 30 days" in row
    assert f"Managers warned on {format_date(WARNED_ON, 'medium', locale='en')}" in row


def test_the_warning_date_reads_in_the_readers_language(client, auth, app):
    venue = factories.venue()
    warned(accredit(venue, 30, certificate_no="WARNED-ZH"))

    html = city_admin_page(client, auth, lang="zh").get_data(as_text=True)

    assert format_date(WARNED_ON, "medium", locale="zh") in row_of(html, "WARNED-ZH")


def test_an_ending_accreditation_of_a_venue_without_an_active_manager_says_nobody_could_be_warned(client, auth, app):
    venue = factories.venue()
    factories.user(Role.VENUE_MANAGER, venue=venue).password_hash = "!invited"  # no password chosen yet
    factories.user(Role.VENUE_MANAGER, venue=venue).is_disabled = True
    db.session.commit()
    accredit(venue, 20, certificate_no="NOBODY-1")

    row = row_of(city_admin_page(client, auth).get_data(as_text=True), "NOBODY-1")

    assert "Expires in 20 days" in row
    assert "Managers not warned: the venue has no active manager" in row
    assert "Managers warned on" not in row


def test_an_ending_accreditation_not_yet_warned_of_says_the_daily_reminder_will(client, auth, app):
    venue = factories.venue()
    factories.user(Role.VENUE_MANAGER, venue=venue)
    accredit(venue, 60, certificate_no="PENDING-60")  # the window's last day: still in it

    row = row_of(city_admin_page(client, auth).get_data(as_text=True), "PENDING-60")

    assert "Managers not warned yet: the daily reminder emails them" in row


def test_an_ending_accreditation_already_renewed_needs_no_warning(client, auth, app):
    venue = factories.venue()
    factories.user(Role.VENUE_MANAGER, venue=venue)
    accredit(venue, 10, level="national_base", certificate_no="OLD-1")
    accredit(venue, 1500, level="national_base", certificate_no="NEW-1")

    row = row_of(city_admin_page(client, auth).get_data(as_text=True), "OLD-1")

    assert "Renewal recorded: the managers need no warning" in row


def test_accreditations_outside_the_notice_window_have_no_warning_status(client, auth, app):
    venue, today = factories.venue(), local_today()
    factories.user(Role.VENUE_MANAGER, venue=venue)
    accredit(venue, 61, certificate_no="LATER-61")
    accredit(venue, -1, certificate_no="ENDED-1")
    accredit(venue, 30, valid_from=today + timedelta(days=1), certificate_no="NOT-BEGUN")

    html = city_admin_page(client, auth).get_data(as_text=True)

    for number in ("LATER-61", "ENDED-1", "NOT-BEGUN"):
        assert "Managers" not in row_of(html, number), number
        assert "Renewal recorded" not in row_of(html, number), number


def test_the_window_is_the_expiry_notices_own(client, auth, app, monkeypatch):
    """One rule: shortening the notice's window shortens what the page calls warned of."""
    monkeypatch.setattr(services, "EXPIRY_NOTICE_DAYS", 20)
    venue = factories.venue()
    factories.user(Role.VENUE_MANAGER, venue=venue)
    accredit(venue, 20, level="city_base", certificate_no="IN-20")
    accredit(venue, 30, level="study_base", certificate_no="OUT-30")

    html = city_admin_page(client, auth).get_data(as_text=True)

    assert "not warned yet" in row_of(html, "IN-20") and "Managers" not in row_of(html, "OUT-30")
    assert "emailed 20 days before" in html


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.CITY_ADMIN])
def test_the_venues_admin_view_shows_the_warning_status(client, auth, app, role):
    venue = factories.venue(district_code=factories.XUANWU)
    factories.user(Role.VENUE_MANAGER, venue=venue)
    warned(accredit(venue, 45, certificate_no="VENUE-WARNED"))
    accredit(venue, 5, level="study_base", certificate_no="VENUE-PENDING")
    auth.login(factories.user(role).email)

    response = client.get(f"/admin/venues/{venue.id}?lang=en")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    section = 'id="accreditation-heading"'
    row = row_of(html, "VENUE-WARNED", section)
    assert "Expires in 45 days" in row
    assert f"Managers warned on {format_date(WARNED_ON, 'medium', locale='en')}" in row
    assert "Managers not warned yet" in row_of(html, "VENUE-PENDING", section)


def test_the_venue_manager_does_not_see_the_administrators_warning_status(client, auth, app):
    venue = factories.venue()
    person = factories.user(Role.VENUE_MANAGER, venue=venue)
    warned(accredit(venue, 30, certificate_no="MINE-1"))
    auth.login(person.email)

    html = client.get("/manage/venue?lang=en").get_data(as_text=True)

    assert "MINE-1" in html and "Managers warned on" not in html
