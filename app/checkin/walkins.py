"""Walk-ins: visitors without a booking, counted from the venue's daily poster or by its staff.

The poster's QR opens ``/walk-in/<venue_id>/<token>`` where the token is an HMAC of the venue and
the local date under the app's SECRET_KEY: it changes at midnight, so yesterday's photo of the
poster does not work, and no state is kept for it. A phone counts once a day at a venue: its cookie
holds a random id dated for the day, and the visit keeps only a keyed hash of that id, the venue and
the day, which links nothing beyond that one visit.

The day's room: the venue's ``daily_capacity`` minus the people still expected on bookings for the
day (pending or confirmed) minus everyone already admitted that day (tickets at their actual
headcount, and walk-ins). No daily capacity means no limit.

A signed-in visitor who holds a ticket for the venue today is not a walk-in: admitted on it, they
are counted already; with it usable now, they show it at the gate (counted there, once). A signed-in
visitor's walk-in carries their account (``user_id``, and ``actor_key`` with the day's
``services.walk_in_nonce``): the account counts once a day at the venue whatever phone it uses, and
a ticket of theirs admitted later that day takes the walk-in over (``services._replace_walk_in``),
so the visit counts once, as booked. An anonymous walk-in has only its phone's hash, which no gate
can match to a booking: such a party shown a ticket later is counted twice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from app.accounts.tokens import GateDevice
from app.bookings.models import Booking, BookingStatus
from app.bookings.queries import undecided_at_start
from app.checkin.models import AudienceGroup, CheckIn, CheckInKind, CheckInResult
from app.checkin.services import GATE_MAX, OPENS_BEFORE, actor_key, admission_of, checkin_venue, walk_in_nonce
from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.core.time import to_local, utcnow
from app.extensions import db
from app.scheduling.models import Closure, Slot, SlotStatus
from app.scheduling.queries import closures_by_day
from app.stats import rollups
from app.venues.models import Venue, VenueStatus

MAX_PARTY = 10  # a party counting itself in at the poster
MAX_STAFF_GROUP = 200  # a group staff count in at the gate (a tour, a class without a booking)
# How long staff may take back a group they added at the gate: long enough to notice a typo (40 for
# 4), short enough that the day's figures others have read do not change behind them.
UNDO_MINUTES = 15
UNDO_WITHIN = timedelta(minutes=UNDO_MINUTES)
UNDONE = "undone"  # the reason an undone walk-in carries; it then counts nobody


def daily_token(venue_id: int, day: date) -> str:
    message = f"walk-in|{venue_id}|{day.isoformat()}".encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()


def token_is_valid(venue_id: int, token: str, *, now: datetime | None = None) -> bool:
    today = to_local(now or utcnow()).date()
    return hmac.compare_digest(daily_token(venue_id, today), (token or "")[:64])


def new_device_id(day: date) -> str:
    """A phone's walk-in id (its cookie) for ``day``: random, and dated so it serves that day only."""
    return f"{day.isoformat()}.{secrets.token_urlsafe(24)}"


def device_id_for(cookie: str | None, day: date) -> str | None:
    """The phone's walk-in id if its cookie was made for ``day``; any other (an older day's, or one
    of the long-lived cookies from before ids were dated) counts for nothing and is replaced."""
    cookie = (cookie or "")[:64]
    prefix = f"{day.isoformat()}."
    return cookie if cookie.startswith(prefix) and len(cookie) >= len(prefix) + 16 else None


def device_hash(device_id: str, venue_id: int, day: date) -> str:
    """What a walk-in keeps of the phone: a keyed hash that only answers "this phone already came to
    this venue today"; one phone's visits to other venues or on other days give unrelated values."""
    message = f"walk-in-device|{venue_id}|{day.isoformat()}|{device_id}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def people_counted(venue_id: int, day: date, now: datetime | None = None) -> int:
    """People the venue is counting on for ``day``: still expected on bookings, and admitted. A class
    request undecided when its visit started is not expected: it has lapsed, closed or not yet."""
    expected = db.session.scalar(
        select(func.coalesce(func.sum(Booking.seats), 0)).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.venue_id == venue_id, Slot.local_date == day,
               Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED]),
               sa.not_(undecided_at_start(now or utcnow()))))
    admitted = db.session.scalar(
        select(func.coalesce(func.sum(CheckIn.persons), 0))
        .where(CheckIn.venue_id == venue_id, CheckIn.local_date == day, CheckIn.result == CheckInResult.OK))
    return int(expected) + int(admitted)


def room_left(venue: Venue, day: date) -> int | None:
    """Walk-in places left on ``day``; ``None`` when the venue sets no daily capacity."""
    if venue.daily_capacity is None:
        return None
    return max(0, venue.daily_capacity - people_counted(venue.id, day))


def closed_on(venue_id: int, day: date) -> Closure | None:
    """The venue's closure of ``day`` (a holiday, maintenance) when nothing opens that day anyway: its
    poster then counts nobody, as the venue is shut. A special opening (an open slot published on the
    closed day, ``scheduling.services.create_slot``) opens the door, and the poster counts again."""
    closure = closures_by_day(venue_id, day, day).get(day)
    if closure is None:
        return None
    special = db.session.scalar(select(Slot.id).where(Slot.venue_id == venue_id, Slot.local_date == day,
                                                      Slot.status == SlotStatus.OPEN).limit(1))
    return closure if special is None else None


