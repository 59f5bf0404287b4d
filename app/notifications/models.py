from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import CreatedAt
from app.extensions import db


class OutboxMessage(CreatedAt, db.Model):
    """A message waiting to be (or already) sent. Kept so nothing is lost if SMTP is down."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        # A booking gets one reminder, however often (or concurrently) the reminder job runs.
        sa.Index("uq_outbox_messages_one_reminder", "booking_id", unique=True,
                 sqlite_where=sa.text("kind = 'booking_reminder'"),
                 postgresql_where=sa.text("kind = 'booking_reminder'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the message is about, one of ``MESSAGE_KINDS``: the logs and the delivery job name it so.
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The booking the message is about, if any (the reminder job asks "reminded already?").
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    # One text attachment (a booking's .ics), sent as a MIME part.
    attachment_name: Mapped[str | None] = mapped_column(sa.String(120))
    attachment_type: Mapped[str | None] = mapped_column(sa.String(80))
    attachment: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    # Set by the worker that is sending it, so two workers never send the same message.
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    # After a failed attempt, not before this: a mail server that is down for a while is given
    # time to come back before the message is given up (``services.RETRY_DELAYS``).
    next_attempt_at: Mapped[datetime | None]
    # When delivery stopped trying: after the last of ``MAX_ATTEMPTS``, or at once when the mail server
    # refused it for good (a 5xx reply). The city admin may send it again or dismiss it.
    given_up_at: Mapped[datetime | None]
    # The city admin has dealt with it another way: it is not sent and no longer counts as stuck.
    dismissed_at: Mapped[datetime | None]


# Each kind of message, named for the people reading the undelivered-mail page. A kind is written
# where the message is queued (``queue_message(kind=…)``); give a new one its name here.
MESSAGE_KINDS = {
    "booking_confirmed": _l("Booking confirmed"),
    "booking_requested": _l("Class visit request received"),
    "booking_approved": _l("Class visit approved"),
    "booking_declined": _l("Class visit request declined"),
    "booking_lapsed": _l("Class visit request not approved in time"),
    "booking_cancelled": _l("Booking cancelled"),
    "booking_changed": _l("Booking changed"),
    "booking_waitlisted": _l("On the waiting list"),
    "booking_promoted": _l("Booked from the waiting list"),
    "booking_closure": _l("Visit cancelled by the venue"),
    "booking_reminder": _l("Visit reminder"),
    "venue_class_requested": _l("To the venue: class visit request to decide"),
    "venue_class_reapproval": _l("To the venue: class visit changed, to approve again"),
    "venue_class_withdrawn": _l("To the venue: class visit request withdrawn"),
    "venue_class_cancelled": _l("To the venue: class visit cancelled"),
    "venue_class_changed": _l("To the venue: class visit request changed"),
    "venue_class_resized": _l("To the venue: class visit numbers changed"),
    "venue_class_closed": _l("To the venue: class visit cancelled (teacher's account closed)"),
    "partnership_ending": _l("To the venue: cooperation agreement ending"),
    "venue_submitted": _l("To the district: venue to review"),
    "venue_approved": _l("Venue approved"),
    "venue_rejected": _l("Venue registration not approved"),
    "venue_suspended": _l("Venue suspended"),
    "venue_reinstated": _l("Venue reinstated"),
    "accreditation_recorded": _l("Accreditation recorded"),
    "accreditation_corrected": _l("Accreditation corrected"),
    "accreditation_removed": _l("Accreditation removed"),
    "annual_report_returned": _l("Annual report returned"),
    "annual_report_reminder": _l("Annual report reminder"),
    "evaluation_published": _l("Yearly performance review published"),
    "evaluation_corrected": _l("Yearly performance review corrected"),
    "evaluation_withdrawn": _l("Yearly performance review corrected: venue no longer in it"),
    "teacher_registered": _l("To the district: teacher to verify"),
    "teacher_moved": _l("To the district: teacher moved here, to verify"),
    "teacher_left": _l("To the district: teacher moved away"),
    "teacher_verified": _l("Teacher verified"),
    "teacher_rejected": _l("Teacher registration rejected"),
    "teacher_move_refused": _l("Teacher's move not confirmed"),
    "email_changed": _l("Email address changed"),
    "password_reset": _l("Password reset link"),
    "staff_invitation": _l("Invitation to a venue's staff"),
    "staff_not_added": _l("Could not be added to a venue's staff"),
    "staff_removed": _l("Removed from a venue's staff"),
    "manager_invitation": _l("Invitation to manage a venue"),
    "manager_added": _l("Made a venue's manager"),
    "district_admin_invitation": _l("Invitation as a district administrator"),
    "invitation_withdrawn": _l("Invitation withdrawn"),
    "account_suspended": _l("Account suspended"),
    "account_reinstated": _l("Account reinstated"),
    "account_closed": _l("Account closed"),
}


def kind_label(kind: str) -> str:
    """The kind's name in the interface language; one without a name, as it is stored."""
    label = MESSAGE_KINDS.get(kind)
    return str(label) if label is not None else kind
