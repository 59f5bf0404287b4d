"""Deleting an account also empties the stored copies of the mails about the person's bookings: a venue's
copy of "class withdrawn" held the class's name and the teacher's reason until the 18-month purge. The
mails the deletion itself sends the venue still go out, and so does one the venue has not been sent yet."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import deliver_pending
from tests import factories

CLASS, REASON = "三年级2班", "王老师的母亲住院了"


def _mails_about(booking_id: int, kind: str = "%") -> list[OutboxMessage]:
    """The mails to the venue about a booking (the booker's own go with their account)."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id == booking_id,
                                                               OutboxMessage.kind.like(f"venue_class_{kind}"))
                                   .order_by(OutboxMessage.id)))


def _setting(venue):
    manager = factories.user("venue_manager", venue=venue, name="Anna Li")
    manager.locale = "en"
    db.session.commit()
    teacher = factories.user("teacher", name="王老师", email="wang.teacher@example.com", phone="13812345678")
    return manager, teacher


def _withdraw(client, booking):
    client.post(f"/bookings/{booking.id}/cancel", data={"reason": REASON})


def test_a_sent_mail_to_the_venue_loses_the_class_and_the_reason_when_the_teacher_leaves(client, auth):
    venue = factories.venue()
    manager, teacher = _setting(venue)
    withdrawn = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10), teacher,
                                       class_name=CLASS)
    upcoming = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=12), teacher,
                                      class_name=CLASS)
    auth.login(teacher.email)
    _withdraw(client, withdrawn)
    [told] = _mails_about(withdrawn.id, "withdrawn")
    assert CLASS in told.body and REASON in told.body and told.sent_at is not None  # as the review found it

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302

    [kept] = _mails_about(withdrawn.id, "withdrawn")
    [asked] = _mails_about(withdrawn.id, "requested")
    assert CLASS not in asked.body and "removed when the account" in asked.body
    assert CLASS not in kept.body and REASON not in kept.body and "王老师" not in kept.body
    assert "removed when the account" in kept.body  # in the manager's language
    assert (kept.recipient, kept.sent_at) == (manager.email, told.sent_at)  # the venue's record that it was told
    mails = _mails_about(upcoming.id)
    assert all(CLASS not in m.body for m in mails)
    [closed] = [m for m in mails if m.kind == "venue_class_closed"]
    assert closed.sent_at is not None and "has been closed" in closed.body  # the deletion's own mail went out
    # Nothing is left addressed to the person.
    assert not db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.recipient == teacher.email))


def test_a_mail_to_the_venue_not_yet_sent_still_goes_out_without_the_class_and_the_reason(app, client, auth):
    venue = factories.venue()
    manager, teacher = _setting(venue)
    withdrawn = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10), teacher,
                                       class_name=CLASS)
    auth.login(teacher.email)
    app.config.update(MAIL_SERVER=None, MAIL_LOG_BODY=False)  # no mail server yet: the outbox keeps it
    _withdraw(client, withdrawn)
    [waiting] = _mails_about(withdrawn.id, "withdrawn")
    assert waiting.sent_at is None and CLASS in waiting.body

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302

    [waiting] = _mails_about(withdrawn.id, "withdrawn")
    assert waiting.kind == "venue_class_withdrawn" and waiting.recipient == manager.email
    assert CLASS not in waiting.body and REASON not in waiting.body
    assert "has withdrawn its class visit request" in waiting.body and "30 students, 2 adults" in waiting.body
    app.config.update(MAIL_LOG_BODY=True)
    with app.test_request_context():
        assert deliver_pending().sent == 1
    assert _mails_about(withdrawn.id, "withdrawn")[0].sent_at is not None


def test_mails_about_other_peoples_bookings_keep_their_text(client, auth):
    """Pins what must not change: only the leaving person's bookings are emptied."""
    venue = factories.venue()
    _setting(venue)
    teacher, other = factories.user("teacher"), factories.user("teacher")
    theirs = factories.booked_visit(factories.slot(venue, audience="school", days_ahead=10), other,
                                    class_name="五年级1班")
    auth.login(other.email)
    client.post(f"/bookings/{theirs.id}/cancel", data={"reason": "下雨"})
    auth.logout()
    auth.login(teacher.email)

    assert client.post("/me/delete", data={"password": "password123"}).status_code == 302

    [told] = _mails_about(theirs.id, "withdrawn")
    assert "五年级1班" in told.body and "下雨" in told.body
