"""Museum–school cooperation agreements (馆校合作): who counts as a partner school, and when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, contains_eager, selectinload

from app.bookings.models import ACTIVE_STATUSES, Booking, BookingRules, BookingStatus, Partnership
from app.bookings.rules import rules_for
from app.core.db import LabelledEnum
from app.core.errors import DomainError
from app.core.i18n import localized
from app.core.pagination import Page, paginate
from app.core.templating import local_date
from app.extensions import db
from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url
from app.scheduling.models import Slot
from app.schools.models import School
from app.venues.models import Venue


def renewed_until(venue_id, school_id, valid_to) -> sa.Select:
    """The end of the last agreement of the same venue and school that starts after ``valid_to``: an
    agreement so followed has been renewed until then (None: it has not). Columns make it a correlated
    subquery, values a query of one agreement."""
    later = aliased(Partnership)
    return select(func.max(later.valid_to)).where(later.venue_id == venue_id, later.school_id == school_id,
                                                  later.valid_from > valid_to)


def venue_partnerships(venue_id: int) -> list[tuple[Partnership, date | None]]:
    """The venue's agreements, latest ending first, each with the day it has been renewed until."""
    until = renewed_until(Partnership.venue_id, Partnership.school_id, Partnership.valid_to).scalar_subquery()
    return [tuple(row) for row in db.session.execute(
        select(Partnership, until).where(Partnership.venue_id == venue_id)
        .order_by(Partnership.valid_to.desc(), Partnership.id))]


def school_partnerships(school_id: int, today: date) -> list[tuple[Partnership, BookingRules]]:
    """A school's agreements in force today or still to come, soonest ending first, each with the
    venue's booking rules (how much earlier the school books, the share of places held for partners)."""
    rows = db.session.scalars(
        select(Partnership).where(Partnership.school_id == school_id, Partnership.valid_to >= today)
        .options(selectinload(Partnership.venue).selectinload(Venue.booking_rules))
        .order_by(Partnership.valid_from, Partnership.valid_to, Partnership.id))
    return [(p, rules_for(p.venue)) for p in rows]


def school_year_of(day: date) -> tuple[date, date]:
    """The school year (1 September to 31 August) that ``day`` falls in."""
    start = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    return start, date(start.year + 1, 8, 31)


AGREEMENT_MAX_YEARS = 10
# Agreements are signed for the coming school year at the earliest.
AGREEMENT_MAX_YEARS_AHEAD = 1


def add_partnership(manager, venue, school, *, valid_from: date, valid_to: date, note: str = "",
                    today: date) -> Partnership:
    """Record an agreement that is in force on some day from ``today`` on, for at most ten years."""
    if _after_years(valid_from, today, AGREEMENT_MAX_YEARS_AHEAD):
        raise DomainError("starts_too_late", _l("An agreement can start at most a year from today."),
                          field="valid_from")
    if valid_to < today:
        raise DomainError("already_over", _l("The end date has passed: record agreements still in force."),
                          field="valid_to")
    if valid_from > valid_to:
        raise DomainError("invalid_range", _l("The end date must be on or after the start date."), field="valid_to")
    if _after_years(valid_to, valid_from, AGREEMENT_MAX_YEARS):
        raise DomainError("too_long", _l("An agreement runs for at most %(n)d years.", n=AGREEMENT_MAX_YEARS),
                          field="valid_to")
    overlapping = db.session.scalar(select(Partnership.id).where(
        Partnership.venue_id == venue.id, Partnership.school_id == school.id,
        Partnership.valid_from <= valid_to, Partnership.valid_to >= valid_from))
    if overlapping:
        raise DomainError("partnership_exists",
                          _l("This school already has an agreement for part of that period."), field="school_id")
    partnership = Partnership(venue_id=venue.id, school_id=school.id, valid_from=valid_from, valid_to=valid_to,
                              note=(note or "").strip(), created_by_id=manager.id)
    db.session.add(partnership)
    db.session.flush()
    return partnership


def renewal_opens(partnership: Partnership, today: date) -> date | None:
    """The day ``renew_partnership`` may first renew the agreement, when that is after ``today``: the
    renewal starts the day after it ends, and an agreement starts at most a year ahead. None when it
    may be renewed now (its other conditions aside)."""
    starts = partnership.valid_to + timedelta(days=1)
    if not _after_years(starts, today, AGREEMENT_MAX_YEARS_AHEAD):
        return None
    try:
        return starts.replace(year=starts.year - AGREEMENT_MAX_YEARS_AHEAD)
    except ValueError:  # 29 February: a year before the 1 March after it
        return starts.replace(year=starts.year - AGREEMENT_MAX_YEARS_AHEAD, day=28) + timedelta(days=1)


