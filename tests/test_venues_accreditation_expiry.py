"""An accreditation about to expire says so, with the days left, to the venue's manager and to the
city admin: its renewal is not missed because the table still read "Current"."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.time import local_today
from tests import factories


def _rows(page: str) -> list[str]:
    section = page.split('id="accreditation-heading"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]]


def _row(rows: list[str], number: str) -> str:
    return next(r for r in rows if number in r)


def _accredited_venue():
    venue = factories.venue(name_en="Titled Hall")
    today = local_today()
    for number, days in (("SOON-TEN", 10), ("SOON-ONE", 1), ("LAST-DAY", 0), ("LATER", 300)):
        factories.accreditation(venue, certificate_no=number, valid_from=today - timedelta(days=400),
                                valid_to=today + timedelta(days=days))
    return venue


def test_the_manager_sees_how_many_days_an_accreditation_has_left_when_it_expires_soon(client, auth):
    venue = _accredited_venue()
    auth.login(factories.user("venue_manager", venue=venue).email)

    rows = _rows(client.get("/manage/venue?lang=en").get_data(as_text=True))

    assert "Expires in 10 days" in _row(rows, "SOON-TEN")
    assert "Expires in 1 day" in _row(rows, "SOON-ONE") and "1 days" not in _row(rows, "SOON-ONE")
    assert "Expires today" in _row(rows, "LAST-DAY")
    assert "Current" in _row(rows, "LATER") and "Expires" not in _row(rows, "LATER")


def test_the_manager_reads_the_expiry_warning_in_chinese(client, auth):
    venue = _accredited_venue()
    auth.login(factories.user("venue_manager", venue=venue).email)

    rows = _rows(client.get("/manage/venue?lang=zh").get_data(as_text=True))

    assert "10天后到期" in _row(rows, "SOON-TEN")
    assert "今天到期" in _row(rows, "LAST-DAY")


def test_the_city_admin_sees_the_expiry_warning_on_the_venue_review_page(client, auth):
    venue = _accredited_venue()
    auth.login(factories.user("city_admin").email)

    rows = _rows(client.get(f"/admin/venues/{venue.id}?lang=en").get_data(as_text=True))

    assert "Expires in 10 days" in _row(rows, "SOON-TEN")
    assert "Expires today" in _row(rows, "LAST-DAY")


def test_the_accreditation_register_counts_days_left_in_good_english(client, auth):
    _accredited_venue()
    auth.login(factories.user("city_admin").email)

    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/admin/accreditations?lang=en")
                                      .get_data(as_text=True)))

    assert "Expires in 1 day " in page and "Expires in 1 days" not in page
    assert "Expires today" in page and "Expires in 0 days" not in page
