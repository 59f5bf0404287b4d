"""Rollups of attendance (from check-ins) and of supply (from published slots and bookings),
plus the few things statistics store that are not figures: report submissions (and their returns),
the evaluation's weights, and each published version of a year's evaluation (frozen as published).

Rollups hold sums only: any figure they give can be recomputed from the raw rows
(``flask stats rebuild``) with the same result.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.time import utcnow
from app.extensions import db

# The attendance columns of ``venue_daily_stats``, in the order open data publishes them.
ATTENDANCE_COLUMNS = (
    "visits", "individual_visits", "school_groups", "school_students", "school_adults",
    "walk_ins", "walk_in_youth", "walk_in_adults", "walk_in_seniors", "free_visits", "event_visits",
)
# School groups and their students by grade band: kindergarten, 1–3, 4–6, 7–9, 10–12.
GRADE_BANDS = (("k", 0, 0), ("g1_3", 1, 3), ("g4_6", 4, 6), ("g7_9", 7, 9), ("g10_12", 10, 12))
BAND_COLUMNS = tuple(f"{kind}_{band}" for band, _, _ in GRADE_BANDS for kind in ("groups", "students"))
SUPPLY_COLUMNS = ("slots", "free_slots", "capacity", "free_open_minutes", "open_day",
                  "bookings_confirmed", "bookings_checked_in", "bookings_no_show")


def _count() -> Mapped[int]:
    return mapped_column(sa.Integer, default=0, server_default="0", nullable=False)


class AttendanceCounts:
    """The attendance columns (``ATTENDANCE_COLUMNS`` and ``BAND_COLUMNS``): a monthly row is the sum
    of its month's daily rows, so both tables hold exactly these."""

    visits: Mapped[int] = _count()  # persons admitted, every kind
    individual_visits: Mapped[int] = _count()  # persons on individual tickets
    school_groups: Mapped[int] = _count()  # class visits admitted
    school_students: Mapped[int] = _count()
    school_adults: Mapped[int] = _count()  # accompanying adults of classes
    walk_ins: Mapped[int] = _count()  # persons who came without a booking
    walk_in_youth: Mapped[int] = _count()
    walk_in_adults: Mapped[int] = _count()
    walk_in_seniors: Mapped[int] = _count()
    free_visits: Mapped[int] = _count()  # on free-admission slots, or walk-ins at a free venue
    event_visits: Mapped[int] = _count()  # on bookings of themed-day programs
    groups_k: Mapped[int] = _count()
    students_k: Mapped[int] = _count()
    groups_g1_3: Mapped[int] = _count()
    students_g1_3: Mapped[int] = _count()
    groups_g4_6: Mapped[int] = _count()
    students_g4_6: Mapped[int] = _count()
    groups_g7_9: Mapped[int] = _count()
    students_g7_9: Mapped[int] = _count()
    groups_g10_12: Mapped[int] = _count()
    students_g10_12: Mapped[int] = _count()


class VenueDailyStats(AttendanceCounts, db.Model):
    """Admitted persons at one venue on one local day, split by kind, kept up to date in the
    check-in's own transaction (``app.stats.rollups.count_admission``)."""

    __tablename__ = "venue_daily_stats"
    __table_args__ = (sa.Index("ix_venue_daily_stats_day", "day"),
                      sa.Index("ix_venue_daily_stats_updated_at", "updated_at"))

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=1)  # after the counts, as in the migration


class VenueMonthlyStats(AttendanceCounts, db.Model):
    """``venue_daily_stats`` summed per calendar month (``month`` is its first day), for months that were
    over at the last rebuild or refresh: what the dashboard reads for whole months of a period."""

    __tablename__ = "venue_monthly_stats"
    __table_args__ = (sa.Index("ix_venue_monthly_stats_month", "month"),)

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)


class SchoolDailyVisits(db.Model):
    """Class visits of one school at one venue on one day (distinct and partner schools, equity)."""

    __tablename__ = "school_daily_visits"
    __table_args__ = (sa.Index("ix_school_daily_visits_day", "day"),
                      sa.Index("ix_school_daily_visits_venue_day", "venue_id", "day"))

    school_id: Mapped[int] = mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    groups: Mapped[int] = _count()
    partner_groups: Mapped[int] = _count()  # booked under a 馆校合作 agreement
    students: Mapped[int] = _count()
    adults: Mapped[int] = _count()


class SupplyCounts:
    """The supply columns (``SUPPLY_COLUMNS``), the same in the daily and the monthly table."""

    slots: Mapped[int] = _count()  # open (not cancelled) slots
    free_slots: Mapped[int] = _count()  # of them with free admission
    capacity: Mapped[int] = _count()  # places offered on open slots
    free_open_minutes: Mapped[int] = _count()  # the union of free slots' times, in minutes
    open_day: Mapped[int] = _count()  # a day: 1 when at least one free slot was published; a month: its open days
    bookings_confirmed: Mapped[int] = _count()  # still confirmed after the slot ended
    bookings_checked_in: Mapped[int] = _count()
    bookings_no_show: Mapped[int] = _count()