def _signed_in(visitor) -> bool:
    return getattr(visitor, "is_authenticated", False) and getattr(visitor, "id", None) is not None


def previous_walk_in(venue_id: int, day: date, device: str | None, visitor=None) -> CheckIn | None:
    """The walk-in this phone, or this signed-in ``visitor``'s account, made at the venue on ``day``."""
    made_by = []
    if device:
        made_by.append(CheckIn.device_hash == device_hash(device, venue_id, day))
    if _signed_in(visitor):
        made_by.append(sa.and_(CheckIn.actor_key == actor_key(visitor), CheckIn.nonce == walk_in_nonce(venue_id, day)))
    if not made_by:
        return None
    return db.session.scalar(select(CheckIn).where(CheckIn.venue_id == venue_id, CheckIn.local_date == day,
                                                   sa.or_(*made_by)).order_by(CheckIn.id).limit(1))


@dataclass(frozen=True)
class TicketToday:
    """A visitor's own ticket for the venue today: admitted on it (``admitted_at``), or still to show.

    ``replaces_walk_in``: admitted on it, or it admits them now, so counting them at the poster
    would count them twice. A ticket for later today (an evening program) does not stop a visit now."""

    booking: Booking
    admitted_at: datetime | None
    opens_at: datetime  # when the gate starts admitting it
    replaces_walk_in: bool


def ticket_today(visitor, venue_id: int, now: datetime | None = None) -> TicketToday | None:
    """The signed-in ``visitor``'s ticket for the venue today: the one admitted on, else the next
    one the gate can still admit; ``None`` for anonymous visitors and visitors without one.

    Today's visits are today's slots and any visit the gate is admitting now: an observation night
    from 20:00 to 01:00 is still the visit at 00:20, and a walk-in then would count its party on
    the next day besides (the ticket takes over only a walk-in of its slot's date)."""
    if not _signed_in(visitor):
        return None
    now = now or utcnow()
    today = to_local(now).date()
    under_way = sa.and_(Slot.local_date.in_((today - timedelta(days=1), today + timedelta(days=1))),
                        Slot.starts_at <= now + OPENS_BEFORE, Slot.ends_at > now)
    bookings = db.session.execute(
        select(Booking, Slot.starts_at).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == visitor.id, Booking.venue_id == venue_id,
               sa.or_(Slot.local_date == today, under_way),
               sa.or_(Booking.status == BookingStatus.CHECKED_IN,
                      sa.and_(Booking.status == BookingStatus.CONFIRMED, Slot.ends_at > now)))
        .order_by(Slot.starts_at)).all()
    for booking, starts_at in bookings:
        if booking.status == BookingStatus.CHECKED_IN:
            admission = admission_of(booking.id)
            return TicketToday(booking, admission.scanned_at if admission else now, starts_at - OPENS_BEFORE, True)
    if bookings:
        booking, starts_at = bookings[0]
        return TicketToday(booking, None, starts_at - OPENS_BEFORE, starts_at - OPENS_BEFORE <= now)
    return None


