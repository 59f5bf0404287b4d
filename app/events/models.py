from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.extensions import db


class ThemedDayRule(LabelledEnum):
    FIXED = "fixed", _l("Same dates every year")
    YEARLY_TABLE = "yearly_table", _l("Dates set each year")


class ThemedDay(CreatedAt, db.Model):
    """A themed science day or week (主题日). ``Program.themed_day_key`` names it by ``key``.

    A fixed rule ("03-22..03-28") gives its dates for any year; a day whose dates move is
    known only for the years in ``dates``, or from the year a law fixed them on (``standing``). A row in
    ``dates`` also overrides a fixed or standing rule. ``rule_zh`` words the rule in Chinese, ``note_zh``
    the note.
    """

    __tablename__ = "themed_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    rule_kind: Mapped[ThemedDayRule] = mapped_column(str_enum(ThemedDayRule))
    # The rule as the reference file writes it: in English words, or the dates of a fixed rule.
    rule: Mapped[str] = mapped_column(sa.String(300), default="")
    rule_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    rule_en: Mapped[str] = synonym("rule")  # so that ``localized(day, "rule")`` reads it like a name
    note: Mapped[str] = mapped_column(sa.Text, default="")  # in English, as the reference file writes it
    note_zh: Mapped[str] = mapped_column(sa.Text, default="")
    note_en: Mapped[str] = synonym("note")
    # The dates a law fixes from a year on, "YYYY:MM-DD..MM-DD": since the revised Science Popularization
    # Law (2024-12-25), all of September is 全国科普月, "2025:09-01..09-30". Empty for most days.
    standing: Mapped[str] = mapped_column(sa.String(40), default="")

    dates: Mapped[list["ThemedDayDates"]] = relationship(
        back_populates="themed_day", cascade="all, delete-orphan", order_by="ThemedDayDates.year")

    def __repr__(self) -> str:
        return f"<ThemedDay {self.key}>"


class ThemedDayDates(db.Model):
    """The dates of a themed day in one year (announced, or corrected by the city admin)."""

    __tablename__ = "themed_day_dates"
    __table_args__ = (
        sa.UniqueConstraint("themed_day_id", "year"),
        sa.CheckConstraint("starts_on <= ends_on", name="date_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    themed_day_id: Mapped[int] = mapped_column(sa.ForeignKey("themed_days.id", ondelete="CASCADE"))
    year: Mapped[int]
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    themed_day: Mapped[ThemedDay] = relationship(back_populates="dates")
