"""The venue's managers are told, by email in their language, when the city admin records, corrects or
removes their venue's accreditation (认定): what was decided, with the level, number and dates."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import Role
from app.core.time import local_today
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.venues.models import Accreditation, Venue, VenueStatus, VenueStatusChange
from tests import factories
from tests.factories import GULOU


def _manager(venue, locale: str):
    person = factories.user(Role.VENUE_MANAGER, venue=venue)
    person.locale = locale
    db.session.commit()
    return person


def _messages(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)
                                   .order_by(OutboxMessage.id)))


def _form(**kw) -> dict:
    today = local_today()
    data = {"level": "city_base", "certificate_no": "NJKP-2026-042", "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=3 * 365)).isoformat()}
    data.update(kw)
    return data


def test_recording_an_accreditation_tells_the_venue_managers(client, auth, app):
    venue = factories.venue(name_en="Accredited Hall")
    manager = _manager(venue, "en")
    chinese = _manager(venue, "zh")
    staff = factories.user(Role.VENUE_STAFF, venue=venue)
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/venues/{venue.id}/accreditations", data=_form()).status_code == 302
    [message] = _messages(manager.email)
    assert message.kind == "accreditation_recorded"
    assert "Accredited Hall" in message.subject
    assert "City science education base" in message.body and "NJKP-2026-042" in message.body
    assert "/manage/venue" in message.body or f"/venues/{venue.id}" in message.body
    [in_chinese] = _messages(chinese.email)
    assert "NJKP-2026-042" in in_chinese.body
    assert _messages(staff.email) == []  # the managers keep the venue's record; the gate staff do not


def test_a_refused_accreditation_sends_nothing(client, auth, app):
    venue = factories.venue()
    manager = _manager(venue, "en")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    response = client.post(f"/admin/venues/{venue.id}/accreditations",
                           data=_form(valid_from="2026-05-01", valid_to="2026-04-30"))
    assert response.status_code == 400
    assert _messages(manager.email) == []


def test_a_correction_and_a_removal_are_told_too(client, auth, app):
    venue = factories.venue()
    manager = _manager(venue, "en")
    accreditation = factories.accreditation(venue, level="city_base", certificate_no="NJKP-1")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    response = client.post(f"/admin/accreditations/{accreditation.id}/edit",
                           data=_form(level="provincial_base", certificate_no="JSKP-9"))
    assert response.status_code == 302
    response = client.post(f"/admin/accreditations/{accreditation.id}/withdraw", data={})
    assert response.status_code == 302
    corrected, removed = _messages(manager.email)
    assert corrected.kind == "accreditation_corrected" and "JSKP-9" in corrected.body
    assert "Provincial science education base" in corrected.body
    assert removed.kind == "accreditation_removed" and "JSKP-9" in removed.body


def test_the_mail_of_an_accredited_venue_on_the_register_points_to_its_public_page(client, auth, app):
    venue = factories.venue()
    manager = _manager(venue, "en")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/venues/{venue.id}/accreditations", data=_form()).status_code == 302
    [message] = _messages(manager.email)
    assert "The accreditation is shown on the venue's public page:" in message.body


def test_the_mail_of_a_suspended_venue_does_not_say_its_public_page_shows_the_accreditation(client, auth, app):
    venue = factories.venue()
    manager = _manager(venue, "en")
    auth.login(factories.user(Role.DISTRICT_ADMIN, district_code=venue.district_code).email)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": "消防整改"}).status_code == 302
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.get(f"/venues/{venue.id}").status_code == 200  # the admin sees it; the public does not
    assert client.post(f"/admin/venues/{venue.id}/accreditations", data=_form()).status_code == 302
    accreditation = db.session.scalar(select(Accreditation).where(Accreditation.venue_id == venue.id))
    assert client.post(f"/admin/accreditations/{accreditation.id}/edit",
                       data=_form(certificate_no="NJKP-2026-043")).status_code == 302
    recorded, corrected = [m for m in _messages(manager.email) if m.kind.startswith("accreditation_")]
    for message in (recorded, corrected):
        assert "public page:" not in message.body
        assert "is suspended, so its public page is not shown for now" in message.body
        assert "once the suspension is lifted" in message.body and f"/venues/{venue.id}" in message.body


def test_the_mail_of_a_venue_back_in_review_says_the_accreditation_shows_once_it_is_approved(client, auth, app):
    venue = factories.venue()
    venue.status_changes = [VenueStatusChange(from_status=VenueStatus.SUBMITTED, to_status=VenueStatus.APPROVED)]
    manager = _manager(venue, "en")
    auth.login(manager.email)
    data = factories.venue_form_data(name_zh=venue.name_zh, district_code=GULOU, confirm_move=GULOU)
    assert client.post("/manage/venue", data=data).status_code == 302
    assert db.session.get(Venue, venue.id).status == VenueStatus.SUBMITTED
    auth.logout()
    auth.login(factories.user(Role.CITY_ADMIN).email)
    assert client.post(f"/admin/venues/{venue.id}/accreditations", data=_form()).status_code == 302
    [message] = [m for m in _messages(manager.email) if m.kind == "accreditation_recorded"]
    assert "public page:" not in message.body
    assert "once the registration is approved" in message.body
