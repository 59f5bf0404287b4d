from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.core.i18n import in_reader_language
from app.core.time import utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.bookings.models import BookingRules


class VenueType(LabelledEnum):
    COMPREHENSIVE_MUSEUM = "comprehensive_museum", _l("Comprehensive science museum")
    SPECIALISED_MUSEUM = "specialised_museum", _l("Specialised science museum")
    UNIVERSITY_MUSEUM = "university_museum", _l("University museum")
    INSTITUTE_FACILITY = "institute_facility", _l("Research institute facility")
    ENTERPRISE_HALL = "enterprise_hall", _l("Enterprise science hall")
    COMMUNITY_HALL = "community_hall", _l("Community science hall")
    OUTDOOR_SITE = "outdoor_site", _l("Outdoor science site")
    GALLERY = "gallery", _l("Science gallery")


class OperatorKind(LabelledEnum):
    GOVERNMENT = "government", _l("Government")
    UNIVERSITY = "university", _l("University")
    RESEARCH_INSTITUTE = "research_institute", _l("Research institute")
    ENTERPRISE = "enterprise", _l("Enterprise")
    SOCIAL_ORG = "social_org", _l("Social organisation")


class Admission(LabelledEnum):
    FREE = "free", _l("Free admission")
    DISCOUNTED = "discounted", _l("Discounted admission")


class VenueStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    SUBMITTED = "submitted", _l("Submitted for review")
    APPROVED = "approved", _l("Approved")
    REJECTED = "rejected", _l("Rejected")
    SUSPENDED = "suspended", _l("Suspended")


class AccreditationLevel(LabelledEnum):
    CITY_BASE = "city_base", _l("City science education base")
    PROVINCIAL_BASE = "provincial_base", _l("Provincial science education base")
    NATIONAL_BASE = "national_base", _l("National science education base")
    STUDY_BASE = "study_base", _l("Study and practice base")


# The facts of a venue the reference data could not confirm (``Venue.unverified_note`` holds their keys).
UNVERIFIED_FACTS = {
    "district": _l("its district"),
    "district_or_type": _l("its district or its type"),
    "venue_type": _l("its type"),
    "operator": _l("who runs it"),
    "name": _l("its name"),
    "campus": _l("its campus"),
    "existence": _l("whether it is open"),
}


