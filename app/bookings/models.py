from __future__ import annotations

import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.core.i18n import in_reader_language
from app.core.text import one_spelling
from app.extensions import db


class BookingKind(LabelledEnum):
    INDIVIDUAL = "individual", _l("Individual visit")
    GROUP = "group", _l("School class visit")


class BookingStatus(LabelledEnum):
    PENDING = "pending", _l("Awaiting approval")
    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("On the waiting list")
    DECLINED = "declined", _l("Declined")
    CANCELLED = "cancelled", _l("Cancelled")
    CHECKED_IN = "checked_in", _l("Checked in")
    NO_SHOW = "no_show", _l("Did not come")


# Statuses in which a booking still occupies its place (one per person per slot).
ACTIVE_STATUSES = ("pending", "confirmed", "waitlisted", "checked_in")
# Statuses whose seats count against the slot's capacity.
SEAT_HOLDING_STATUSES = ("pending", "confirmed", "checked_in")
# A class visit request nobody decided before its slot started lapses: it is stored as ``declined``
# with no decision (``decided_at`` empty; a manager's decline always sets it), and shown so.
NOT_APPROVED_IN_TIME = _l("Not approved in time")
CLASS_NAME_MAX = 40  # "四年级2班", "Grade 4 Class 2": a label, not a roster
REASON_MAX = 500  # a cancellation or decline reason, as the forms and the API take it
CLASS_ADULTS_MAX = 200  # accompanying adults of one class visit


class BookingRules(db.Model):
    """A venue's booking settings. Defaults follow ``booking_rules.md``."""

    __tablename__ = "booking_rules"
    __table_args__ = (
        sa.CheckConstraint("group_min <= group_max", name="group_range"),
        sa.CheckConstraint("partner_reserved_pct BETWEEN 0 AND 100", name="reserve_pct"),
    )

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    public_window_days: Mapped[int] = mapped_column(default=7)
    public_cutoff_hours: Mapped[int] = mapped_column(default=0)
    school_window_days: Mapped[int] = mapped_column(default=30)
    school_cutoff_hours: Mapped[int] = mapped_column(default=72)
    partner_early_days: Mapped[int] = mapped_column(default=7)
    partner_reserved_pct: Mapped[int] = mapped_column(default=30)
    party_limit: Mapped[int] = mapped_column(default=5)
    group_min: Mapped[int] = mapped_column(default=10)
    group_max: Mapped[int] = mapped_column(default=60)
    students_per_adult: Mapped[int] = mapped_column(default=20)
    kindergarten_students_per_adult: Mapped[int] = mapped_column(default=10)
    cancel_cutoff_hours: Mapped[int] = mapped_column(default=24)
    auto_confirm_groups: Mapped[bool] = mapped_column(default=False)
    noshow_limit: Mapped[int] = mapped_column(default=3)
    noshow_window_days: Mapped[int] = mapped_column(default=90)
    noshow_block_days: Mapped[int] = mapped_column(default=30)


