"""The booking confirmation says how many of the party are children under 14, and that the booker confirmed
coming with them as their guardian, in the booker's language: a grandparent booking for grandchildren reads
back what the gate will see."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.bookings.models import Booking
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _book(client, slot_id: int, **data) -> Booking:
    page = client.get(f"/slots/{slot_id}/book?mode=standard").get_data(as_text=True)
    key = re.search(r'name="request_key" type="hidden" value="([0-9a-f]+)"', page).group(1)
    response = client.post(f"/slots/{slot_id}/book", data={"request_key": key, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalar(select(Booking).where(Booking.slot_id == slot_id))


def _confirmation(booking: Booking) -> str:
    return db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.kind == "booking_confirmed",
                                                              OutboxMessage.booking_id == booking.id))


def _citizen(locale=None):
    person = factories.user("citizen")
    person.locale = locale
    db.session.commit()
    return person


def test_the_confirmation_counts_the_children_in_chinese(client, auth):
    auth.login(_citizen().email)
    booking = _book(client, factories.slot().id, party_size=3, children=2, guardian_confirmed="y")

    body = _confirmation(booking)

    assert "参观人员：3 人" in body
    assert "其中不满14周岁儿童：2" in body
    assert "您已确认是孩子的家长或监护人，并会陪同他们前来。" in body


def test_the_confirmation_counts_the_children_in_english(client, auth):
    auth.login(_citizen(locale="en").email)
    booking = _book(client, factories.slot().id, party_size=3, children=1, guardian_confirmed="y")

    body = _confirmation(booking)

    assert "Party: 3 people" in body
    assert "Of them, children under 14: 1" in body
    assert "You confirmed that you are the children's parent or guardian and will come with them." in body


def test_a_party_without_children_is_not_told_of_children(client, auth):
    auth.login(_citizen(locale="en").email)
    booking = _book(client, factories.slot().id, party_size=2, children=0)

    body = _confirmation(booking)

    assert "Party: 2 people" in body
    assert "children" not in body.lower()