def _after_years(day: date, start: date, years: int) -> bool:
    """Whether ``day`` comes after the same date ``years`` years from ``start`` (29 February safe)."""
    return (day.year, day.month, day.day) > (start.year + years, start.month, start.day)


def end_partnership(manager, partnership: Partnership, *, today: date) -> Partnership | None:
    """End an agreement from today on: bookings already made keep their priority seats.

    An agreement that has not given a day of priority before today is withdrawn altogether (None
    is returned): shortening it to a day would leave the school a partner on that day. Partner
    status follows the visit's date, so a class may already have booked under one that has not
    started: then it is kept, on record for those bookings, until it can be ended as a running one."""
    if partnership.valid_to < today:
        raise DomainError("already_ended", _l("This agreement has already ended."))
    if partnership.valid_from >= today:
        relying = _bookings_relying_on(partnership)
        if relying and partnership.valid_from == today:
            raise DomainError("partnership_in_use", _ln(
                "%(num)d booking already relies on this agreement, which started today, so it cannot be withdrawn "
                "today. It can be ended from %(day)s on; bookings made under it keep their places.",
                "%(num)d bookings already rely on this agreement, which started today, so it cannot be withdrawn "
                "today. It can be ended from %(day)s on; bookings made under it keep their places.",
                relying, day=(today + timedelta(days=1)).isoformat()), status=409)
        if relying:
            raise DomainError("partnership_in_use", _ln(
                "%(num)d booking already relies on this agreement, so it cannot be withdrawn before it starts. "
                "It can be ended from %(day)s on; bookings made under it keep their places.",
                "%(num)d bookings already rely on this agreement, so it cannot be withdrawn before it starts. "
                "It can be ended from %(day)s on; bookings made under it keep their places.",
                relying, day=(partnership.valid_from + timedelta(days=1)).isoformat()), status=409)
        db.session.delete(partnership)
        db.session.flush()
        return None
    partnership.valid_to = today - timedelta(days=1)
    db.session.flush()
    return partnership


def _bookings_relying_on(partnership: Partnership) -> int:
    """The school's bookings at the venue that still stand and took partner priority, for visits
    the agreement covers."""
    return db.session.scalar(
        select(func.count(Booking.id)).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == partnership.venue_id, Booking.school_id == partnership.school_id,
               Booking.is_partner.is_(True), Booking.status.in_([BookingStatus(s) for s in ACTIVE_STATUSES]),
               Slot.local_date.between(partnership.valid_from, partnership.valid_to)))


def renew_partnership(manager, partnership: Partnership, *, today: date) -> Partnership:
    """Sign the agreement's school up again from the day after the agreement ends until the end of the
    next school year (one ending on 31 August: the school year after), with the same note; refused
    when the school is closed or the agreement has been renewed already (``renewed_until``: a later
    agreement of the venue and school exists). Starting the day after leaves the school no day without
    priority, however the agreement's dates were set.
    The other rules of a new agreement hold (it starts at most a year from today, it is not over)."""
    school = partnership.school
    if not school.is_active:
        raise DomainError("school_closed", _l(
            "%(school)s is marked closed in the schools registry: its agreement cannot be renewed.",
            school=localized(school, "name")), status=409)
    until = db.session.scalar(renewed_until(partnership.venue_id, school.id, partnership.valid_to))
    if until is not None:
        raise DomainError("already_renewed", _l(
            "The agreement with %(school)s has already been renewed, until %(date)s.",
            school=localized(school, "name"), date=until.isoformat()), status=409)
    _, year_ends = school_year_of(partnership.valid_to)
    return add_partnership(manager, partnership.venue, school, valid_from=partnership.valid_to + timedelta(days=1),
                           valid_to=year_ends.replace(year=year_ends.year + 1), note=partnership.note, today=today)


# --- warning before an agreement ends -------------------------------------------------------------

ENDING_NOTICE_DAYS = 30
ENDING_NOTICE_KIND = "partnership_ending"


def _agreement_anchor(partnership_id: int) -> str:
    return f"#agreement-{partnership_id}"