class VenueDailySupply(SupplyCounts, db.Model):
    """What a venue offered on a settled day and what became of its bookings, from published slots
    and bookings. Written by ``stats rebuild`` / ``stats refresh``; days after the last refresh are
    computed live from the same query (``app.stats.supply``)."""

    __tablename__ = "venue_daily_supply"
    __table_args__ = (sa.Index("ix_venue_daily_supply_day", "day"),)

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)


class VenueMonthlySupply(SupplyCounts, db.Model):
    """``venue_daily_supply`` summed per calendar month, for months that were over at the last refresh."""

    __tablename__ = "venue_monthly_supply"
    __table_args__ = (sa.Index("ix_venue_monthly_supply_month", "month"),)

    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)


class StatsRefresh(db.Model):
    """One run of ``stats rebuild`` or ``stats refresh``: supply is settled through ``through_day``."""

    __tablename__ = "stats_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # rebuild | refresh
    through_day: Mapped[date]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    rows: Mapped[int] = mapped_column(default=0)


class ReportSubmission(db.Model):
    """A venue's annual report (年度报告) for a year: the manager's own text, the act of submitting,
    and the figures as they were when it was filed. Until it is filed the figures are computed from
    data whenever the report is shown; once filed it shows the figures it was filed with."""

    __tablename__ = "annual_report_submissions"
    __table_args__ = (sa.UniqueConstraint("venue_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # ``app.stats.reports.filed_snapshot`` of the report at its latest filing; None while not filed,
    # and for reports filed before the figures were kept (their page says so).
    filed_figures: Mapped[dict | None] = mapped_column(sa.JSON)

    venue = relationship("Venue")
    submitted_by = relationship("User")
    returns = relationship("ReportReturn", back_populates="report", cascade="all, delete-orphan",
                           passive_deletes=True, order_by="(ReportReturn.returned_at.desc(), ReportReturn.id.desc())")


class ReportReturn(db.Model):
    """The city admin handing a filed annual report back to its venue, and why: kept, not overwritten,
    so the report page can say why it came back and, once filed again, what was asked before."""

    __tablename__ = "annual_report_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("annual_report_submissions.id", ondelete="CASCADE"),
                                           index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    returned_at: Mapped[datetime] = mapped_column(default=utcnow)
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime]  # when the filing that came back had been submitted

    report = relationship("ReportSubmission", back_populates="returns")
    returned_by = relationship("User")


class EvaluationWeight(db.Model):
    """The city admin's weight for one evaluation indicator (绩效考评) in one year. A year without rows
    is scored with the most recent earlier year's, else the defaults (``app.stats.evaluation``).

    ``kept`` rows were nobody's setting: a year that was over kept the weights it had been scored with
    when an earlier year's changed; ``kept_from_year`` names the year that set them (None: the defaults),
    and ``updated_at`` is when that year set them (for the defaults, when they were kept)."""

    __tablename__ = "evaluation_weights"
    __table_args__ = (sa.CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),)

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    indicator: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kept: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    kept_from_year: Mapped[int | None]


class EvaluationPublication(db.Model):
    """A year's evaluation as the city admin published it (the yearly performance review): version 1, then
    each correction. Every version is kept with the weights and results it published, so later changes to
    the statistics never alter what was published; the latest version is the one shown
    (``app.stats.publication``)."""

    __tablename__ = "evaluation_publications"
    __table_args__ = (sa.UniqueConstraint("year", "version"),
                      sa.CheckConstraint("version >= 1", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    version: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    published_by = relationship("User")
    weights = relationship("PublishedWeight", cascade="all, delete-orphan", passive_deletes=True,
                           order_by="PublishedWeight.indicator")
    results = relationship("PublishedResult", back_populates="publication", cascade="all, delete-orphan",
                           passive_deletes=True, order_by="(PublishedResult.rank, PublishedResult.venue_id)")


class PublishedWeight(db.Model):
    """The weight one indicator had in a published version."""

    __tablename__ = "evaluation_published_weights"
    __table_args__ = (sa.CheckConstraint("weight >= 0 AND weight <= 100", name="weight_range"),)

    publication_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_publications.id", ondelete="CASCADE"), primary_key=True)
    indicator: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1))


class PublishedResult(db.Model):
    """A venue's result in a published version: its score, its rank among the city's venues (tied scores
    share one), the district its year counted for then and the names it was published under (a venue
    renamed since is still shown in that version as it was published)."""

    __tablename__ = "evaluation_published_results"
    __table_args__ = (sa.UniqueConstraint("publication_id", "venue_id"),
                      sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
                      sa.CheckConstraint("rank >= 1", name="rank_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation_publications.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id"), index=True)
    district_code: Mapped[str | None] = mapped_column(sa.ForeignKey("districts.code"))
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    score: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1))
    rank: Mapped[int]

    publication = relationship("EvaluationPublication", back_populates="results")
    venue = relationship("Venue")
    district = relationship("District")
    points = relationship("PublishedPoints", cascade="all, delete-orphan", passive_deletes=True,
                          order_by="PublishedPoints.indicator")


class PublishedPoints(db.Model):
    """A venue's figure for one indicator in a published version, and the points it gave."""

    __tablename__ = "evaluation_published_points"
    __table_args__ = (sa.CheckConstraint("points >= 0 AND points <= 100", name="points_range"),)

    result_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation_published_results.id", ondelete="CASCADE"), primary_key=True)
    indicator: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[int]
    points: Mapped[int]
