"""Annual reports (年度报告): a venue's year, computed from check-ins, slots and bookings whenever
the report is shown. Only the manager's remarks and the act of submitting it are stored."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import Role
from app.bookings.models import Booking
from app.checkin.models import CheckIn, CheckInResult
from app.core.errors import DomainError
from app.core.time import local_today, utcnow
from app.events.models import ThemedDay
from app.extensions import db
from app.scheduling.models import Program, Slot, SlotStatus
from app.stats import services
from app.stats.filters import year_filters
from app.stats.forms import REPORT_TEXT_MAX
from app.stats.models import ReportSubmission, SchoolDailyVisits
from app.venues.models import Venue, VenueStatus

FIRST_YEAR = 2000


# --- policy -------------------------------------------------------------------------------------

def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_edit_report(user, venue: Venue) -> bool:
    """The venue's manager writes the remarks and submits the report."""
    return _role(user) == Role.VENUE_MANAGER and user.venue_id == venue.id


def can_view_report(user, venue: Venue) -> bool:
    """The venue's manager, the admin of the venue's district, and the city admin."""
    role = _role(user)
    if role == Role.CITY_ADMIN:
        return True
    if role == Role.DISTRICT_ADMIN:
        return user.district_code == venue.district_code
    return can_edit_report(user, venue)


def can_list_reports(user) -> bool:
    return _role(user) in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def report_years(today: date | None = None) -> range:
    today = today or local_today()
    return range(FIRST_YEAR, today.year + 1)


# --- the figures ----------------------------------------------------------------------------------

def schools_served(venue_id: int, year: int) -> dict:
    first, last = date(year, 1, 1), date(year, 12, 31)
    row = db.session.execute(
        select(func.count(sa.distinct(SchoolDailyVisits.school_id)),
               func.count(sa.distinct(sa.case((SchoolDailyVisits.partner_groups > 0, SchoolDailyVisits.school_id)))))
        .where(SchoolDailyVisits.venue_id == venue_id, SchoolDailyVisits.day.between(first, last))).one()
    return {"schools": int(row[0]), "partner_schools": int(row[1])}


def themed_events(venue_id: int, year: int) -> list[dict]:
    """The venue's themed-day events in ``year``: sessions, places and persons admitted."""
    from app.core.i18n import localized

    first, last = date(year, 1, 1), min(date(year, 12, 31), local_today())
    in_year = sa.and_(Slot.venue_id == venue_id, Slot.local_date.between(first, last), Slot.status == SlotStatus.OPEN)
    sessions = (select(Slot.program_id, func.count(Slot.id).label("sessions"), func.sum(Slot.capacity).label("places"),
                       func.min(Slot.local_date).label("first_day"), func.max(Slot.local_date).label("last_day"))
                .where(in_year).group_by(Slot.program_id).subquery("sessions"))
    admitted = (select(Slot.program_id, func.sum(CheckIn.persons).label("persons"))
                .select_from(Slot).join(Booking, Booking.slot_id == Slot.id)
                .join(CheckIn, sa.and_(CheckIn.booking_id == Booking.id, CheckIn.result == CheckInResult.OK))
                .where(in_year).group_by(Slot.program_id).subquery("admitted"))
    rows = db.session.execute(
        select(Program, ThemedDay, sessions.c.sessions, sessions.c.places, sessions.c.first_day, sessions.c.last_day,
               func.coalesce(admitted.c.persons, 0).label("persons"))
        .join(sessions, sessions.c.program_id == Program.id)
        .outerjoin(admitted, admitted.c.program_id == Program.id)
        .outerjoin(ThemedDay, ThemedDay.key == Program.themed_day_key)
        .where(Program.themed_day_key.isnot(None)).order_by(sessions.c.first_day, Program.id)).all()
    return [{"title": localized(r.Program, "title"), "themed_day": localized(r.ThemedDay, "name") if r.ThemedDay
             else r.Program.themed_day_key, "first_day": r.first_day, "last_day": r.last_day,
             "sessions": int(r.sessions), "places": int(r.places or 0), "attendance": int(r.persons)} for r in rows]


def annual_report(venue: Venue, year: int) -> dict:
    filters = year_filters(year, venue_id=venue.id)
    totals = services.totals(filters)
    events = themed_events(venue.id, year)
    return {
        "venue": venue, "year": year, "through": filters.through, "totals": totals,
        "months": services.by_month(filters), "schools": schools_served(venue.id, year), "events": events,
        "event_sessions": sum(e["sessions"] for e in events), "event_attendance": sum(e["attendance"] for e in events),
        "accreditations": venue.current_accreditations(min(date(year, 12, 31), local_today())),
        "submission": submission_for(venue.id, year),
    }


# --- the manager's remarks and the submission -------------------------------------------------------

def submission_for(venue_id: int, year: int) -> ReportSubmission | None:
    return db.session.scalar(select(ReportSubmission).where(ReportSubmission.venue_id == venue_id,
                                                            ReportSubmission.year == year))


def _editable(manager, venue: Venue, year: int) -> ReportSubmission:
    if not can_edit_report(manager, venue):
        raise DomainError("forbidden", _l("Only the venue's manager can change its report."), status=403)
    if year not in report_years():
        raise DomainError("invalid_year", _l("There is no report for that year yet."), field="year")
    submission = submission_for(venue.id, year)
    if submission is not None and submission.submitted_at is not None:
        raise DomainError("already_submitted", _l("This report has been submitted to the city and can no longer be "
                                                  "changed."), status=409)
    if submission is None:
        submission = ReportSubmission(venue_id=venue.id, year=year, text="")
        db.session.add(submission)
    return submission


def save_report_text(manager, venue: Venue, year: int, text: str) -> ReportSubmission:
    """Keep the manager's remarks (a draft until submitted)."""
    text = (text or "").replace("\x00", "").strip()
    if len(text) > REPORT_TEXT_MAX:
        raise DomainError("text_too_long", _l("Keep the remarks under %(n)d characters.", n=REPORT_TEXT_MAX),
                          field="text")
    submission = _editable(manager, venue, year)
    submission.text, submission.updated_at = text, utcnow()
    db.session.flush()
    return submission


def submit_report(manager, venue: Venue, year: int) -> ReportSubmission:
    """Submit the year's report to the city: the remarks are then fixed; the figures stay live."""
    if venue.status != VenueStatus.APPROVED:
        raise DomainError("venue_not_approved", _l("Only approved venues file annual reports."), status=409)
    submission = _editable(manager, venue, year)
    now = utcnow()
    submission.submitted_at, submission.submitted_by_id, submission.updated_at = now, manager.id, now
    db.session.flush()
    return submission


def reports_of_year(admin, year: int) -> list[tuple[Venue, ReportSubmission | None]]:
    """Every approved venue (in the admin's district, for a district admin) with its submission."""
    query = (select(Venue, ReportSubmission)
             .outerjoin(ReportSubmission, sa.and_(ReportSubmission.venue_id == Venue.id, ReportSubmission.year == year))
             .where(Venue.status == VenueStatus.APPROVED).order_by(Venue.district_code, Venue.name_zh))
    if _role(admin) == Role.DISTRICT_ADMIN:
        query = query.where(Venue.district_code == admin.district_code)
    return [(venue, submission) for venue, submission in db.session.execute(query)]