class Venue(CreatedAt, db.Model):
    """A science venue or education base, from its registration on."""

    __tablename__ = "venues"
    __table_args__ = (
        sa.CheckConstraint("daily_capacity IS NULL OR daily_capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("grade_min <= grade_max", name="grade_range"),
        sa.CheckConstraint("grade_min >= 0 AND grade_max <= 12", name="grade_bounds"),
        sa.CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"
        ),
        sa.Index("ix_venues_status_district", "status", "district_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    venue_type: Mapped[VenueType] = mapped_column(str_enum(VenueType))
    operator_kind: Mapped[OperatorKind] = mapped_column(str_enum(OperatorKind))
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("districts.code"), index=True)
    address_zh: Mapped[str] = mapped_column(sa.String(200), default="")
    address_en: Mapped[str] = mapped_column(sa.String(300), default="")
    latitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(sa.Numeric(9, 6))
    description_zh: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[time | None]
    closes_at: Mapped[time | None]
    # ISO weekdays the venue is usually closed, e.g. "1,2" for Monday and Tuesday.
    closed_weekdays: Mapped[str] = mapped_column(sa.String(16), default="")
    admission: Mapped[Admission] = mapped_column(str_enum(Admission), default=Admission.FREE)
    discount_zh: Mapped[str] = mapped_column(sa.String(300), default="")
    discount_en: Mapped[str] = mapped_column(sa.String(400), default="")
    daily_capacity: Mapped[int | None]
    grade_min: Mapped[int] = mapped_column(default=0)
    grade_max: Mapped[int] = mapped_column(default=12)
    accessibility_zh: Mapped[str] = mapped_column(sa.Text, default="")
    accessibility_en: Mapped[str] = mapped_column(sa.Text, default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(40), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(254), default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    # Profile facts that sources disagree on, shown to visitors as unverified: keys of UNVERIFIED_FACTS
    # ("district; operator"), or a free note in English written before those keys.
    unverified_note: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[VenueStatus] = mapped_column(str_enum(VenueStatus), default=VenueStatus.DRAFT)
    status_reason: Mapped[str] = mapped_column(sa.Text, default="")
    status_reason_en: Mapped[str] = mapped_column(sa.Text, default="")  # of a note the site writes (a move)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    district = relationship("District")
    themes: Mapped[list["VenueTheme"]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenueTheme.id"
    )
    accreditations: Mapped[list["Accreditation"]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="Accreditation.valid_to.desc()"
    )
    status_changes: Mapped[list["VenueStatusChange"]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenueStatusChange.id"
    )
    # None until the manager first saves them (app.bookings.rules.rules_for gives the defaults). A
    # booking loads them with the slot's venue, in one statement (app/api/bookings.py).
    booking_rules: Mapped["BookingRules | None"] = relationship(passive_deletes=True)

    @property
    def status_reason_shown(self) -> str:
        return in_reader_language(self.status_reason, self.status_reason_en)

    @property
    def unverified_facts(self) -> list | None:
        """What is not yet verified of the venue, named in the reader's language; None for a free note
        (in English only: ``unverified_note``), or nothing unverified."""
        keys = [key.strip() for key in self.unverified_note.split(";") if key.strip()]
        if not keys or any(key not in UNVERIFIED_FACTS for key in keys):
            return None
        return [UNVERIFIED_FACTS[key] for key in keys]

    @property
    def closed_weekday_set(self) -> set[int]:
        return {int(d) for d in self.closed_weekdays.split(",") if d.strip()}

    @property
    def theme_names(self) -> list[str]:
        return [t.name for t in self.themes]

    def current_accreditations(self, on: date) -> list["Accreditation"]:
        return [a for a in self.accreditations if a.standing(on) == AccreditationStanding.CURRENT]

    def __repr__(self) -> str:
        return f"<Venue {self.id} {self.name_zh} {self.status.value}>"


class VenueTheme(db.Model):
    __tablename__ = "venue_themes"
    __table_args__ = (sa.UniqueConstraint("venue_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80), index=True)

    venue: Mapped[Venue] = relationship(back_populates="themes")

    @property
    def label(self) -> str:
        """The theme in the interface language."""
        from app.venues.themes import theme_label

        return theme_label(self.name)


class VenueStatusChange(CreatedAt, db.Model):
    """One step of a venue's registration: who moved it from what to what, and why."""

    __tablename__ = "venue_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[VenueStatus | None] = mapped_column(str_enum(VenueStatus, name="from_status"))
    to_status: Mapped[VenueStatus] = mapped_column(str_enum(VenueStatus, name="to_status"))
    # Every step is taken by a person; None once that person's account is closed (``erase_account``).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The site's own notes (a move, a new name) in English too; a reviewer's reason is as typed.
    reason_en: Mapped[str] = mapped_column(sa.Text, default="")

    venue: Mapped[Venue] = relationship(back_populates="status_changes")
    actor = relationship("User")

    @property
    def reason_shown(self) -> str:
        return in_reader_language(self.reason, self.reason_en)


class AccreditationStanding(LabelledEnum):
    """Where an accreditation stands on a day: within its validity, past it, or not begun."""

    CURRENT = "current", _l("Current")
    EXPIRED = "expired", _l("Expired")
    UPCOMING = "upcoming", _l("Not yet valid")


# What was wrong with an accreditation removed as recorded in error, told to the venue's managers.
WITHDRAWAL_REASON_MAX = 500


def certificate_number(text) -> str:
    """A certificate number as it is kept: NFKC (a Chinese input method's full-width "ＹＸ－１" is
    "YX-1"), without surrounding spaces."""
    return unicodedata.normalize("NFKC", (text or "").replace("\x00", "")).strip()


def certificate_key(number) -> str:
    """What makes two certificate numbers one certificate's: the number as kept, case-folded ("YX-1",
    "yx-1" and "ＹＸ－１" are all "yx-1"). Never contains an upper-case ASCII letter."""
    return certificate_number(number).casefold()


class Accreditation(CreatedAt, db.Model):
    """An education-base accreditation (认定) recorded by the city admin."""

    __tablename__ = "accreditations"
    __table_args__ = (
        sa.CheckConstraint("valid_from <= valid_to", name="valid_range"),
        # One certificate per level, however its number is cased or spelled in width: requests racing
        # each other past the services' check are refused here.
        sa.UniqueConstraint("level", "certificate_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    level: Mapped[AccreditationLevel] = mapped_column(str_enum(AccreditationLevel))
    certificate_no: Mapped[str] = mapped_column(sa.String(60))
    # certificate_key(certificate_no), kept by ``_keyed``; unbounded, as case folding lengthens ("ß" is "ss").
    certificate_key: Mapped[str] = mapped_column(sa.Text)
    valid_from: Mapped[date]
    valid_to: Mapped[date] = mapped_column(index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # When the venue's managers were warned that it ends (services.warn_of_expiring_accreditations);
    # cleared when valid_to is corrected, so that a later end is warned of again.
    expiry_notice_sent_at: Mapped[datetime | None]

    venue: Mapped[Venue] = relationship(back_populates="accreditations")
    recorded_by = relationship("User")

    @validates("certificate_no")
    def _keyed(self, _name: str, number: str) -> str:
        self.certificate_key = certificate_key(number)
        return number

    def standing(self, on: date) -> AccreditationStanding:
        if on < self.valid_from:
            return AccreditationStanding.UPCOMING
        return AccreditationStanding.CURRENT if on <= self.valid_to else AccreditationStanding.EXPIRED

    def days_left(self, on: date) -> int | None:
        """Days from ``on`` to its last valid day (0 on that day) while it is current; else None."""
        return (self.valid_to - on).days if self.standing(on) == AccreditationStanding.CURRENT else None


def accredited_on(day: date, level: AccreditationLevel | None = None) -> sa.ColumnElement[bool]:
    """SQL, on ``Venue``: the venue holds an accreditation (of ``level``, if given) current on ``day``
    (``Accreditation.standing``): a correlated EXISTS, read in the same statement as the venues."""
    conditions = [Accreditation.venue_id == Venue.id, Accreditation.valid_from <= day, Accreditation.valid_to >= day]
    if level is not None:
        conditions.append(Accreditation.level == level)
    return sa.exists().where(*conditions)


class VenueDistrictPeriod(db.Model):
    """A closed stretch of a venue's register in a district, for statistics: before ``until_day`` (the
    first day of a month) the venue counted for ``district_code``, from the previous period's
    ``until_day`` on. The open period is ``venues.district_code``; a venue that never moved has none.

    Statistics count a month for the district the venue was registered in on its first day, so a
    move counts from the next month and published district months never change."""

    __tablename__ = "venue_district_history"
    __table_args__ = (sa.UniqueConstraint("venue_id", "until_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"))
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("districts.code"))
    until_day: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


def district_on(venue_id, day) -> sa.ColumnElement[str]:
    """SQL: the district venue ``venue_id`` counted for on ``day`` (expressions of an enclosing query
    that has ``Venue`` joined). The one definition of a statistics district: the period ending first
    after ``day``, else the venue's district now.

    Only a venue that moved has periods, looked up through the unique index (venue, until_day); every
    other venue's rows cost a probe of the set of moved venues, computed once per statement."""
    current = Venue.district_code
    periods = VenueDistrictPeriod
    counted = (sa.select(periods.district_code)
               .where(periods.venue_id == venue_id, periods.until_day > day)
               .order_by(periods.until_day).limit(1).scalar_subquery())
    return sa.case((venue_id.in_(sa.select(periods.venue_id)), sa.func.coalesce(counted, current)), else_=current)


def ever_in_district(code) -> sa.ColumnElement[bool]:
    """SQL, on ``Venue``: the venue is in district ``code`` now or was before a move. Whether a row
    counts there is ``district_on``'s to say; this narrows the venues first, so that the database
    reads only their rows."""
    moved_away = sa.select(VenueDistrictPeriod.venue_id).where(VenueDistrictPeriod.district_code == code)
    return sa.or_(Venue.district_code == code, Venue.id.in_(moved_away))
