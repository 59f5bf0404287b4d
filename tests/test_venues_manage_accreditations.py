"""A venue's manager sees its accreditations on their venue page: level, certificate number, validity,
and whether each is current, expired or not yet valid."""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.time import local_today
from app.venues.models import AccreditationLevel
from tests import factories


def _rows(page: str) -> list[str]:
    section = page.split('id="accreditation-heading"', 1)[1].split("</section>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", section, re.S)[1:]]


def test_the_manager_sees_current_expired_and_coming_accreditations(client, auth):
    venue = factories.venue(name_en="Titled Hall")
    today = local_today()
    factories.accreditation(venue, level=AccreditationLevel.NATIONAL_BASE, certificate_no="NAT-001",
                            valid_from=today - timedelta(days=10), valid_to=today + timedelta(days=300))
    factories.accreditation(venue, certificate_no="CITY-OLD", valid_from=today - timedelta(days=800),
                            valid_to=today - timedelta(days=1))
    factories.accreditation(venue, certificate_no="CITY-NEXT", valid_from=today + timedelta(days=5),
                            valid_to=today + timedelta(days=900))
    auth.login(factories.user("venue_manager", venue=venue).email)

    rows = _rows(client.get("/manage/venue?lang=en").get_data(as_text=True))

    assert len(rows) == 3
    [national] = [r for r in rows if "NAT-001" in r]
    assert "National" in national and "Current" in national
    assert str((today + timedelta(days=300)).year) in national
    assert "Expired" in next(r for r in rows if "CITY-OLD" in r)
    assert "Not yet valid" in next(r for r in rows if "CITY-NEXT" in r)


def test_a_venue_without_accreditation_says_so_to_its_manager(client, auth):
    venue = factories.venue()
    auth.login(factories.user("venue_manager", venue=venue).email)

    page = client.get("/manage/venue?lang=en").get_data(as_text=True)

    assert "No accreditation recorded." in page.split('id="accreditation-heading"', 1)[1]
