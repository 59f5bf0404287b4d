"""Themed events: programs tied to a themed day, with their own slots, listed city-wide.

Themed days themselves (their dates, the file they load from) are in ``app.events.themed_days``.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from app.accounts.models import Role
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
