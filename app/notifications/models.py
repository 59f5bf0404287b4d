from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
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
