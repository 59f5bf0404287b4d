"""The elder-friendly booking flow (适老化): a citizen books one question per screen.

Nothing waits on the server between screens: the answers travel in the URL, and in hidden fields on
the last screen, which posts them to ``services.book_individual_visit`` as the one-page form does.
Every screen checks the answers before it again, with the fields of ``IndividualBookingForm`` and
the services' own checks, so the rules cannot differ from the one-page form's.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import ClassVar

from flask import abort, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.accounts.models import User
from app.bookings import capacity, services
from app.bookings.forms import IndividualBookingForm
from app.bookings.rules import cancel_deadline, rules_for
from app.core.errors import DomainError
from app.core.forms import apply_error, validate_field
from app.core.time import to_local, utcnow
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus
from app.venues.models import Venue

# The screens in order. "guardian" is asked only when children come, as part of step 4, so the
# count people see ("Step 3 of 5") never changes half-way through.
SCREENS = ("day", "time", "people", "children", "guardian", "check")
STEP_OF = {"day": 1, "time": 2, "people": 3, "children": 4, "guardian": 4, "check": 5}
STEP_COUNT = 5
FIELD_OF = {"people": "party_size", "children": "children", "guardian": "guardian_confirmed"}
SCREEN_OF_FIELD = {name: screen for screen, name in FIELD_OF.items()}
ANSWERS = ("day", "slot", "party_size", "children", "guardian_confirmed", "join_waitlist")
WEEKS_AHEAD = 4  # how far the day screen looks; public booking windows open a week ahead by default


@dataclass(frozen=True)
class DayChoice:
    date: date
    places_left: int
    days_away: int  # 0 today, 1 tomorrow: the screen names those two


@dataclass
class Flow:
    """Where a citizen is in the flow: the screen to show, the answers so far, and what it lists."""

    venue: Venue
    answers: dict[str, str]
    form: IndividualBookingForm
    screen: str = "day"
    slot: Slot | None = None
    day: date | None = None
    days: list[DayChoice] = field(default_factory=list)
    times: list[Slot] = field(default_factory=list)
    error: str | None = None  # what is wrong with the day or time chosen (no form field holds those)
    status: int = 200
    booked: int | None = None  # the citizen's booking of the time chosen, if it stands: shown, not booked again
    full: bool = False  # no room for the party at the time chosen, as the slot is now (the check screen)
    # When changes and cancellations close for the time chosen, if they already have (the check screen):
    # the one-page form says so before booking too (``rules.outlook``).
    changes_closed_at: datetime | None = None
    step_count: ClassVar[int] = STEP_COUNT
    weeks_ahead: ClassVar[int] = WEEKS_AHEAD

    @property
    def step(self) -> int:
        return STEP_OF[self.screen]

    @property
    def children(self) -> int:
        return self.form.children.data or 0

    @property
    def party_limit(self) -> int:
        return rules_for(self.venue).party_limit

    @property
    def join_waitlist(self) -> bool:
        return bool(self.form.join_waitlist.data)

    def asks(self, screen: str) -> bool:
        return screen != "guardian" or self.children > 0

    def url(self, screen: str, **changes) -> str:
        """A link to ``screen`` keeping every answer so far; a change to ``None`` drops that answer."""
        params = {**self.answers, **changes}
        return url_for("bookings.book_in_steps", venue_id=self.venue.id, step=screen,
                       **{name: value for name, value in params.items() if value is not None})

    @property
    def back_url(self) -> str:
        if self.screen == "day":
            return url_for("venues.detail", venue_id=self.venue.id)
        earlier = SCREENS[:SCREENS.index(self.screen)]
        return self.url(next(s for s in reversed(earlier) if self.asks(s)))

    def carried(self, *asked_here: str) -> list[tuple[str, str]]:
        """The answers a screen's form passes on unchanged, as hidden fields."""
        return [(name, value) for name, value in self.answers.items() if name not in asked_here]

    def show(self, screen: str, now: datetime) -> Flow:
        self.screen = screen
        if screen == "day":
            # A citizen books as nobody's partner: places held for partner schools are not theirs.
            today = to_local(now).date()
            self.days = [DayChoice(day, sum(capacity.places_for(s, partner=False, now=now) for s in slots),
                                   (day - today).days)
                         for day, slots in groupby(bookable_slots(self.venue, now), key=lambda s: s.local_date)]
        elif screen == "time":
            self.times = bookable_slots(self.venue, now, on=self.day)
        elif screen == "check":
            # Full or not as the slot is now, by the booking's own rule: the waiting list chosen on the
            # time screen may have a place by now, and a time chosen with places may have filled.
            self.full = not capacity.has_room(self.slot, self.form.party_size.data, partner=False, now=now)
            deadline = cancel_deadline(self.slot, rules_for(self.venue))
            self.changes_closed_at = deadline if now >= deadline else None
            if not self.form.request_key.data:
                self.form.request_key.data = uuid.uuid4().hex  # the same confirmation twice books once
        return self

    def refused(self, exc: DomainError, booker: User, now: datetime) -> Flow:
        """Show why the booking was refused: next to the question it is about, else on the check
        screen; a booking of this time made meanwhile (another tab) on the time screen, with its link."""
        self.status = exc.status if exc.status in (400, 403, 409) else 400
        if exc.code == "duplicate_booking":
            self.booked = services.active_booking_id(booker, self.slot)
            return self.show("time", now)
        apply_error(self.form, exc)
        self.screen = SCREEN_OF_FIELD.get(exc.field, "check")
        self.full = self.full or exc.code == "slot_full"
        return self