def record_walk_in(actor, venue: Venue, *, persons: int, audience_group: str, device: str | None = None,
                   gate: str | None = None, visitor=None, now: datetime | None = None) -> tuple[CheckIn, bool]:
    """Count a walk-in party today: (the visit, whether it is new). A device that already counted
    today gets its first visit back. ``actor`` is staff adding walk-ins at the gate (a group of up to
    ``MAX_STAFF_GROUP``), or ``None`` for a visitor at the poster (a party of up to ``MAX_PARTY``);
    either way within the day's room. ``visitor`` is who is signed in at the poster: a ticket of
    theirs admitted today, or admitting now, is refused (``ticket_today``); otherwise the walk-in is
    their account's, once a day at the venue, and a ticket of theirs admitted later takes it over."""
    now = now or utcnow()
    if actor is not None and checkin_venue(actor) != venue.id:
        raise Forbidden(_l("Only the venue's staff can add walk-ins."))
    ticket = ticket_today(visitor, venue.id, now) if actor is None else None
    if ticket is not None and ticket.replaces_walk_in:
        if ticket.admitted_at is not None:
            raise DomainError("admitted_on_ticket", _l("You were already checked in today on your ticket, so "
                                                       "you are counted: there is no need to register."),
                              status=409)
        raise DomainError("show_ticket", _l("You have a ticket for now: show it at the gate instead."), status=409)
    if venue.status != VenueStatus.APPROVED:
        raise DomainError("venue_closed", _l("This venue is not open to visitors on SciVisit."), status=409)
    if actor is None and (closure := closed_on(venue.id, to_local(now).date())) is not None:
        # Staff at the gate still count a group they let in (they are the door); the poster, shown on
        # an entrance screen through a closed week, would count passers-by of a shut venue.
        raise DomainError("closed_today", _l("The venue is closed today (%(reason)s): no visit can be registered.",
                                             reason=localized(closure, "reason")), status=409)
    most = MAX_PARTY if actor is None else MAX_STAFF_GROUP
    if not isinstance(persons, int) or not 1 <= persons <= most:
        raise DomainError("invalid_persons", _l("Enter 1 to %(max)d people.", max=most), field="persons")
    try:
        group = AudienceGroup(audience_group)
    except ValueError:
        raise DomainError("invalid_group", _l("Choose who is visiting."), field="audience_group") from None
    day = to_local(now).date()
    # A visitor signed in at the poster records it themself: their ticket admitted later takes it over.
    account = visitor if actor is None and _signed_in(visitor) else None
    recorder = actor if actor is not None else account
    earlier = previous_walk_in(venue.id, day, device, account)
    if earlier is not None:
        return earlier, False
    # One walk-in at a time per venue, so two phones cannot both take the last places.
    db.session.execute(select(Venue.id).where(Venue.id == venue.id).with_for_update())
    row = CheckIn(kind=CheckInKind.WALK_IN, result=CheckInResult.OK, venue_id=venue.id, local_date=day,
                  persons=persons, audience_group=group,
                  device_hash=device_hash(device, venue.id, day) if device else None,
                  user_id=None if recorder is None or isinstance(recorder, GateDevice) else recorder.id,
                  actor_key=actor_key(account) if account is not None else None,
                  nonce=walk_in_nonce(venue.id, day) if account is not None else None,
                  token_id=actor.token_id if isinstance(actor, GateDevice) else None,
                  gate=(gate or "").strip()[:GATE_MAX], scanned_at=now, created_at=utcnow())
    try:
        # The count includes the new row; over capacity, the savepoint takes it back.
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
            if venue.daily_capacity is not None:
                counted = people_counted(venue.id, day, now)
                if counted > venue.daily_capacity:
                    raise _day_full(actor, room=venue.daily_capacity - (counted - persons))
    except sa.exc.IntegrityError:
        earlier = previous_walk_in(venue.id, day, device, account)
        if earlier is None:
            raise
        return earlier, False
    rollups.count_admission(row)
    return row, True


def _day_full(actor, *, room: int) -> DomainError:
    if actor is None:
        return DomainError("day_full", _l("Sorry, the venue is full today. Please ask at the entrance."), status=409)
    # Staff are the entrance: tell them how large a group still fits.
    room = max(0, room)
    return DomainError("day_full", lazy_ngettext("The venue has room for %(num)d more person today.",
                                                 "The venue has room for %(num)d more people today.", room),
                       field="persons", status=409)


def undoable_walk_ins(actor, venue_id: int, now: datetime | None = None) -> list[CheckIn]:
    """The groups ``actor`` added at this venue's gate in the last ``UNDO_WITHIN``, newest first:
    those they may still take back (``undo_walk_in``)."""
    now = now or utcnow()
    since = now - UNDO_WITHIN
    # Through the venue-date index (today, and yesterday just after midnight), not the venue's history:
    # the scanner page reads this on every scan.
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.venue_id == venue_id, CheckIn.local_date >= to_local(since).date(),
                              CheckIn.result == CheckInResult.OK, CheckIn.kind == CheckInKind.WALK_IN,
                              CheckIn.persons > 0,
                              CheckIn.user_id == actor.id, CheckIn.scanned_at >= since)
        .order_by(CheckIn.scanned_at.desc(), CheckIn.id.desc())))


def undo_walk_in(actor, checkin_id: int, now: datetime | None = None) -> int:
    """Take back a group ``actor`` added at the gate in the last ``UNDO_WITHIN`` (a mistyped count):
    the row stays, counting nobody, marked ``UNDONE``, and the day's figures lose its people, in the
    caller's transaction. Returns how many people it counted. Only its own recorder may, and once:
    of two undos at once, the second finds it undone already (the conditional UPDATE is the claim)."""
    now = now or utcnow()
    checkin = db.session.get(CheckIn, checkin_id)
    if checkin is None or checkin.kind != CheckInKind.WALK_IN or checkin.user_id != actor.id \
            or checkin_venue(actor) != checkin.venue_id:
        raise DomainError("not_found", _l("No such walk-in of yours."), status=404)
    claimed = db.session.execute(
        sa.update(CheckIn).where(CheckIn.id == checkin.id, CheckIn.result == CheckInResult.OK, CheckIn.persons > 0,
                                 CheckIn.reason != UNDONE, CheckIn.scanned_at >= now - UNDO_WITHIN)
        .values(reason=UNDONE).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(checkin)
        if checkin.reason == UNDONE:
            raise DomainError("already_undone", _l("These walk-ins were taken back already."), status=409)
        raise DomainError("too_late_to_undo", _l("Walk-ins can be taken back for %(minutes)d minutes after they "
                                                 "are added.", minutes=UNDO_MINUTES), status=409)
    rollups.uncount_admission(checkin)  # with its people, before they go
    persons, checkin.persons, checkin.reason = checkin.persons, 0, UNDONE
    return persons
