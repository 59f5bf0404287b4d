"""Annual reports (年度报告): a venue's year, computed from check-ins, slots and bookings whenever
the report is shown until it is filed; filing keeps its figures as they are then (``filed_snapshot``),
and a filed report shows those. The manager's remarks, the act of submitting it and its returns are stored.

A report is filed once its year is over (from 1 January of the next year), and only by a venue that
was on the register in that year; the city admin can return a filed report to the venue, with a
reason, and it becomes editable again. Each return is kept: the latest is the venue's to answer
until the report is filed again, then it and any earlier ones are the report's history."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import exists, func, select

from app.accounts.models import Role
from app.bookings.models import Booking, Partnership
from app.core.errors import DomainError, Forbidden
from app.core.time import from_local, local_today, to_local, utcnow
from app.extensions import db
from app.scheduling.models import Slot
from app.stats import events, services
from app.stats.filters import year_filters
from app.stats.forms import REPORT_TEXT_MAX
from app.stats.models import ReportReturn, ReportSubmission, SchoolDailyVisits
from app.venues.models import AccreditationLevel, Venue, VenueStatus, VenueStatusChange
from app.venues.services import ever_registered

FIRST_YEAR = 2000
RETURN_REASON_MAX = 2000


# --- policy -------------------------------------------------------------------------------------

def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_edit_report(user, venue: Venue) -> bool:
    """The venue's manager writes the remarks and submits the report."""
    return _role(user) == Role.VENUE_MANAGER and user.venue_id == venue.id


def can_view_report(user, venue: Venue, year: int) -> bool:
    """The venue's manager, the city admin, and the admin of the district the venue counted for in
    ``year`` (``district_of_year``): a venue that moved leaves its earlier years with the old district."""
    role = _role(user)
    if role == Role.CITY_ADMIN:
        return True
    if role == Role.DISTRICT_ADMIN:
        return user.district_code == db.session.scalar(select(district_of_year(year)).where(Venue.id == venue.id))
    return can_edit_report(user, venue)


def can_list_reports(user) -> bool:
    return _role(user) in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def can_return_report(user) -> bool:
    """The city admin, to whom reports are filed, hands one back to the venue."""
    return _role(user) == Role.CITY_ADMIN


def district_of_year(year: int):
    """SQL, on ``Venue``: the district the venue's ``year`` counts for, the one it was in for the
    year's last month (statistics count a month for the district of its first day)."""
    return services.district_of_period(date(year, 12, 31))


def report_years(today: date | None = None) -> range:
    today = today or local_today()
    return range(FIRST_YEAR, today.year + 1)


def years_around(year: int, shown: int = 5) -> list[int]:
    """The years a report page links to, newest first: the last ``shown`` years and the one on the page."""
    years = report_years()
    return sorted({*years[-shown:], year} & set(years), reverse=True)


def submission_opens(year: int) -> date:
    """A year's report covers the whole year: it can be filed from the next 1 January."""
    return date(year + 1, 1, 1)


def report_due(year: int) -> date:
    """The last day to file a year's report: 31 March of the next year, the date by which museums
    file theirs with their registration office; after it an unfiled report is overdue."""
    return date(year + 1, 3, 31)


def is_overdue(year: int, today: date | None = None) -> bool:
    """Whether a report of ``year`` that is not filed (never, or not again since it was returned) is overdue."""
    return (today or local_today()) > report_due(year)


def registered_by(year: int):
    """A condition on ``Venue``: the venue was on the register before ``year`` ended.

    That is its first approval (a venue with no recorded approval counts from its creation), or
    slots published in that year or earlier (a venue loaded with its past, as the demo's are).
    A venue approved later owes no report for ``year`` and is not scored in its evaluation.
    """
    year_end = from_local(datetime(year + 1, 1, 1))
    approval = sa.and_(VenueStatusChange.venue_id == Venue.id, VenueStatusChange.to_status == VenueStatus.APPROVED)
    return sa.or_(
        exists().where(approval, VenueStatusChange.created_at < year_end),
        sa.and_(~exists().where(approval), Venue.created_at < year_end),
        exists().where(Slot.venue_id == Venue.id, Slot.local_date < date(year + 1, 1, 1)),
    )