def bookable_slots(venue: Venue, now: datetime, *, on: date | None = None) -> list[Slot]:
    """The venue's slots a citizen may book now, over the next weeks or on one day, full ones too
    (they take a waiting list), by start."""
    query = select(Slot).where(Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN,
                               Slot.audience.in_(services.PUBLIC_AUDIENCES), Slot.starts_at > now)
    if on is not None:
        query = query.where(Slot.local_date == on)
    else:
        query = query.where(Slot.local_date <= to_local(now).date() + timedelta(weeks=WEEKS_AHEAD))
    return [slot for slot in db.session.scalars(query.order_by(Slot.starts_at, Slot.id))
            if _problem_with_slot(slot, now) is None]


def read(venue: Venue, data: Mapping[str, str], *, booker: User, form: IndividualBookingForm | None = None,
         now: datetime | None = None) -> Flow:
    """The screen for ``data`` (the query string, or the last screen's post): the ``step`` asked
    for, unless an answer before it is missing or wrong; then that question comes back, with its
    message when it was wrong. A time ``booker`` holds already stops at the time screen, which
    links their booking. ``form`` is the posted form when the last screen was sent."""
    now = now or utcnow()
    answers = {name: data[name] for name in ANSWERS if data.get(name) is not None}
    sent = form is not None
    if form is None:
        form = IndividualBookingForm(formdata=MultiDict(answers), meta={"csrf": False})
    flow = Flow(venue, answers, form)
    if "slot" in answers:
        flow.slot = _venue_slot(venue, answers["slot"])
        answers["day"] = flow.slot.local_date.isoformat()  # the time chosen fixes the day
        flow.booked = services.active_booking_id(booker, flow.slot)  # the one-page form's rule
    flow.day = _parse_day(answers.get("day"))
    if flow.children == 0:
        answers.pop("guardian_confirmed", None)  # nobody to be guardian of

    wanted = data.get("step") if data.get("step") in SCREENS else "day"
    for screen in SCREENS[:SCREENS.index(wanted)]:
        if not flow.asks(screen):
            continue
        if not _answered(flow, screen):
            if screen in FIELD_OF and data.get("asked") == FIELD_OF[screen]:
                # Sent from this very screen with nothing chosen (a radio left unpicked): say so.
                getattr(flow.form, FIELD_OF[screen]).errors = [_l("Please choose one of the answers.")]
                flow.status = 400
            return flow.show(screen, now)
        if not _answer_holds(flow, screen, now):
            flow.status = 400
            return flow.show(screen, now)
        if screen == "time" and flow.booked is not None and not sent:
            # Not a second booking of it: the time screen links the first. A post of the last screen
            # goes on to the service, which knows a repeated press (its request key) from a second booking.
            return flow.show(screen, now)
    while not flow.asks(wanted):
        wanted = SCREENS[SCREENS.index(wanted) + 1]
    return flow.show(wanted, now)


def _venue_slot(venue: Venue, value: str) -> Slot:
    slot = db.session.get(Slot, int(value)) if value.isascii() and value.isdigit() and len(value) < 10 else None
    if slot is None or slot.venue_id != venue.id:
        abort(404)
    return slot


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _answered(flow: Flow, screen: str) -> bool:
    if screen == "day":
        return "day" in flow.answers
    if screen == "time":
        return flow.slot is not None
    return FIELD_OF[screen] in flow.answers


def _answer_holds(flow: Flow, screen: str, now: datetime) -> bool:
    """Whether the answer to ``screen`` passes the form field and the services' checks; if not,
    the message is put where the screen shows it."""
    if screen == "day":
        if flow.slot is None and not (flow.day and bookable_slots(flow.venue, now, on=flow.day)):
            # "Any more" only of a day that had its chance: a day to come may simply have no times yet.
            gone = flow.day is not None and flow.day <= to_local(now).date()
            flow.error = _l("There are no times to book on this day any more. Please choose another day.") if gone \
                else _l("There are no times to book on this day. Please choose another day.")
        return flow.error is None
    if screen == "time":
        flow.error = _problem_with_slot(flow.slot, now)
        return flow.error is None
    form = flow.form
    bound = getattr(form, FIELD_OF[screen])
    if not validate_field(form, bound):
        return False
    problem = _problem_with_party(flow)
    if problem is not None and SCREEN_OF_FIELD.get(problem.field) == screen:
        apply_error(form, problem)
        return False
    return True


def _problem_with_slot(slot: Slot, now: datetime) -> str | None:
    try:
        services.check_public_slot(slot, now)
    except DomainError as exc:
        return exc.message
    return None


def _problem_with_party(flow: Flow) -> DomainError | None:
    """The first thing the services find wrong with the party as answered so far; answers still
    to come count as nothing yet (no children), and problems with them wait for their screen."""
    form = flow.form
    if form.party_size.data is None:
        return None
    try:
        services.check_party(rules_for(flow.venue), party_size=form.party_size.data, children=flow.children,
                             guardian_confirmed=bool(form.guardian_confirmed.data))
    except DomainError as exc:
        return exc
    return None

