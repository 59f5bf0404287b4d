from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.extensions import db


class CheckInResult(LabelledEnum):
    """The answer to one scan: exactly the result vocabulary of PRODUCT.md."""

    OK = "ok", _l("Admitted")
    ALREADY_CHECKED_IN = "already_checked_in", _l("Already checked in")
    INVALID_CODE = "invalid_code", _l("Not a valid ticket")
    UNKNOWN_BOOKING = "unknown_booking", _l("No such booking")
    WRONG_VENUE = "wrong_venue", _l("Ticket for another venue")
    WRONG_DATE = "wrong_date", _l("Ticket for another day")
    TOO_EARLY = "too_early", _l("Too early")
    TOO_LATE = "too_late", _l("Too late")
    CANCELLED = "cancelled", _l("Booking cancelled")
    NOT_CONFIRMED = "not_confirmed", _l("Booking not confirmed")
    REVOKED_KEY = "revoked_key", _l("Ticket key withdrawn")


class CheckInKind(LabelledEnum):
    TICKET = "ticket", _l("Ticket")
    WALK_IN = "walk_in", _l("Walk-in")


class AudienceGroup(LabelledEnum):
    YOUTH = "youth", _l("Children and young people")
    ADULT = "adult", _l("Adults")
    SENIOR = "senior", _l("Seniors (60 and over)")


class TicketKey(db.Model):
    """The public half and the lifecycle of one ticket signing key, shared by every app machine.

    The private half never enters the database: it lives in ``TICKET_KEY_DIR`` files or the
    ``TICKET_SIGNING_KEYS`` environment variable (see ``app.checkin.keys``).
    """

    __tablename__ = "ticket_keys"
    __table_args__ = (
        # At most one key signs new tickets at a time, whichever machine rotated it.
        sa.Index("uq_ticket_keys_one_active", "is_active", unique=True,
                 sqlite_where=sa.text("is_active"), postgresql_where=sa.text("is_active")),
    )

    kid: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(sa.String(16), default="Ed25519")
    public_key: Mapped[str] = mapped_column(sa.String(64))  # raw 32 bytes, base64url without padding
    created_at: Mapped[datetime]
    is_active: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]  # stopped signing new tickets
    not_after: Mapped[datetime | None]  # codes it signed are accepted until then (their last slot's end)
    revoked_at: Mapped[datetime | None]


class CheckIn(CreatedAt, db.Model):
    """One attempt at the gate, admitted or refused (the audit log), or one walk-in visit.

    Admitted rows (``result = 'ok'``) are the visits that statistics count: ``persons`` people on
    ``local_date`` at ``venue_id`` (for groups, ``students`` + ``adults``).
    """

    __tablename__ = "checkins"
    __table_args__ = (
        # A ticket admits once, whichever gate is first.
        sa.Index("uq_checkins_one_admission", "booking_id", unique=True,
                 sqlite_where=sa.text("result = 'ok' AND booking_id IS NOT NULL"),
                 postgresql_where=sa.text("result = 'ok' AND booking_id IS NOT NULL")),
        # A retried scan (same device or person, same nonce) is the same attempt.
        sa.UniqueConstraint("actor_key", "nonce"),
        # A phone counts once a day at a venue's walk-in poster.
        sa.UniqueConstraint("venue_id", "local_date", "device_hash"),
        sa.Index("ix_checkins_venue_date_result", "venue_id", "local_date", "result"),
        sa.CheckConstraint("persons >= 0", name="persons_not_negative"),
        sa.CheckConstraint("result = 'ok' OR persons = 0", name="refusals_count_nobody"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CheckInKind] = mapped_column(str_enum(CheckInKind), default=CheckInKind.TICKET)
    result: Mapped[CheckInResult] = mapped_column(str_enum(CheckInResult))
    reason: Mapped[str] = mapped_column(sa.String(32), default="")  # finer machine detail, e.g. bad_signature
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    local_date: Mapped[date]  # the visit's day (the slot's), or the scan's day when there is no booking
    persons: Mapped[int] = mapped_column(default=0)
    students: Mapped[int | None]
    adults: Mapped[int | None]
    audience_group: Mapped[AudienceGroup | None] = mapped_column(str_enum(AudienceGroup))
    gate: Mapped[str] = mapped_column(sa.String(40), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor_key: Mapped[str | None] = mapped_column(sa.String(24))  # "u<user id>" or "d<gate token id>"
    nonce: Mapped[str | None] = mapped_column(sa.String(64))
    kid: Mapped[str | None] = mapped_column(sa.String(16))
    reference: Mapped[str | None] = mapped_column(sa.String(24))
    device_hash: Mapped[str | None] = mapped_column(sa.String(64))
    scanned_at: Mapped[datetime]  # when the gate saw the code (earlier than created_at for offline uploads)
    # An admission's: people of the booker's walk-in that day it took over (a retry is told again).
    replaced_walk_in: Mapped[int] = mapped_column(default=0, server_default="0")

    booking = relationship("Booking")
    user = relationship("User")

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} {self.result.value} booking={self.booking_id} persons={self.persons}>"