def registered_in(year: int):
    """A condition on ``Venue``: the venue was on the register for some of ``year``, whatever its
    status now (suspended since, or back in review after a move): it owes that year's report and is
    scored in that year's evaluation.

    It was approved before the year ended (``registered_by``), and not off the register all year: the
    last change of its status before the year began did not leave it suspended or in review, or a
    change during the year approved it again.
    """
    year_start = from_local(datetime(year, 1, 1))
    year_end = from_local(datetime(year + 1, 1, 1))
    change = VenueStatusChange
    status_at_start = (select(change.to_status).where(change.venue_id == Venue.id, change.created_at < year_start)
                       .order_by(change.created_at.desc(), change.id.desc()).limit(1).scalar_subquery())
    approved_during = exists().where(change.venue_id == Venue.id, change.to_status == VenueStatus.APPROVED,
                                     change.created_at >= year_start, change.created_at < year_end)
    return sa.and_(ever_registered(), registered_by(year),
                   sa.or_(status_at_start.is_(None), status_at_start == VenueStatus.APPROVED, approved_during))


def was_registered(venue: Venue, year: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Venue.id == venue.id, registered_in(year)))))


# --- the figures ----------------------------------------------------------------------------------

def schools_served(venue_id: int, year: int) -> dict:
    """Schools that made class visits in ``year``; of the museum–school cooperation (馆校合作): the
    schools with an agreement in force on some day of the year, those that came under one
    (``partner_schools``) and the class visits they made so."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    row = db.session.execute(
        select(func.count(sa.distinct(SchoolDailyVisits.school_id)),
               func.count(sa.distinct(sa.case((SchoolDailyVisits.partner_groups > 0, SchoolDailyVisits.school_id)))),
               func.coalesce(func.sum(SchoolDailyVisits.partner_groups), 0))
        .where(SchoolDailyVisits.venue_id == venue_id, SchoolDailyVisits.day.between(first, last))).one()
    under_agreement = db.session.scalar(
        select(func.count(sa.distinct(Partnership.school_id)))
        .where(Partnership.venue_id == venue_id, Partnership.valid_from <= last, Partnership.valid_to >= first))
    return {"schools": int(row[0]), "partner_schools": int(row[1]), "partner_groups": int(row[2]),
            "agreement_schools": int(under_agreement or 0)}


def themed_events(venue_id: int, year: int) -> list[dict]:
    """The venue's themed-day events in ``year``: sessions, places and persons admitted."""
    from app.core.i18n import localized

    rows = events.event_rows(date(year, 1, 1), min(date(year, 12, 31), local_today()), Slot.venue_id == venue_id)
    # Both names of the event and of its day, so that a report as filed reads in either language.
    return [{"title_zh": r.Program.title_zh, "title_en": r.Program.title_en,
             "themed_day_zh": r.ThemedDay.name_zh if r.ThemedDay else r.Program.themed_day_key,
             "themed_day_en": r.ThemedDay.name_en if r.ThemedDay else "",
             "title": localized(r.Program, "title"), "themed_day": localized(r.ThemedDay, "name") if r.ThemedDay
             else r.Program.themed_day_key, "first_day": r.first_day, "last_day": r.last_day,
             "sessions": int(r.sessions), "places": int(r.places or 0), "attendance": int(r.persons)} for r in rows]


def _with_event_totals(figures: dict) -> dict:
    events = figures["events"]
    return {**figures, "event_sessions": sum(e["sessions"] for e in events),
            "event_places": sum(e["places"] for e in events), "event_attendance": sum(e["attendance"] for e in events)}