def agreements_ending_soon(today: date) -> list[Partnership]:
    """Agreements that end within ``ENDING_NOTICE_DAYS`` days from ``today`` (today included), of open
    schools, not yet warned of, that nothing follows yet: no later agreement of the same venue and school."""
    renewal = renewed_until(Partnership.venue_id, Partnership.school_id, Partnership.valid_to).scalar_subquery()
    return list(db.session.scalars(
        select(Partnership).join(School, School.id == Partnership.school_id)
        .where(Partnership.valid_to.between(today, today + timedelta(days=ENDING_NOTICE_DAYS)),
               Partnership.ending_notice_sent_at.is_(None), School.is_active.is_(True),
               renewal.is_(None))
        .options(contains_eager(Partnership.school)).order_by(Partnership.valid_to, Partnership.id)))


def warn_of_ending_agreements(today: date) -> int:
    """Email the active managers of each venue whose agreement ends within ``ENDING_NOTICE_DAYS`` days
    (``agreements_ending_soon``), once per agreement however often this runs. Returns how many
    agreements were warned of (those of venues with a manager)."""
    from app.accounts.managers import warn_managers_once  # it imports the venues' services

    return warn_managers_once(agreements_ending_soon(today), Partnership, "ending_notice_sent_at",
                              _queue_ending_notice)


def _queue_ending_notice(partnership: Partnership, manager) -> None:
    locale = recipient_locale(manager)
    facts = {"school": localized(partnership.school, "name", locale),
             "venue": localized(partnership.venue, "name", locale),
             "date": LazyString(local_date, partnership.valid_to)}  # written in the recipient's language
    queue_message(
        kind=ENDING_NOTICE_KIND, recipient=manager.email, user=manager,
        subject=_l("Cooperation agreement ends on %(date)s: %(school)s", **facts),
        body=paragraphs(
            _l("Hello %(name)s,", name=manager.name),
            _l("The cooperation agreement between %(venue)s and %(school)s ends on %(date)s. After that day the "
               "school's classes no longer book early nor use the places held for partner schools.", **facts),
            _l("To go on, renew it for the next school year on the partner schools page:"),
            site_url("/manage/partners" + _agreement_anchor(partnership.id))))


# --- the district's view -------------------------------------------------------------------------

class AgreementStatus(LabelledEnum):
    UPCOMING = "upcoming", _l("Not started")
    IN_FORCE = "in_force", _l("In force")
    ENDING = "ending", _l("Ends within 30 days")
    ENDED = "ended", _l("Ended")


def agreement_status(partnership: Partnership, today: date) -> AgreementStatus:
    if partnership.valid_from > today:
        return AgreementStatus.UPCOMING
    if partnership.valid_to < today:
        return AgreementStatus.ENDED
    if partnership.valid_to <= today + timedelta(days=ENDING_NOTICE_DAYS):
        return AgreementStatus.ENDING
    return AgreementStatus.IN_FORCE


@dataclass(frozen=True)
class DistrictAgreement:
    partnership: Partnership
    status: AgreementStatus
    class_visits: int  # this school year, checked in, booked under the agreement


def district_agreements(district_code: str | None, today: date, page: int, per_page: int) -> Page:
    """A page of the agreements in force on some day of this school year or later that involve a school
    or a venue of ``district_code`` (None: every district), soonest ending first, each a
    ``DistrictAgreement`` with the class visits the school made under it this school year
    (``SchoolDailyVisits.partner_groups``: checked in)."""
    from app.stats.models import SchoolDailyVisits  # statistics read the bookings' models

    year_from, _ = school_year_of(today)
    seen = SchoolDailyVisits
    visits = (select(func.coalesce(func.sum(seen.partner_groups), 0))
              .where(seen.school_id == Partnership.school_id, seen.venue_id == Partnership.venue_id,
                     seen.day >= Partnership.valid_from, seen.day <= Partnership.valid_to,
                     seen.day.between(year_from, today))
              .correlate(Partnership).scalar_subquery())
    query = (select(Partnership, visits)
             .join(School, School.id == Partnership.school_id).join(Venue, Venue.id == Partnership.venue_id)
             .where(Partnership.valid_to >= year_from)
             .options(contains_eager(Partnership.school), contains_eager(Partnership.venue))
             .order_by(Partnership.valid_to, Partnership.valid_from, Partnership.id))
    if district_code is not None:
        query = query.where(sa.or_(School.district_code == district_code, Venue.district_code == district_code))
    found = paginate(query, page, per_page, rows=True)
    found.items = [DistrictAgreement(p, agreement_status(p, today), int(n or 0)) for p, n in found.items]
    return found
