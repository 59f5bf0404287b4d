"""A venue holds one certificate of a level on any day (``services._check_one_certificate_at_a_time``):
a second one over the same days would show the title twice on the register and the venue's page. A
renewal starts after the earlier certificate ends."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.core.time import local_today
from app.extensions import db
from app.venues.models import Accreditation
from tests import factories
from tests.test_venues_accreditation_same_number_at_once import _at_once, _checked_together, _city_admin_clients


def _form(number: str, starts, ends, level: str = "city_base") -> dict:
    return {"level": level, "certificate_no": number, "valid_from": starts.isoformat(), "valid_to": ends.isoformat()}


def _numbers(venue) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Accreditation.certificate_no).where(Accreditation.venue_id == venue.id)
                                    .order_by(Accreditation.id)))


def _error(response, field: str) -> str:
    found = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def test_a_second_certificate_of_a_level_over_the_same_days_is_refused_next_to_its_dates(client, auth):
    venue = factories.venue()
    today = local_today()
    auth.login(factories.user("city_admin").email)
    path = f"/admin/venues/{venue.id}/accreditations?lang=en"
    assert client.post(path, data=_form("NJ-2026-001", today, today + timedelta(days=700))).status_code == 302

    again = client.post(path, data=_form("NJ-2026-777", today + timedelta(days=30), today + timedelta(days=900)))

    assert again.status_code == 400
    error = _error(again, "valid_from")
    assert "The venue already holds this title for some of these days: certificate No. NJ-2026-001, from" in error
    assert "A renewal starts after it ends" in error
    assert 'value="NJ-2026-777"' in again.get_data(as_text=True)  # what was typed is kept
    assert _numbers(venue) == ["NJ-2026-001"]
    # Another level is another title: it may run over the same days.
    other = _form("YX-2026-001", today, today + timedelta(days=700), level="study_base")
    assert client.post(path, data=other).status_code == 302
    assert _numbers(venue) == ["NJ-2026-001", "YX-2026-001"]
    assert "一些日期" in _error(client.post(path.replace("lang=en", "lang=zh"), data=_form(
        "NJ-2026-778", today, today + timedelta(days=10))), "valid_from")


def test_a_renewal_starts_the_day_after_the_earlier_certificate_ends(client, auth):
    venue = factories.venue()
    ends = local_today() + timedelta(days=20)
    factories.accreditation(venue, level="city_base", certificate_no="NJ-OLD", valid_to=ends)
    auth.login(factories.user("city_admin").email)
    path = f"/admin/venues/{venue.id}/accreditations?lang=en"

    assert client.post(path, data=_form("NJ-NEW", ends, ends + timedelta(days=1000))).status_code == 400
    assert client.post(path, data=_form("NJ-NEW", ends + timedelta(days=1), ends + timedelta(days=1000))
                       ).status_code == 302
    assert _numbers(venue) == ["NJ-OLD", "NJ-NEW"]


def test_an_earlier_certificate_that_ended_early_is_corrected_and_then_renewed(client, auth):
    venue = factories.venue()
    today = local_today()
    old = factories.accreditation(venue, level="city_base", certificate_no="NJ-OLD",
                                  valid_from=today - timedelta(days=300), valid_to=today + timedelta(days=300))
    later = factories.accreditation(venue, level="city_base", certificate_no="NJ-LATER",
                                    valid_from=today + timedelta(days=301), valid_to=today + timedelta(days=900))
    auth.login(factories.user("city_admin").email)

    # Moving the later certificate's start into the earlier's days is refused, and changes nothing.
    moved = client.post(f"/admin/accreditations/{later.id}/edit?lang=en",
                        data=_form("NJ-LATER", today, today + timedelta(days=900)))
    assert moved.status_code == 400 and "certificate No. NJ-OLD" in _error(moved, "valid_from")
    db.session.expire_all()
    assert db.session.get(Accreditation, later.id).valid_from == today + timedelta(days=301)

    # The earlier one ended early: its end is corrected, and the renewal may then start the next day.
    assert client.post(f"/admin/accreditations/{old.id}/edit?lang=en",
                       data=_form("NJ-OLD", today - timedelta(days=300), today)).status_code == 302
    assert client.post(f"/admin/accreditations/{later.id}/edit?lang=en",
                       data=_form("NJ-LATER", today + timedelta(days=1), today + timedelta(days=900))
                       ).status_code == 302


def test_two_certificates_of_one_level_recorded_at_once_over_the_same_days_keep_one(app, monkeypatch):
    """Each request has passed the checks before either saves: the second to save is refused."""
    today = local_today()
    venue = factories.venue()
    clients = _city_admin_clients(app, 2)
    _checked_together(monkeypatch, 2)
    path = f"/admin/venues/{venue.id}/accreditations?lang=en"

    responses = _at_once([(clients[0], path, _form("NJ-A", today, today + timedelta(days=700))),
                          (clients[1], path, _form("NJ-B", today + timedelta(days=5), today + timedelta(days=9)))])

    assert sorted(r.status_code for r in responses) == [302, 400]
    kept = _numbers(venue)
    assert kept in (["NJ-A"], ["NJ-B"])
    refused = next(r for r in responses if r.status_code == 400)
    assert f"certificate No. {kept[0]}" in _error(refused, "valid_from")