def report_figures(venue: Venue, year: int) -> dict:
    """The figures of the venue's ``year`` as the data give them now: what a report not yet filed shows."""
    filters = year_filters(year, venue_id=venue.id)
    year_over = local_today() >= submission_opens(year)
    return _with_event_totals({
        # How far the figures go, as the public statistics say it (``counted_through``): a finished
        # year is whole, with no "through"; the running year through today, whose check-ins count as
        # they are made (the page says "so far"); one not started, None.
        "through": None if year_over else filters.counted_through, "totals": services.totals(filters),
        "months": services.by_month(filters), "schools": schools_served(venue.id, year),
        "events": themed_events(venue.id, year),
        "accreditations": venue.current_accreditations(min(date(year, 12, 31), local_today())),
    })


# --- the figures as filed -------------------------------------------------------------------------

def _plain(value):
    """A figure as JSON holds it: sums may come back from the database as ``Decimal``."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def filed_snapshot(figures: dict) -> dict:
    """``report_figures`` as JSON, the one form a filing keeps (``ReportSubmission.filed_figures``) and
    live figures are compared in (``changed_since_filing``). Events keep both their names."""
    return {
        "through": figures["through"].isoformat() if figures["through"] else None,
        "totals": {key: _plain(value) for key, value in figures["totals"].items()},
        "months": [{key: _plain(value) for key, value in row.items()} for row in figures["months"].rows],
        "schools": dict(figures["schools"]),
        "events": [{"title_zh": e["title_zh"], "title_en": e["title_en"], "themed_day_zh": e["themed_day_zh"],
                    "themed_day_en": e["themed_day_en"], "first_day": e["first_day"].isoformat(),
                    "last_day": e["last_day"].isoformat(), "sessions": e["sessions"], "places": e["places"],
                    "attendance": e["attendance"]} for e in figures["events"]],
        "accreditations": [{"level": a.level.value, "certificate_no": a.certificate_no,
                            "valid_to": a.valid_to.isoformat()} for a in figures["accreditations"]],
    }


def figures_as_filed(snapshot: dict) -> dict:
    """A ``filed_snapshot`` back in the shape of ``report_figures``, named in the interface language."""
    from app.core.i18n import localized

    def event(e: dict) -> dict:
        named = SimpleNamespace(**{k: e[k] for k in ("title_zh", "title_en")},
                                name_zh=e["themed_day_zh"], name_en=e["themed_day_en"])
        return {**e, "title": localized(named, "title"), "themed_day": localized(named, "name"),
                "first_day": date.fromisoformat(e["first_day"]), "last_day": date.fromisoformat(e["last_day"])}

    return _with_event_totals({
        "through": date.fromisoformat(snapshot["through"]) if snapshot["through"] else None,
        "totals": dict(snapshot["totals"]), "months": services.month_breakdown(list(snapshot["months"])),
        "schools": dict(snapshot["schools"]), "events": [event(e) for e in snapshot["events"]],
        "accreditations": [SimpleNamespace(level=AccreditationLevel(a["level"]), certificate_no=a["certificate_no"],
                                           valid_to=date.fromisoformat(a["valid_to"]))
                           for a in snapshot["accreditations"]],
    })


class Figure(NamedTuple):
    """One figure of an annual report: where it is in ``report_figures`` (``part``, ``key``), its label
    and its format (the ``figure`` filter's)."""
    part: str
    key: str
    label: object
    format: str = "int"


# The figures of a report, in the order its page, its XLSX and the admins' "changed since filing" name them.
# The no-shows follow them, said with the bookings they are a share of.
FIGURES = (
    Figure("totals", "open_days", _l("Free-open days")),
    Figure("totals", "free_open_hours", _l("Free-open hours"), "num"),
    Figure("totals", "capacity_offered", _l("Places offered")), Figure("totals", "visits", _l("Visits")),
    Figure("totals", "individual_visits", _l("Individual visitors")),
    Figure("totals", "school_groups", _l("School groups")), Figure("totals", "school_students", _l("Students")),
    Figure("totals", "school_adults", _l("Accompanying adults")), Figure("totals", "walk_ins", _l("Walk-ins")),
    Figure("totals", "free_visits", _l("Free-open visits")), Figure("schools", "schools", _l("Schools served")),
    Figure("schools", "agreement_schools", _l("Schools with a cooperation agreement")),
    Figure("schools", "partner_schools", lazy_pgettext("report figure", "Partner schools that visited")),
    Figure("schools", "partner_groups", _l("Class visits by partner schools")),
    Figure("totals", "utilisation", _l("Utilisation"), "pct"),
)
BOOKINGS = Figure("totals", "bookings", _l("Bookings"))
NO_SHOWS = Figure("totals", "no_shows", _l("No-shows"))
COMPARED_FIGURES = (*FIGURES, BOOKINGS, NO_SHOWS)


def changed_since_filing(snapshot: dict, live: dict) -> list:
    """The names of the figures of a filed report (its ``filed_snapshot``) that the data now give
    otherwise (``filed_snapshot`` of ``report_figures``), in the page's order."""
    changed = [f.label for f in COMPARED_FIGURES if snapshot[f.part].get(f.key) != live[f.part].get(f.key)]
    for part, label in (("months", _l("Visits by month")), ("events", _l("Themed events")),
                        ("accreditations", _l("Accreditations"))):
        if snapshot[part] != live[part]:
            changed.append(label)
    return changed


def annual_report(venue: Venue, year: int, *, compare: bool = False) -> dict:
    """The report page's (and its XLSX's) content. A filed report shows the figures it was filed with
    (``as_filed``; with ``compare``, ``changed`` names those the data now give otherwise, which only
    the admins' page shows); one filed before figures were kept shows the live ones, ``figures_kept``
    False. The live figures are computed only when shown or compared."""
    submission = submission_for(venue.id, year)
    pending = pending_return(submission)
    year_over = local_today() >= submission_opens(year)
    filed = submission is not None and submission.submitted_at is not None
    owed = was_registered(venue, year)  # a venue registered later owes no report of the year: never overdue
    snapshot = submission.filed_figures if filed else None
    live = report_figures(venue, year) if snapshot is None or compare else None
    return {
        "venue": venue, "year": year, **(figures_as_filed(snapshot) if snapshot else live),
        "as_filed": snapshot is not None, "figures_kept": not filed or snapshot is not None,
        "changed": changed_since_filing(snapshot, filed_snapshot(live)) if snapshot and live else [],
        "submission": submission, "pending_return": pending,
        "earlier_returns": [r for r in submission.returns if r is not pending] if submission else [],
        "submission_opens": submission_opens(year), "year_over": year_over, "due": report_due(year), "owed": owed,
        "overdue": owed and not filed and is_overdue(year),
        "filing_refusal": filing_refusal(venue, year),
    }


# --- the manager's remarks and the submission -------------------------------------------------------

def reports_to_file(venue: Venue, today: date | None = None) -> list[dict]:
    """The reports the venue's manager should file now, for the manager's home page, latest first:
    every finished year the venue owes and has not filed (never, or not again since it was returned),
    so that a year left unfiled is not forgotten once the next one is due. Each: ``year``, ``due``,
    ``overdue`` and ``returned`` (the city handed it back)."""
    today = today or local_today()
    years = range(_first_owed_year(venue, today.year - 1), today.year)
    if not years:
        return []
    owed = db.session.execute(select(*(exists().where(Venue.id == venue.id, registered_in(year)).label(f"y{year}")
                                       for year in years))).one()
    submissions = {s.year: s for s in db.session.scalars(
        select(ReportSubmission).where(ReportSubmission.venue_id == venue.id, ReportSubmission.year.in_(years)))}
    unfiled = [year for year, is_owed in zip(years, owed) if is_owed
               and (year not in submissions or submissions[year].submitted_at is None)]
    return [{"year": year, "due": report_due(year), "overdue": is_overdue(year, today),
             "returned": pending_return(submissions.get(year)) is not None} for year in reversed(unfiled)]


def _first_owed_year(venue: Venue, last_year: int) -> int:
    """The first year the venue can owe a report for: that of its creation, its first approval or its
    first slot (``registered_by``), whichever is earliest; never after ``last_year`` + 1."""
    first_approval = (select(func.min(VenueStatusChange.created_at))
                      .where(VenueStatusChange.venue_id == venue.id,
                             VenueStatusChange.to_status == VenueStatus.APPROVED).scalar_subquery())
    first_slot = select(func.min(Slot.local_date)).where(Slot.venue_id == venue.id).scalar_subquery()
    approved, slot = db.session.execute(select(first_approval, first_slot)).one()
    # Local years: a venue created at 00:30 Nanjing time on 1 January is of that year.
    known = [to_local(venue.created_at).year] + ([to_local(approved).year] if approved else []) + (
        [slot.year] if slot else [])
    return min(min(known), last_year + 1)


def submission_for(venue_id: int, year: int) -> ReportSubmission | None:
    return db.session.scalar(select(ReportSubmission).where(ReportSubmission.venue_id == venue_id,
                                                            ReportSubmission.year == year))


def _editable(manager, venue: Venue, year: int) -> ReportSubmission:
    if not can_edit_report(manager, venue):
        raise DomainError("forbidden", _l("Only the venue's manager can change its report."), status=403)
    if year not in report_years():
        raise DomainError("invalid_year", _l("There is no report for that year yet."), field="year")
    submission = submission_for(venue.id, year)
    if submission is None:
        try:
            with db.session.begin_nested():
                submission = ReportSubmission(venue_id=venue.id, year=year, text="")
                db.session.add(submission)
                db.session.flush()
        except sa.exc.IntegrityError:  # the year's first save, sent twice at once (a double click)
            submission = submission_for(venue.id, year)
            if submission is None:
                raise
    if submission.submitted_at is not None:
        raise DomainError("already_submitted", _l("This report has already been submitted to the city and can no "
                                                  "longer be changed."), status=409)
    return submission


def save_report_text(manager, venue: Venue, year: int, text: str) -> ReportSubmission:
    """Keep the manager's remarks (a draft until submitted)."""
    text = (text or "").replace("\x00", "").strip()
    if len(text) > REPORT_TEXT_MAX:
        raise DomainError("text_too_long", _l("The remarks can be up to %(max)s characters long; these are %(n)s. "
                                              "Shorten them, then save again.", max=f"{REPORT_TEXT_MAX:,}",
                                              n=f"{len(text):,}"), field="text")
    submission = _editable(manager, venue, year)
    submission.text, submission.updated_at = text, utcnow()
    db.session.flush()
    return submission


def filing_refusal(venue: Venue, year: int) -> DomainError | None:
    """Why the venue cannot file its ``year`` report now, or None when it can: only a finished year,
    of a venue on the register for some of that year (``registered_in``), whatever its status now: a
    venue suspended since, or back in review after a move, still reports the year it operated, as
    the admins' list expects. The page asks this before it offers the button, so that it never
    offers what the submission would refuse."""
    if local_today() < submission_opens(year):
        return DomainError("year_not_over", _l("The %(year)d report covers the whole year: it can be submitted from "
                                               "1 January %(next)d.", year=year, next=year + 1), status=409)
    if not was_registered(venue, year):
        return DomainError("not_registered_that_year", _l("Your venue was not yet registered in %(year)d: there is "
                                                          "no report to submit for that year.", year=year),
                           status=409)
    return None


def submit_report(manager, venue: Venue, year: int) -> ReportSubmission:
    """Submit the year's report to the city: the remarks are then fixed, and the figures are kept as
    they are now (``filed_snapshot``): the filed report shows them whatever the data say later."""
    refusal = filing_refusal(venue, year)
    if refusal is not None:
        raise refusal
    submission = _editable(manager, venue, year)
    now = utcnow()
    submission.submitted_at, submission.submitted_by_id, submission.updated_at = now, manager.id, now
    submission.filed_figures = filed_snapshot(report_figures(venue, year))
    db.session.flush()
    return submission


def return_report(admin, venue: Venue, year: int, reason: str) -> ReportSubmission:
    """The city admin hands a submitted report back to the venue: its remarks become editable and it
    must be submitted again. The venue's managers are told why by message."""
    if not can_return_report(admin):
        raise Forbidden(_l("Only the city admin returns annual reports."))
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Say what the venue should correct."), field="reason")
    if len(reason) > RETURN_REASON_MAX:
        raise DomainError("reason_too_long", _l("Keep the reason under 2,000 characters."), field="reason")
    submission = submission_for(venue.id, year)
    if submission is None or submission.submitted_at is None:
        raise DomainError("not_submitted", _l("This report is not submitted (it may have been returned already): "
                                              "there is nothing to return."), status=409)
    now = utcnow()
    # First: the relationship lists returns newest first, and this one may be read before a reload.
    submission.returns.insert(0, ReportReturn(reason=reason, returned_at=now, returned_by_id=admin.id,
                                              filed_at=submission.submitted_at))
    # No longer filed: it shows the live figures again, and its next filing keeps its own.
    submission.submitted_at = submission.submitted_by_id = submission.filed_figures = None
    submission.updated_at = now
    _tell_managers_report_returned(venue, year, reason)
    db.session.flush()
    return submission


def pending_return(submission: ReportSubmission | None) -> ReportReturn | None:
    """The return the venue has still to answer: the latest, while the report is not filed again.
    Filing it again answers it; it then stays in ``submission.returns`` as history."""
    if submission is None or submission.submitted_at is not None or not submission.returns:
        return None
    return submission.returns[0]


# --- the public's reading -------------------------------------------------------------------------

def filed_years(venue_id: int) -> list[int]:
    """The years whose report the venue has filed (and that were not returned since), newest first:
    what the venue's public page lists."""
    return list(db.session.scalars(select(ReportSubmission.year).where(ReportSubmission.venue_id == venue_id,
                                                                       ReportSubmission.submitted_at.isnot(None))
                                   .order_by(ReportSubmission.year.desc())))


def public_report(venue: Venue, year: int) -> dict | None:
    """A filed report as the public reads it: the figures as filed (None for a report filed before
    figures were kept), the manager's remarks and the day it was filed; nobody's name. None when the
    year's report is not filed (never, or returned and not filed again)."""
    submission = submission_for(venue.id, year)
    if submission is None or submission.submitted_at is None:
        return None
    figures = figures_as_filed(submission.filed_figures) if submission.filed_figures else None
    return {"venue": venue, "year": year, "filed_at": submission.submitted_at, "text": submission.text,
            "figures": figures}


def _tell_managers_report_returned(venue: Venue, year: int, reason: str) -> None:
    from app.accounts.managers import active_venue_managers
    from app.core.i18n import localized
    from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url

    for manager in active_venue_managers(venue.id):
        queue_message(
            kind="annual_report_returned", recipient=manager.email, user=manager,
            subject=_l("Your %(year)d annual report was returned", year=year),
            body=paragraphs(
                _l("Hello %(name)s,", name=manager.name),
                _l("The city science association returned the %(year)d annual report of %(venue)s. Reason: "
                   "%(reason)s", year=year, venue=localized(venue, "name", recipient_locale(manager)), reason=reason),
                _l("Correct the remarks and submit the report again:"),
                site_url(f"/manage/reports/{year}"),
            ),
        )

