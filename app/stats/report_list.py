"""The admins' list of a year's annual reports (/admin/reports): the venues that owe the year's
report and where each report stands, searched, filtered and counted by state, a page at a time for
the page and whole for its CSV. A district admin's list is their district's, whatever is asked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from app.accounts.models import Role
from app.core.db import LabelledEnum
from app.core.errors import DomainError, Forbidden
from app.core.pagination import Page, paginate
from app.districts.models import District
from app.extensions import db
from app.stats.models import ReportReturn, ReportSubmission
from app.stats.reports import can_list_reports, district_of_year, is_overdue, pending_return, registered_in
from app.venues.models import Venue


class ReportState(LabelledEnum):
    """Where a venue's report of a year stands. Remarks saved but not filed are not yet submitted; a
    returned report is one the city handed back that the venue has not filed again."""
    NOT_SUBMITTED = "not_submitted", _l("Not yet submitted")
    SUBMITTED = "submitted", _l("Submitted")
    RETURNED = "returned", _l("Returned to the venue")


@dataclass(frozen=True)
class ReportFilters:
    q: str = ""
    state: ReportState | None = None
    district_code: str | None = None  # the city admin's choice; a district admin's own is always applied


@dataclass(frozen=True)
class ReportRow:
    venue: Venue
    district: District  # the district the venue's year counts for (``district_of_year``)
    submission: ReportSubmission | None
    pending_return: ReportReturn | None
    state: ReportState
    overdue: bool  # not filed (never, or not again since returned) and past the year's ``report_due``


def _state():
    """SQL: the ``ReportState`` value of the outer-joined ``ReportSubmission`` (none: not submitted)."""
    returned = exists().where(ReportReturn.report_id == ReportSubmission.id)
    return sa.case((ReportSubmission.submitted_at.isnot(None), ReportState.SUBMITTED.value),
                   (returned, ReportState.RETURNED.value), else_=ReportState.NOT_SUBMITTED.value)


def _matching(admin, year: int, filters: ReportFilters, *, by_state: bool = True) -> Select:
    from app.venues.directory import matches_word

    if not can_list_reports(admin):
        raise Forbidden()
    district = district_of_year(year)
    query = (select(Venue, District, ReportSubmission).select_from(Venue)
             .join(District, District.code == district)
             .outerjoin(ReportSubmission, sa.and_(ReportSubmission.venue_id == Venue.id, ReportSubmission.year == year))
             .where(registered_in(year)))
    if admin.role == Role.DISTRICT_ADMIN:
        query = query.where(district == admin.district_code)
    elif filters.district_code:
        query = query.where(district == filters.district_code)
    for word in dict.fromkeys(filters.q.split()):  # each word must match, as in the directory
        query = query.where(matches_word(word))
    if by_state and filters.state is not None:
        query = query.where(_state() == filters.state.value)
    return query


def _ordered(query: Select) -> Select:
    return query.options(selectinload(ReportSubmission.returns)).order_by(District.code, Venue.name_zh, Venue.id)


def _row(year: int, venue: Venue, district: District, submission: ReportSubmission | None) -> ReportRow:
    pending = pending_return(submission)
    if submission is not None and submission.submitted_at is not None:
        state = ReportState.SUBMITTED
    else:
        state = ReportState.RETURNED if pending is not None else ReportState.NOT_SUBMITTED
    return ReportRow(venue, district, submission, pending, state,
                     overdue=state != ReportState.SUBMITTED and is_overdue(year))


def reports_page(admin, year: int, filters: ReportFilters, page: int, per_page: int) -> Page:
    """One page of the venues on the register in ``year`` that the admin may see and that match the
    filters, by district and name, each as a ``ReportRow``."""
    found = paginate(_ordered(_matching(admin, year, filters)), page, per_page, rows=True)
    found.items = [_row(year, *row) for row in found.items]
    return found


def reports_of_year(admin, year: int, filters: ReportFilters = ReportFilters()) -> list[ReportRow]:
    """Every matching venue's ``ReportRow`` (what the CSV holds), in the page's order."""
    return [_row(year, *row) for row in db.session.execute(_ordered(_matching(admin, year, filters)))]


def state_counts(admin, year: int, filters: ReportFilters) -> dict[ReportState, int]:
    """How many matching reports are in each state, whatever state is filtered: one grouped count."""
    states = _matching(admin, year, filters, by_state=False).with_only_columns(_state().label("state")).subquery()
    counted = dict(db.session.execute(select(states.c.state, func.count()).group_by(states.c.state)).all())
    return {state: int(counted.get(state.value, 0)) for state in ReportState}


REMINDER_INTERVAL = timedelta(days=7)


def _reminders(admin, year: int, filters: ReportFilters) -> list[tuple[ReportRow, list]]:
    """The venues of the list as filtered (every page of it) whose ``year`` report is not filed, each
    with its active managers not reminded in the last ``REMINDER_INTERVAL``; venues with none are left out."""
    from app.accounts.models import AccountStatus, User, with_status
    from app.core.time import utcnow
    from app.notifications.models import OutboxMessage

    unfiled = [row for row in reports_of_year(admin, year, filters) if row.state != ReportState.SUBMITTED]
    if not unfiled:
        return []
    reminded_lately = select(OutboxMessage.user_id).where(OutboxMessage.kind == "annual_report_reminder",
                                                          OutboxMessage.created_at >= utcnow() - REMINDER_INTERVAL,
                                                          OutboxMessage.user_id.isnot(None))
    managers: dict[int, list] = {}
    # The managers ``active_venue_managers`` names, for every venue of the list in one query.
    for manager in db.session.scalars(
            select(User).where(User.role == Role.VENUE_MANAGER, User.venue_id.in_([r.venue.id for r in unfiled]),
                               with_status(AccountStatus.ACTIVE), User.id.not_in(reminded_lately))
            .order_by(User.name, User.id)):
        managers.setdefault(manager.venue_id, []).append(manager)
    return [(row, managers[row.venue.id]) for row in unfiled if row.venue.id in managers]


def venues_to_remind(admin, year: int, filters: ReportFilters) -> int:
    """How many venues ``remind_unfiled`` would remind now, for its button to say; 0 before the year is over."""
    from app.core.time import local_today
    from app.stats.reports import submission_opens

    return len(_reminders(admin, year, filters)) if local_today() >= submission_opens(year) else 0


def remind_unfiled(admin, year: int, filters: ReportFilters) -> int:
    """Remind by email the managers of the venues of the admin's list as filtered (a district admin's
    district, the search, status and district asked) whose ``year`` report is not filed, once the
    year is over; a manager reminded in the last ``REMINDER_INTERVAL`` is not reminded again. Returns
    how many venues were reminded."""
    from app.core.i18n import localized
    from app.core.time import local_today
    from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url
    from app.stats.reports import report_due, submission_opens

    if local_today() < submission_opens(year):
        raise DomainError("year_not_over", _l("The %(year)d reports can be submitted from 1 January %(next)d: there "
                                              "is nothing to remind of yet.", year=year, next=year + 1), status=409)
    due, overdue = report_due(year), is_overdue(year)
    reminders = _reminders(admin, year, filters)
    for row, managers in reminders:
        for manager in managers:
            name = localized(row.venue, "name", recipient_locale(manager))
            queue_message(
                kind="annual_report_reminder", recipient=manager.email, user=manager,
                subject=_l("Reminder: your %(year)d annual report", year=year),
                body=paragraphs(
                    _l("Hello %(name)s,", name=manager.name),
                    _l("The %(year)d annual report of %(venue)s is overdue: it was due by %(day)s.", year=year,
                       venue=name, day=due.isoformat()) if overdue else
                    _l("The %(year)d annual report of %(venue)s is due by %(day)s and has not been submitted yet.",
                       year=year, venue=name, day=due.isoformat()),
                    _l("Check its figures, add your remarks and submit it:"),
                    site_url(f"/manage/reports/{year}"),
                ),
            )
    db.session.flush()
    return len(reminders)
