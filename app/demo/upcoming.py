"""The demo's next 30 days: every approved demo venue publishes public and school slots through the
scheduling service, as its manager would, and a few venues announce themed-day events."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.core.time import local_today
from app.events.models import ThemedDay
from app.events.themed_days import dates_in
from app.extensions import db
from app.scheduling import services as scheduling
from app.scheduling.models import Audience, Program, ProgramKind, Slot
from app.venues.models import Venue, VenueStatus

DAYS_AHEAD = 30
BIG_VENUE = "南京科技馆"
PUBLIC_SESSIONS = "09:00-12:00,13:30-16:30"
SCHOOL_SESSIONS = "09:30-11:30,14:00-16:00"


@dataclass(frozen=True)
class ThemedEvent:
    venue_name: str
    themed_day_key: str
    title_zh: str
    title_en: str


THEMED_EVENTS = (
    ThemedEvent("南京地质博物馆", "earth_day", "世界地球日：岩石里的地球故事", "Earth Day: the Earth's story in rocks"),
    ThemedEvent("中国北极阁气象博物馆", "world_meteorological_day", "世界气象日：做一天气象观测员",
                "World Meteorological Day: a day as a weather observer"),
    ThemedEvent(BIG_VENUE, "china_water_week", "中国水周：水从哪里来", "China Water Week: where water comes from"),
    ThemedEvent(BIG_VENUE, "disaster_reduction_day", "防灾减灾日：地震来了怎么办",
                "Disaster Reduction Day: what to do in an earthquake"),
)


def _manager_of(venue: Venue, demo_password: str) -> User:
    """The venue's manager; venues without one get a demo manager (manager-<id>@scivisit.local)."""
    manager = db.session.scalar(select(User).where(User.venue_id == venue.id, User.role == Role.VENUE_MANAGER)
                                .order_by(User.id).limit(1))
    return manager or create_user(email=f"manager-{venue.id}@scivisit.local", password=demo_password,
                                  name=f"{venue.name_zh}管理员（演示）", role=Role.VENUE_MANAGER, venue=venue,
                                  consent=True)


def publish_month(run, venue_name: str, *, demo_password: str, today: date | None = None) -> None:
    """Public and school slots from today for 30 days, unless the venue already has them.

    Units are venue names: the plan is made before the venues step has loaded them.
    """
    today = today or local_today()
    last = today + timedelta(days=DAYS_AHEAD - 1)
    venue = db.session.scalar(select(Venue).where(Venue.name_zh == venue_name))
    if venue is None or venue.status != VenueStatus.APPROVED:
        return
    already = db.session.scalar(select(Slot.id).where(Slot.venue_id == venue.id, Slot.schedule_id.isnot(None),
                                                      Slot.audience != Audience.MIXED,
                                                      Slot.local_date.between(today, last)).limit(1))
    if already is not None:
        return
    manager = _manager_of(venue, demo_password)
    big = venue.name_zh == BIG_VENUE
    for audience, sessions, capacity in ((Audience.PUBLIC, PUBLIC_SESSIONS, 2000 if big else 120),
                                         (Audience.SCHOOL, SCHOOL_SESSIONS, 400 if big else 80)):
        result = scheduling.publish_schedule(
            manager, venue, starts_on=today, ends_on=last, weekdays=scheduling.default_weekdays(venue),
            sessions=sessions, capacity=capacity, audience=audience)
        run.created += result.created


def themed_event_units() -> tuple[ThemedEvent, ...]:
    return THEMED_EVENTS


def announce_event(run, event: ThemedEvent, *, demo_password: str, today: date | None = None) -> None:
    """A themed program with slots on the themed day's next dates (within a year)."""
    today = today or local_today()
    venue = db.session.scalar(select(Venue).where(Venue.name_zh == event.venue_name))
    themed_day = db.session.scalar(select(ThemedDay).where(ThemedDay.key == event.themed_day_key))
    if venue is None or themed_day is None:
        return
    exists = db.session.scalar(select(Program.id).where(Program.venue_id == venue.id,
                                                        Program.themed_day_key == event.themed_day_key))
    if exists is not None:
        return
    dates = next((d for d in (dates_in(themed_day, today.year), dates_in(themed_day, today.year + 1))
                  if d is not None and d.ends_on >= today), None)
    if dates is None:
        return
    manager = _manager_of(venue, demo_password)
    program = Program(venue_id=venue.id, kind=ProgramKind.THEMED_ACTIVITY, title_zh=event.title_zh,
                      title_en=event.title_en, themed_day_key=event.themed_day_key, grade_min=1, grade_max=9)
    run.add(program)
    db.session.flush()
    first = max(dates.starts_on, today + timedelta(days=1))
    last = min(dates.ends_on, first + timedelta(days=6))
    result = scheduling.publish_schedule(manager, venue, starts_on=first, ends_on=last,
                                         weekdays=list(range(1, 8)), sessions="10:00-11:30,14:30-16:00",
                                         capacity=60, audience=Audience.MIXED, program_id=program.id)
    run.created += result.created
