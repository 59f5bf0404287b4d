"""Removing an accreditation recorded in error: the city admin may say what was wrong, and the venue's
managers read it in the email that tells them (the accreditation itself is gone)."""
from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.venues.models import Accreditation
from tests import factories


def _removed(email: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email,
                                                               OutboxMessage.kind == "accreditation_removed")))


def _setup(auth):
    venue = factories.venue()
    manager = factories.user(Role.VENUE_MANAGER, venue=venue)
    manager.locale = "en"
    db.session.commit()
    accreditation = factories.accreditation(venue, certificate_no="NJKP-ERR")
    auth.login(factories.user(Role.CITY_ADMIN).email)
    return venue, manager, accreditation


def test_the_edit_page_offers_an_optional_reason(client, auth, app):
    _venue, _manager, accreditation = _setup(auth)
    html = client.get(f"/admin/accreditations/{accreditation.id}/edit?lang=en").get_data(as_text=True)
    assert 'name="withdraw-reason"' in html and "What was wrong (optional)" in html
    assert 'aria-describedby="withdraw-reason-hint"' in html


def test_the_reason_is_told_to_the_managers(client, auth, app):
    venue, manager, accreditation = _setup(auth)
    response = client.post(f"/admin/accreditations/{accreditation.id}/withdraw",
                           data={"withdraw-reason": "  Recorded on the wrong\n venue.  "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/venues/{venue.id}")
    [message] = _removed(manager.email)
    assert "What was wrong: Recorded on the wrong venue." in message.body and "NJKP-ERR" in message.body
    assert db.session.get(Accreditation, accreditation.id) is None


def test_without_a_reason_the_mail_says_none(client, auth, app):
    _venue, manager, accreditation = _setup(auth)
    assert client.post(f"/admin/accreditations/{accreditation.id}/withdraw", data={}).status_code == 302
    [message] = _removed(manager.email)
    assert "What was wrong" not in message.body


def test_a_reason_too_long_is_refused_and_nothing_removed(client, auth, app):
    _venue, manager, accreditation = _setup(auth)
    response = client.post(f"/admin/accreditations/{accreditation.id}/withdraw?lang=en",
                           data={"withdraw-reason": "x" * 501})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'id="withdraw-reason-error"' in html
    assert 'value="NJKP-ERR"' in html  # the correction form is there as it was
    assert db.session.get(Accreditation, accreditation.id) is not None and _removed(manager.email) == []
