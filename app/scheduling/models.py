from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.extensions import db
from app.venues.models import Admission


class Audience(LabelledEnum):
    PUBLIC = "public", _l("Individual visitors")
    SCHOOL = "school", _l("School groups")
    MIXED = "mixed", _l("Individuals and groups")


class ProgramKind(LabelledEnum):
    GUIDED_TOUR = "guided_tour", _l("Guided tour")
    SELF_GUIDED = "self_guided", _l("Self-guided visit")
    LAB_SESSION = "lab_session", _l("Lab session")
    THEMED_ACTIVITY = "themed_activity", _l("Themed activity")
    LECTURE = "lecture", _l("Lecture")


class SlotStatus(LabelledEnum):
    OPEN = "open", _l("Open")
    CANCELLED = "cancelled", _l("Cancelled")


class Program(CreatedAt, db.Model):
    """What a visit offers. A themed event is a program tied to a themed day."""

    __tablename__ = "programs"
    __table_args__ = (sa.CheckConstraint("grade_min <= grade_max", name="grade_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProgramKind] = mapped_column(str_enum(ProgramKind))
    title_zh: Mapped[str] = mapped_column(sa.String(120))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    description_zh: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    grade_min: Mapped[int] = mapped_column(default=0)
    grade_max: Mapped[int] = mapped_column(default=12)
    curriculum_link: Mapped[str] = mapped_column(sa.String(300), default="")
    language: Mapped[str] = mapped_column(sa.String(8), default="zh")
    themed_day_key: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    venue = relationship("Venue")


class Schedule(CreatedAt, db.Model):
    """A weekly pattern over a date range; publishing it generates slots, withdrawing it cancels them."""

    __tablename__ = "schedules"
    __table_args__ = (
        sa.CheckConstraint("starts_on <= ends_on", name="date_range"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="SET NULL"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    weekdays: Mapped[str] = mapped_column(sa.String(16))  # ISO weekdays, "3,4,5,6,7"
    sessions: Mapped[str] = mapped_column(sa.String(200))  # "09:00-12:00,13:30-16:30"
    capacity: Mapped[int]
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    admission: Mapped[Admission] = mapped_column(str_enum(Admission, name="schedule_admission"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Withdrawn by its manager from this day on: its slots from then were cancelled (``withdraw_schedule``).
    withdrawn_from: Mapped[date | None]
    withdrawal_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    venue = relationship("Venue")


class Closure(CreatedAt, db.Model):
    """Days a venue is shut (holiday, maintenance): slots inside are cancelled."""

    __tablename__ = "closures"
    __table_args__ = (sa.CheckConstraint("starts_on <= ends_on", name="date_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason_zh: Mapped[str] = mapped_column(sa.String(300))
    reason_en: Mapped[str] = mapped_column(sa.String(400), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    venue = relationship("Venue")


class Slot(CreatedAt, db.Model):
    """A bookable time at a venue (场次).

    ``taken`` counts the seats held by pending and confirmed bookings; ``partner_taken`` the
    part of them held by partner schools. Both change only through ``app.bookings.capacity``,
    by conditional UPDATEs, so the CHECK below holds under any concurrency.
    """

    __tablename__ = "slots"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="time_order"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="within_capacity"),
        sa.CheckConstraint("partner_taken >= 0 AND partner_taken <= taken", name="partner_within_taken"),
        sa.CheckConstraint("reserved_seats >= 0 AND reserved_seats <= capacity", name="reserve_within_capacity"),
        sa.Index("ix_slots_venue_date", "venue_id", "local_date"),
        # A day's slots across venues: the directory's "open on" filter, a day's supply.
        sa.Index("ix_slots_local_date", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="SET NULL"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schedules.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime]  # UTC
    ends_at: Mapped[datetime]  # UTC
    local_date: Mapped[date]  # the day in Asia/Shanghai, for calendars and statistics
    audience: Mapped[Audience] = mapped_column(str_enum(Audience))
    admission: Mapped[Admission] = mapped_column(str_enum(Admission, name="slot_admission"))
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)
    partner_taken: Mapped[int] = mapped_column(default=0)
    # Seats only partner schools may take until ``reserve_until`` (馆校合作 priority).
    reserved_seats: Mapped[int] = mapped_column(default=0)
    reserve_until: Mapped[datetime | None]
    # Booking window, relative to the start: opens N days before, closes N hours before.
    window_opens_days: Mapped[int] = mapped_column(default=7)
    window_closes_hours: Mapped[int] = mapped_column(default=0)
    status: Mapped[SlotStatus] = mapped_column(str_enum(SlotStatus), default=SlotStatus.OPEN)
    note_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    note_en: Mapped[str] = mapped_column(sa.String(400), default="")

    venue = relationship("Venue")
    program = relationship("Program")

    @property
    def available(self) -> int:
        return max(0, self.capacity - self.taken)

    def __repr__(self) -> str:
        return f"<Slot {self.id} {self.starts_at} {self.taken}/{self.capacity}>"
