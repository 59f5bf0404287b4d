"""What a venue hears of a class when the teacher's account closes (``privacy.services.erase_account``):
a visit it approved and a request it still had to decide each end with one mail that the class is
not coming and there is nothing to decide; a class never waits in the queue, so there is no waiting
class to tell of."""
from __future__ import annotations

from sqlalchemy import select

from app.bookings.models import Booking, BookingStatus
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


def _venue_mails(booking_id: int) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage.kind).where(
        OutboxMessage.booking_id == booking_id, OutboxMessage.kind.like("venue_class_%")).order_by(OutboxMessage.id)))


def test_a_request_not_yet_mailed_to_the_venue_ends_with_the_mail_that_it_is_cancelled(app, client, auth):
    venue = factories.venue()
    factories.user("venue_manager", venue=venue)
    teacher = factories.user("teacher")
    app.config.update(MAIL_SERVER=None, MAIL_LOG_BODY=False)  # the request's mail waits in the outbox
    request = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10), teacher)
    assert request.status == BookingStatus.PENDING and _venue_mails(request.id) == ["venue_class_requested"]
    auth.login(teacher.email)

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302

    # Not "decide on this request" for a request that no longer stands, but that it is cancelled.
    assert _venue_mails(request.id) == ["venue_class_closed"]
    assert db.session.get(Booking, request.id).status == BookingStatus.CANCELLED


def test_a_class_is_never_waitlisted_so_there_is_no_waiting_class_to_tell_of(client):
    slot = factories.slot(audience="school", days_ahead=10, capacity=40)
    factories.booked_visit(slot, factories.user("teacher"), students=38, adults=2)
    headers = {"Authorization": f"Bearer {factories.user_token(factories.user('teacher'))}"}
    response = client.post("/api/v1/bookings", headers=headers, json={
        "slot_id": slot.id, "students": 30, "adults": 2, "grade": 4, "class_name": "四年级3班", "waitlist": True})
    assert (response.status_code, response.get_json()["error"]) == (409, "slot_full")
    assert db.session.scalar(select(Booking.id).where(Booking.status == BookingStatus.WAITLISTED)) is None