class Partnership(CreatedAt, db.Model):
    """A museum–school cooperation agreement (馆校合作协议)."""

    __tablename__ = "partnerships"
    __table_args__ = (
        sa.CheckConstraint("valid_from <= valid_to", name="valid_range"),
        sa.UniqueConstraint("venue_id", "school_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When the venue's managers were warned that the agreement ends (partnerships.warn_of_ending_agreements).
    ending_notice_sent_at: Mapped[datetime | None]

    venue = relationship("Venue")
    school = relationship("School")


def new_reference() -> str:
    # Opaque: says nothing about the person, the venue or the order of bookings.
    return secrets.token_hex(8).upper()


def normal_class_name(text: str | None) -> str:
    """A class as one spelling: full-width digits and letters folded (NFKC: "四年级２班" is
    "四年级2班"), runs of spaces made one, ends trimmed: how a class is kept and shown."""
    return one_spelling(text)


def class_key(text: str | None) -> str:
    """What makes two spellings one class: ``normal_class_name`` case-folded ("Class 4A", "class 4a"
    and "ＣＬＡＳＳ　４Ａ" are one class). The class is shown as typed; this is only compared."""
    return normal_class_name(text).casefold()


class Booking(CreatedAt, db.Model):
    """One person's or one class's place on a slot (预约)."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("seats > 0", name="seats_positive"),
        sa.CheckConstraint(
            "(kind = 'individual' AND party_size IS NOT NULL) OR "
            "(kind = 'group' AND students IS NOT NULL AND adults IS NOT NULL AND school_id IS NOT NULL)",
            name="kind_fields",
        ),
        # One active booking per person per slot, enforced by the database.
        sa.Index(
            "uq_bookings_active_per_user", "slot_id", "user_id", unique=True,
            sqlite_where=sa.text("status IN ('pending','confirmed','waitlisted','checked_in') AND user_id IS NOT NULL"),
            postgresql_where=sa.text(
                "status IN ('pending','confirmed','waitlisted','checked_in') AND user_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_bookings_active_per_class", "slot_id", "school_id", "class_key", unique=True,
            sqlite_where=sa.text("status IN ('pending','confirmed','waitlisted','checked_in') AND kind = 'group'"),
            postgresql_where=sa.text("status IN ('pending','confirmed','waitlisted','checked_in') AND kind = 'group'"),
        ),
        sa.Index("ix_bookings_user_created", "user_id", "created_at"),
        sa.Index("ix_bookings_slot_status", "slot_id", "status"),
        sa.Index("ix_bookings_venue_status", "venue_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(24), unique=True, default=new_reference)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    # Null once anonymised (privacy purge, account deletion): the counts stay.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[BookingKind] = mapped_column(str_enum(BookingKind))
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus))
    party_size: Mapped[int | None]
    children: Mapped[int | None]  # under-14s in an individual party (guardian confirmed)
    students: Mapped[int | None]
    adults: Mapped[int | None]
    grade: Mapped[int | None]
    class_name: Mapped[str | None] = mapped_column(sa.String(CLASS_NAME_MAX))
    # class_key(class_name), kept by ``_keyed``: one booking per class and slot is unique on it.
    # Unbounded, as case folding lengthens ("ß" is "ss").
    class_key: Mapped[str | None] = mapped_column(sa.Text)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="SET NULL"))
    is_partner: Mapped[bool] = mapped_column(default=False)
    seats: Mapped[int]  # what the booking holds against capacity: party, or students + adults
    # A class visit's seats as the venue last confirmed them: a visit sent back for approval with more
    # people is confirmed again when its numbers come back within these.
    approved_seats: Mapped[int | None]
    guardian_confirmed: Mapped[bool] = mapped_column(default=False)
    # Bumped on every change of party or status: older ticket codes stop working.
    ticket_version: Mapped[int] = mapped_column(default=1)
    # The client's key for this submission: a refresh or retry returns the same booking.
    request_key: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="")
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # A closure's or a suspension's reason in English; the Chinese one is ``cancel_reason``.
    cancel_reason_en: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime | None]

    slot = relationship("Slot")
    venue = relationship("Venue")
    user = relationship("User", foreign_keys=[user_id])
    school = relationship("School")
    program = relationship("Program")

    @validates("class_name")
    def _keyed(self, _name: str, class_name: str | None) -> str | None:
        self.class_key = None if class_name is None else class_key(class_name)
        return class_name

    @property
    def is_active(self) -> bool:
        return self.status.value in ACTIVE_STATUSES

    @property
    def cancel_reason_shown(self) -> str:
        """Why the booking was cancelled, in the reader's language where the venue gave both."""
        return in_reader_language(self.cancel_reason, self.cancel_reason_en)

    def lapsed(self, now: datetime) -> bool:
        """A request left undecided when its slot started: lapsed already (``bookings close-day``), or
        due to, and to be treated so until the job runs."""
        if self.status == BookingStatus.DECLINED:
            return self.decided_at is None
        return self.status == BookingStatus.PENDING and self.slot.starts_at <= now

    def status_label(self, now: datetime):
        return NOT_APPROVED_IN_TIME if self.lapsed(now) else self.status.label

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.kind.value} {self.status.value} seats={self.seats}>"


sa.Index(
    "uq_bookings_request_key", Booking.user_id, Booking.request_key, unique=True,
    sqlite_where=Booking.request_key.isnot(None), postgresql_where=Booking.request_key.isnot(None),
)
