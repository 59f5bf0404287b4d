"""A venue's managers are told by email of every review decision on their venue, in their language."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from app.venues.models import VenueStatus
from tests import factories
from tests.factories import XUANWU


def _messages(kind: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def _manager(venue, *, locale: str | None = None, name: str = "王经理"):
    person = factories.user("venue_manager", venue=venue, name=name)
    person.locale = locale
    db.session.commit()
    return person


@pytest.fixture
def district_admin(auth):
    admin = factories.user("district_admin", district_code=XUANWU)
    auth.login(admin.email)
    return admin


def test_every_manager_is_told_in_their_language_that_the_venue_is_approved(client, district_admin):
    venue = factories.venue(status=VenueStatus.SUBMITTED, name_zh="紫金山天文科普馆", name_en="Purple Mountain Hall")
    chinese, english = _manager(venue), _manager(venue, locale="en", name="Anna Li")
    assert client.post(f"/admin/venues/{venue.id}/approve").status_code == 302
    messages = {m.user_id: m for m in _messages("venue_approved")}
    assert set(messages) == {chinese.id, english.id}
    assert messages[chinese.id].recipient == chinese.email
    assert "紫金山天文科普馆" in messages[chinese.id].subject and "王经理" in messages[chinese.id].body
    assert "通过" in messages[chinese.id].subject
    assert "Purple Mountain Hall" in messages[english.id].subject and "approved" in messages[english.id].subject
    assert "public directory" in messages[english.id].body and "/manage/venue" in messages[english.id].body


def test_the_manager_is_told_why_the_venue_was_rejected(client, district_admin):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    manager = _manager(venue, locale="en")
    assert client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": "地址不全，请补充门牌号"}).status_code == 302
    [message] = _messages("venue_rejected")
    assert message.user_id == manager.id
    assert "Reason: 地址不全，请补充门牌号" in message.body and "submit" in message.body


def test_the_manager_is_told_why_the_venue_was_suspended_and_when_it_is_reinstated(client, district_admin):
    venue = factories.venue(status=VenueStatus.APPROVED)
    manager = _manager(venue)
    assert client.post(f"/admin/venues/{venue.id}/suspend", data={"suspend-reason": "安全隐患整改"}).status_code == 302
    [suspended] = _messages("venue_suspended")
    assert suspended.user_id == manager.id and "安全隐患整改" in suspended.body
    assert client.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302
    [reinstated] = _messages("venue_reinstated")
    assert reinstated.user_id == manager.id and venue.name_zh in reinstated.subject


def test_a_refused_decision_tells_nobody(client, district_admin):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    _manager(venue)
    assert client.post(f"/admin/venues/{venue.id}/reject", data={"reject-reason": " "}).status_code == 400
    assert client.post(f"/admin/venues/{venue.id}/reinstate").status_code == 302  # not allowed: said on the page
    assert _messages("venue_rejected") == [] and _messages("venue_reinstated") == []


def test_a_suspended_managers_account_is_not_written_to(client, district_admin):
    venue = factories.venue(status=VenueStatus.SUBMITTED)
    active, suspended = _manager(venue), _manager(venue, name="停用经理")
    suspended.is_disabled = True
    db.session.commit()
    assert client.post(f"/admin/venues/{venue.id}/approve").status_code == 302
    assert [m.user_id for m in _messages("venue_approved")] == [active.id]
