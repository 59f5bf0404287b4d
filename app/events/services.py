"""Themed events: programs tied to a themed day, with their own slots, listed city-wide.

Themed days themselves (their dates, the file they load from) are in ``app.events.themed_days``.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from app.accounts.models import Role
from app.core.errors import DomainError
from app.core.pagination import Page, paginate
from app.extensions import db
from app.scheduling.models import Program, Slot, SlotStatus
from app.venues.models import Venue, VenueStatus

FEED_LIMIT = 2000  # slots in one calendar feed: months of a busy city, a bounded response


def can_manage_themed_days(user) -> bool:
    """Only the city admin sets themed days' dates."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.CITY_ADMIN


@dataclass(frozen=True)
class EventFilters:
    theme: str | None = None  # a themed day's key
    district: str | None = None  # a district code


def _themed(query: Select, now: datetime, filters: EventFilters) -> Select:
    query = (query.select_from(Slot).join(Program, Program.id == Slot.program_id).join(Venue, Venue.id == Slot.venue_id)
             .where(Program.themed_day_key.isnot(None), Program.is_active.is_(True),
                    Slot.status == SlotStatus.OPEN, Slot.ends_at > now, Venue.status == VenueStatus.APPROVED))
    if filters.theme:
        query = query.where(Program.themed_day_key == filters.theme)
    if filters.district:
        query = query.where(Venue.district_code == filters.district)
    return query


def upcoming_event_slots(now: datetime, filters: EventFilters = EventFilters()) -> Select:
    """Open slots of themed-day programs at approved venues that have not ended, soonest first."""
    return _themed(select(Slot), now, filters).order_by(Slot.starts_at, Slot.id)


@dataclass
class Event:
    program: Program
    slots: list[Slot]


def upcoming_events(now: datetime, filters: EventFilters, page: int, per_page: int) -> Page:
    """A page of themed events (programs with upcoming slots), the soonest first, each with its slots."""
    programs = (_themed(select(Program), now, filters)
                .group_by(Program.id).order_by(func.min(Slot.starts_at), Program.id))
    result = paginate(programs, page, per_page)
    slots = defaultdict(list)
    if result.items:
        ids = [p.id for p in result.items]
        for slot in db.session.scalars(upcoming_event_slots(now, filters).where(Slot.program_id.in_(ids))):
            slots[slot.program_id].append(slot)
    result.items = [Event(p, slots[p.id]) for p in result.items]
    return result


# --- an event's dates and its themed day's ---------------------------------------------------------

def within_themed_dates(themed_day, day: date) -> bool:
    """Whether ``day`` is one of the themed day's dates: those of its year, or of a range that began
    the year before and runs into this one (a week across New Year)."""
    from app.events.themed_days import dates_in

    for year in (day.year, day.year - 1):
        found = dates_in(themed_day, year)
        if found is not None and found.starts_on <= day <= found.ends_on:
            return True
    return False


class OutsideThemedDates(DomainError):
    """Some days of a themed event fall outside its themed day's dates that year, or that year's dates
    are not announced. Not a refusal: a themed week's activities sometimes run a few days around it, so
    the manager is told, next to the date, and confirms (``token``, sent back with the confirmation,
    stands for exactly these days: a confirmation of other days does not count)."""

    status = 409

    def __init__(self, themed_day, days: list[date], field: str):
        from app.core.i18n import localized
        from app.core.templating import local_date, local_date_range
        from app.events.themed_days import dates_in

        first = days[0]
        announced = dates_in(themed_day, first.year)
        values = dict(name=localized(themed_day, "name"), year=first.year, day=local_date(first))
        # One day, or several (a schedule): two sentences, not plural forms of one.
        if announced is not None:
            values["dates"] = local_date_range(announced.starts_on, announced.ends_on)
            message = (_l("%(day)s is outside the dates of %(name)s in %(year)d: %(dates)s.", **values)
                       if len(days) == 1 else
                       _l("%(num)d of these days, from %(day)s, are outside the dates of %(name)s in %(year)d: "
                          "%(dates)s.", num=len(days), **values))
        else:
            message = (_l("The dates of %(name)s in %(year)d are not announced yet, so %(day)s cannot be checked "
                          "against them.", **values)
                       if len(days) == 1 else
                       _l("The dates of %(name)s in %(year)d are not announced yet, so %(num)d of these days, from "
                          "%(day)s, cannot be checked against them.", num=len(days), **values))
        super().__init__("outside_themed_dates", message, field=field)
        self.themed_day, self.days, self.announced = themed_day, days, announced
        self.token = hashlib.sha256(
            f"{themed_day.key}:{','.join(d.isoformat() for d in days)}".encode()).hexdigest()[:20]


CONFIRM_THEMED_DATES = _l("Yes, publish it on these dates")


def check_event_dates(themed_day_key: str | None, days, *, confirmed: str | bool | None, field: str) -> None:
    """The rule for publishing a themed event's sessions (a program tied to ``themed_day_key``) on
    ``days``: days outside the themed day's dates of their year, or in a year whose dates are not
    announced, raise ``OutsideThemedDates`` unless ``confirmed`` is its ``token`` (the manager saw
    these very days and ticked the confirmation) or True (a venue's own scheduling system, through the
    API, states its intent by publishing). A program not tied to a themed day (None), or to one no
    longer known, publishes on any day."""
    if not themed_day_key or confirmed is True:
        return
    from app.events.themed_days import themed_day_by_key

    themed_day = themed_day_by_key(themed_day_key)
    if themed_day is None:
        return
    outside = sorted({d for d in days if not within_themed_dates(themed_day, d)})
    if not outside:
        return
    warning = OutsideThemedDates(themed_day, outside, field)
    if confirmed and confirmed == warning.token:
        return
    raise warning
