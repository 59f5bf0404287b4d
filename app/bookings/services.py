"""Booking services: the rules of booking, changing and cancelling visits.

Every change of places goes through ``app.bookings.capacity``. Services flush, never commit;
on ``DomainError`` the caller rolls the whole transaction back, so nothing is half-booked. One
exception: the waiters a booking attempt promotes first are committed before the newcomer is
decided (``_serve_waiting_list_first``), as their places are theirs whatever the newcomer gets.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from flask_babel import lazy_ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import exc, func, select

from app.accounts.models import Role, User
from app.bookings import capacity, notify, queries
from app.bookings.party import class_party
from app.bookings.models import (ACTIVE_STATUSES, CLASS_ADULTS_MAX, CLASS_NAME_MAX, SEAT_HOLDING_STATUSES, Booking,
                                 BookingKind, BookingRules, BookingStatus, class_key, normal_class_name)
from app.bookings.rules import (PUBLIC_AUDIENCES, SCHOOL_AUDIENCES, adults_needed, booking_window, cancel_deadline,
                                is_partner, places_seen, rules_for, window_for)
from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.core.templating import local_date, slot_hours
from app.core.time import to_local, utcnow
from app.extensions import db
from app.scheduling.models import Audience, Program, Slot, SlotStatus
from app.scheduling.queries import active_program
from app.schools.models import School
from app.venues.forms import GRADES
from app.venues.models import VenueStatus


# --- policy -------------------------------------------------------------------------------

def can_view_booking(user: User, booking: Booking) -> bool:
    if not user.is_authenticated:
        return False
    if booking.user_id == user.id:
        return True
    if user.role in (Role.VENUE_MANAGER, Role.VENUE_STAFF):
        return user.venue_id == booking.venue_id
    if user.role == Role.DISTRICT_ADMIN:
        return booking.venue.district_code == user.district_code
    return user.role == Role.CITY_ADMIN


def sees_booker(user: User, booking: Booking) -> bool:
    """Whether ``user`` is shown who made ``booking`` and their masked mobile, to reach them about the
    visit: the venue's own staff and managers (administrators overseeing it are not)."""
    return (user.is_authenticated and user.role in (Role.VENUE_MANAGER, Role.VENUE_STAFF)
            and user.venue_id == booking.venue_id)


def can_decide_booking(user: User, booking: Booking) -> bool:
    return user.is_authenticated and user.role == Role.VENUE_MANAGER and user.venue_id == booking.venue_id


# --- booking ------------------------------------------------------------------------------

def _existing_for_request(user: User, request_key: str | None, slot: Slot, **asked) -> Booking | None:
    """The booking this request made when it was sent before (a retry gets the same answer), or None.

    A key stands for one request: sent again for another slot, party or class it is refused, as
    answering with the first booking would say it booked what it did not. ``asked`` holds the
    request's figures; one given as None was not asked."""
    if not request_key:
        return None
    booking = db.session.scalar(
        select(Booking).where(Booking.user_id == user.id, Booking.request_key == request_key))
    if booking is None:
        return None
    made = {name: getattr(booking, name) or (0 if name == "children" else None) for name in asked}
    if booking.slot_id != slot.id or any(value is not None and made[name] != value for name, value in asked.items()):
        raise DomainError("idempotency_key_reused",
                          _l("This request was sent before for another booking, so nothing was booked. "
                             "Please make the new booking as a new request."), status=409)
    return booking


def book_once(book: Callable[[], Booking], request_key: str | None) -> Booking:
    """``book()``, a booking call made with ``request_key``. The same request sent twice at once (a
    double click, a client's retry after a timeout) passes the key lookup twice; the second INSERT then
    meets the first's booking in the unique index. Rolled back, it is asked once more and finds that
    booking by its key, the answer a later retry gets."""
    try:
        return book()
    except DomainError as error:
        if error.code != "duplicate_booking" or not request_key:
            raise
        db.session.rollback()
        return book()


def _check_slot_bookable(slot: Slot, audiences, now: datetime, window: tuple[datetime, datetime]) -> None:
    if slot.status != SlotStatus.OPEN or slot.venue.status != VenueStatus.APPROVED:
        raise DomainError("slot_unavailable", _l("This time is no longer open for booking."))
    if slot.audience not in audiences:
        code_msg = (_l("This time is for school groups only.") if slot.audience == Audience.SCHOOL
                    else _l("This time is for individual visitors only."))
        raise DomainError("wrong_audience", code_msg)
    if slot.starts_at <= now:
        raise DomainError("slot_past", _l("This time has already started or passed."))
    opens, closes = window
    if now >= closes:
        raise DomainError("outside_booking_window", _booking_closed(closes))
    if now < opens:
        raise DomainError("outside_booking_window",
                          _l("Booking for this time is not open now. It is open from %(opens)s until %(closes)s.",
                             opens=_local_text(opens), closes=_local_text(closes)))


def _booking_closed(closes: datetime):
    """Why a slot past its cut-off cannot be booked, naming when booking closed in Nanjing time, the day
    written in full in the language the message is read in (as the booking page writes it)."""
    return _l("Booking for this visit closed at %(time)s on %(day)s.", time=f"{to_local(closes):%H:%M}",
              day=LazyString(local_date, closes, "full"))


def _local_text(value: datetime) -> str:
    from app.core.time import to_local

    return to_local(value).strftime("%Y-%m-%d %H:%M")


def _check_no_show_block(user: User, rules: BookingRules, now: datetime) -> None:
    if rules.noshow_limit <= 0:
        return
    since = now - timedelta(days=rules.noshow_window_days)
    no_shows = db.session.execute(
        select(func.count(Booking.id), func.max(Slot.starts_at))
        .join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == user.id, Booking.status == BookingStatus.NO_SHOW, Slot.starts_at >= since)
    ).one()
    count, last = no_shows
    if count >= rules.noshow_limit and last is not None and last > now - timedelta(days=rules.noshow_block_days):
        raise DomainError("noshow_blocked",
                          _ln("You missed %(num)d booked visit recently, so new bookings are paused until %(until)s.",
                              "You missed %(num)d booked visits recently, so new bookings are paused until "
                              "%(until)s.", count,
                              until=_local_text(last + timedelta(days=rules.noshow_block_days))))


def _insert(booking: Booking, clash_message=None) -> Booking:
    """Add ``booking``; the database's unique indexes refuse a second active booking of the same
    person (or, for a class, ``clash_message``: of the same class) that got past the checks."""
    db.session.add(booking)
    try:
        db.session.flush()
    except exc.IntegrityError as error:
        same_class = clash_message is not None and "class" in str(error.orig)
        raise DomainError("duplicate_booking", clash_message if same_class else _already_booked(),
                          field="class_name" if same_class else None, status=409) from error
    return booking


def _already_booked():
    return _l("You already have a booking for this time.")


def active_booking_id(user: User, slot: Slot) -> int | None:
    """The person's booking of ``slot`` that still stands (one at most), if any."""
    return db.session.scalar(_active_booking(), {"slot_id": slot.id, "user_id": user.id})


def _has_active_booking(user: User, slot: Slot) -> bool:
    return active_booking_id(user, slot) is not None


@functools.cache
def _active_booking():
    # Built once per process: every booking attempt runs it.
    return (select(Booking.id)
            .where(Booking.slot_id == sa.bindparam("slot_id"), Booking.user_id == sa.bindparam("user_id"),
                   Booking.status.in_([BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED,
                                       BookingStatus.CHECKED_IN]))
            .limit(1))


def check_public_slot(slot: Slot, now: datetime | None = None) -> None:
    """Raise why a citizen cannot book ``slot`` now (closed, for schools, started, outside its window)."""
    _check_slot_bookable(slot, PUBLIC_AUDIENCES, now or utcnow(), booking_window(slot))


def check_party(rules, *, party_size: int, children: int = 0, guardian_confirmed: bool = False) -> None:
    """Raise what is wrong with a citizen's party, checked in the order the questions are asked:
    its size, then the children in it, then the guardian's confirmation."""
    if not 1 <= party_size <= rules.party_limit:
        raise DomainError("party_too_large" if party_size > rules.party_limit else "invalid_party_size",
                          _l("A booking is for 1 to %(limit)d people.", limit=rules.party_limit),
                          field="party_size")
    if not 0 <= children <= party_size:
        raise DomainError("invalid_children", _l("Children cannot be more than the whole party.") if children > 0
                          else _l("Give the number of children under 14: 0 or more."), field="children")
    if children and children == party_size:
        # The guardian who confirms below comes too, and needs a place of their own.
        raise DomainError("guardian_not_counted", _l("Children come with an adult: count the accompanying adult in "
                                                     "the party."), field="children")
    if children and not guardian_confirmed:
        raise DomainError("guardian_required",
                          _l("Children under 14 must be booked by their guardian: please confirm."),
                          field="guardian_confirmed")


def book_individual_visit(user: User, slot: Slot, *, party_size: int, children: int = 0,
                          guardian_confirmed: bool = False, join_waitlist: bool = False,
                          request_key: str | None = None, now: datetime | None = None) -> Booking:
    """Book places for a citizen's party; confirmed at once, or waitlisted when full and asked for.
    Children under 14 need the guardian's confirmation (``check_party``); with no children there is
    nobody to confirm for, and none is recorded.

    A repeated ``request_key`` returns the booking the first submission made.
    """
    now = now or utcnow()
    existing = _existing_for_request(user, request_key, slot, party_size=party_size, children=children)
    if existing is not None:
        return existing
    if user.role != Role.CITIZEN:
        raise Forbidden(_l("Individual visits are booked with a citizen account."))
    as_seen = capacity.terms_of(slot)  # what the checks read: a correction meanwhile books nothing
    check_public_slot(slot, now)
    rules = rules_for(slot.venue)
    check_party(rules, party_size=party_size, children=children, guardian_confirmed=guardian_confirmed)
    if party_size > slot.capacity:  # no place coming free would ever make room: no waiting list either
        raise DomainError("party_too_large", _ln(
            "This time takes at most %(num)d person in all, so this party cannot book it, not even on the "
            "waiting list. Choose another time.",
            "This time takes at most %(num)d people in all, so this party cannot book it, not even on the "
            "waiting list. Choose another time.", slot.capacity), field="party_size")
    if _has_active_booking(user, slot):
        raise DomainError("duplicate_booking", _already_booked(), status=409)
    # A full slot is said before the no-show check and without queuing on the slot's row: at 9:00
    # on a popular day most requests are for places already gone.
    if not join_waitlist and not capacity.has_room(slot, party_size, partner=False, now=now):
        raise _no_room_for_party(slot, now)
    _check_no_show_block(user, rules, now)
    _serve_waiting_list_first(slot, party_size, partner=False, now=now)

    booking = _insert(Booking(
        slot_id=slot.id, venue_id=slot.venue_id, user_id=user.id, kind=BookingKind.INDIVIDUAL,
        status=BookingStatus.WAITLISTED, party_size=party_size, children=children, seats=party_size,
        guardian_confirmed=bool(children and guardian_confirmed), request_key=request_key,
        program_id=slot.program_id,
    ))
    if capacity.take_seats(slot.id, party_size, partner=False, now=now, as_seen=as_seen):
        booking.status = BookingStatus.CONFIRMED
        notify.booking_event(booking, "confirmed")
    elif join_waitlist:
        capacity.hold_open_for_waiting_list(slot.id)
        notify.booking_event(booking, "waitlisted")
    else:
        raise _no_room_for_party(slot, now)
    return booking


def _serve_waiting_list_first(slot: Slot, seats: int, *, partner: bool, now: datetime) -> None:
    """Places free to everyone go to the waiting list before a newcomer. Nothing frees them when a
    partner reserve is released but the clock, so a booking attempt promotes the waiters first
    (the slot's row is the lock, as on a cancel) and commits them, with their messages, before the
    newcomer is decided: a newcomer refused then (the places left do not fit it) rolls back its own
    attempt only, and the waiters stay confirmed. Asked only when the newcomer would get places or
    the reserve has been released: a request for a full slot costs nothing more."""
    if not capacity.places_for(slot, partner=False, now=now):
        return
    released = slot.reserve_until is not None and slot.reserve_until <= now
    if not (released or capacity.has_room(slot, seats, partner=partner, now=now)):
        return
    promoted = db.session.scalar(_waiter(), {"slot_id": slot.id}) is not None and promote_waitlist(slot.id, now=now)
    # The attempt has written nothing else yet: this commits the promotion alone and frees the slot's
    # row; the newcomer's places are then taken by their own conditional UPDATE. A caller holding a
    # savepoint of its own (the demo's history) keeps the promotion in it: it owns that transaction.
    if promoted and not db.session().in_nested_transaction():
        db.session.commit()


@functools.cache
def _waiter():
    return (select(Booking.id)
            .where(Booking.slot_id == sa.bindparam("slot_id"), Booking.status == BookingStatus.WAITLISTED)
            .limit(1))


def _no_room_for_class(slot: Slot, seats: int, *, partner: bool, now: datetime) -> DomainError:
    """Why a class of ``seats`` does not fit: plainly full, or full for a school that is not a
    partner while places are still held for partner schools (said, with until when)."""
    seen = places_seen(slot, now, partner=partner)
    if seen.held_for_partners:
        message = _ln("Places your school can book at this time: %(left)d. %(num)d more place is held for "
                      "partner schools until %(until)s.",
                      "Places your school can book at this time: %(left)d. %(num)d more places are held for "
                      "partner schools until %(until)s.", seen.held_for_partners, left=seen.left,
                      until=_local_text(seen.held_until))
    else:
        message = _l("Not enough places left at this time for %(n)d people.", n=seats)
    return DomainError("slot_full", message, status=409)


def _no_room_for_party(slot: Slot, now: datetime) -> DomainError:
    """Why a citizen's party does not fit: the slot is full, or fewer places are left than asked
    (said how many, as a smaller party may still book). Either way the waiting list is open."""
    left = capacity.places_for(slot, partner=False, now=now)
    if left > 0:
        message = _ln("Only %(num)d place is left at this time. You can join the waiting list.",
                      "Only %(num)d places are left at this time. You can join the waiting list.", left)
    else:
        message = _l("This time is fully booked. You can join the waiting list.")
    return DomainError("slot_full", message, status=409)


def _class_program(slot: Slot, program_id, grade: int):
    """The program the class books, checked for the class's grade. A slot that runs a program
    offers that one only (another asked for is refused: the session does not run it); a slot
    without one offers the venue's active programs, or a general visit (``program_id`` empty)."""
    if slot.program is not None:
        program = slot.program
        if program_id and program_id != program.id:
            raise DomainError("invalid_program", _l("This time runs %(program)s only. Book it, or choose another "
                                                    "time.", program=localized(program, "title")),
                              field="program_id")
        if not program.grade_min <= grade <= program.grade_max:
            raise DomainError("program_grade", _l("This time offers a program for %(low)s to %(high)s only.",
                                                  low=_grade_text(program.grade_min),
                                                  high=_grade_text(program.grade_max)), field="grade")
        return program
    if not program_id:
        return None
    program = active_program(slot.venue_id, program_id)
    if program is None:
        raise DomainError("invalid_program", _l("Choose one of this venue's programs, or a general visit."),
                          field="program_id")
    themed_day = _themed_day_elsewhere(program, slot.local_date)
    if themed_day is not None:
        raise DomainError("invalid_program", _l("%(program)s is held for %(themed_day)s, on its dates only. Choose a "
                                                "general visit or another program, or a time on those dates.",
                                                program=localized(program, "title"),
                                                themed_day=localized(themed_day, "name")), field="program_id")
    if not program.grade_min <= grade <= program.grade_max:
        raise DomainError("program_grade", _l("This program is for %(low)s to %(high)s. Choose one for your "
                                              "class's grade, or a general visit.",
                                              low=_grade_text(program.grade_min), high=_grade_text(program.grade_max)),
                          field="program_id")
    return program


def _themed_day_elsewhere(program, day):
    """The themed day ``program`` is held for when ``day`` is not one of its dates (nor are that year's
    announced), else None: a themed day's activity runs then, so a class may choose it, on a time that
    runs no program of its own, only on those dates. A time the venue published for the program itself
    (``Slot.program``) is the venue's own decision and offers it whatever the day."""
    if not program.themed_day_key:
        return None
    from app.events.services import within_themed_dates  # the events' rules read the bookings' models
    from app.events.themed_days import themed_day_by_key

    themed_day = themed_day_by_key(program.themed_day_key)
    return None if themed_day is None or within_themed_dates(themed_day, day) else themed_day


def class_programs(slot: Slot) -> list:
    """What a class may choose on ``slot`` besides a general visit (``_class_program`` checks it): the
    slot's own program when it runs one, else the venue's active programs, those held for a themed day
    only on its dates."""
    if slot.program is not None:
        return [slot.program]
    programs = db.session.scalars(select(Program).where(Program.venue_id == slot.venue_id,
                                                        Program.is_active.is_(True)).order_by(Program.id))
    return [p for p in programs if _themed_day_elsewhere(p, slot.local_date) is None]


def _grade_text(grade: int):
    return dict(GRADES)[grade]


def _class_booked(slot: Slot, school_id: int, class_name: str) -> str | None:
    """This class of the school as a colleague booked it for the slot (in any case: ``class_key``),
    while that booking is active; or None."""
    return db.session.scalar(
        select(Booking.class_name).where(Booking.slot_id == slot.id, Booking.kind == BookingKind.GROUP,
                                         Booking.school_id == school_id, Booking.class_key == class_key(class_name),
                                         Booking.status.in_([BookingStatus(s) for s in ACTIVE_STATUSES]))
        .limit(1))


def _class_already_booked(class_name: str):
    return _l("%(class_name)s of your school already has a booking for this time.", class_name=class_name)


def class_elsewhere(slot: Slot, school_id: int, class_name: str, now: datetime) -> Booking | None:
    """The school's booking of the same class (``class_key``) for another visit whose time
    overlaps ``slot``'s (at this venue or another) and that still stands: a class is at one visit at
    a time, so it cannot hold places at two (a colleague's booking counts too). A request left
    undecided when its visit started (lapsed) holds nothing."""
    return db.session.scalar(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.kind == BookingKind.GROUP, Booking.school_id == school_id,
               Booking.class_key == class_key(class_name), Booking.slot_id != slot.id,
               Booking.status.in_([BookingStatus(s) for s in SEAT_HOLDING_STATUSES]),
               Slot.starts_at < slot.ends_at, Slot.ends_at > slot.starts_at,
               sa.not_(queries.undecided_at_start(now)))
        .order_by(Slot.starts_at, Booking.id).limit(1))


def _check_class_free_once_booked(slot: Slot, school_id: int, class_name: str, now: datetime) -> None:
    """``class_elsewhere`` again, once this booking is written, for two bookings of one class sent at
    once (two colleagues, two tabs): each read none before the other was written. PostgreSQL queues
    them on the school's row (FOR NO KEY UPDATE: each INSERT holds a key-share lock on it, which FOR
    UPDATE would wait on), so the second reads the first once it is committed; on SQLite the INSERT
    took the single writer's lock."""
    db.session.execute(select(School.id).where(School.id == school_id).with_for_update(key_share=True))
    other = class_elsewhere(slot, school_id, class_name, now)
    if other is not None:
        raise _class_busy(other)


def _class_busy(other: Booking) -> DomainError:
    return DomainError("class_time_clash", _l(
        "%(class_name)s of your school is already booked for a visit to %(venue)s on %(day)s, %(hours)s, which "
        "overlaps this time. A class can go on one visit at a time: cancel that booking first, or choose another "
        "time.", class_name=other.class_name, venue=localized(other.venue, "name"),
        day=LazyString(local_date, other.slot.starts_at, "full"),
        hours=slot_hours(other.slot)),
        field="class_name", status=409)


def book_class_visit(teacher: User, slot: Slot, *, students: int, adults: int, grade: int, class_name: str,
                     program_id: int | None = None, request_key: str | None = None,
                     now: datetime | None = None) -> Booking:
    """Book a class visit for a verified teacher's school, within the group window (whatever the
    slot's audience), group size, adult ratio and the program's grades; a class at most once a slot."""
    now = now or utcnow()
    existing = _existing_for_request(teacher, request_key, slot, students=students, adults=adults, grade=grade,
                                     class_name=normal_class_name(class_name), program_id=program_id or None)
    if existing is not None:
        return existing
    if teacher.role != Role.TEACHER:
        raise Forbidden(_l("Class visits are booked by teachers."))
    _check_teacher_books_for_school(teacher)
    as_seen = capacity.terms_of(slot)  # what the checks read: a correction meanwhile books nothing
    rules = rules_for(slot.venue)
    partner = is_partner(slot.venue_id, teacher.school_id, slot.local_date)
    _check_slot_bookable(slot, SCHOOL_AUDIENCES, now, window_for(slot, rules, as_class=True, partner=partner))
    _check_class(rules, students=students, adults=adults, grade=grade)
    class_name = normal_class_name(class_name)
    if not class_name:
        raise DomainError("class_required", _l("Enter the class, for example Grade 4 Class 2."), field="class_name")
    if len(class_name) > CLASS_NAME_MAX:
        raise DomainError("class_name_too_long", _l("The class is at most %(n)d characters, for example Grade 4 "
                                                    "Class 2.", n=CLASS_NAME_MAX), field="class_name")
    program = _class_program(slot, program_id, grade)
    if _has_active_booking(teacher, slot):
        raise DomainError("duplicate_booking", _already_booked(), status=409)
    booked = _class_booked(slot, teacher.school_id, class_name)
    if booked is not None:
        raise DomainError("duplicate_booking", _class_already_booked(booked), field="class_name", status=409)
    other = class_elsewhere(slot, teacher.school_id, class_name, now)
    if other is not None:
        raise _class_busy(other)

    seats = students + adults
    if not capacity.has_room(slot, seats, partner=partner, now=now):
        raise _no_room_for_class(slot, seats, partner=partner, now=now)
    _serve_waiting_list_first(slot, seats, partner=partner, now=now)
    booking = _insert(Booking(
        slot_id=slot.id, venue_id=slot.venue_id, user_id=teacher.id, kind=BookingKind.GROUP,
        status=BookingStatus.PENDING, students=students, adults=adults, grade=grade, class_name=class_name,
        school_id=teacher.school_id, is_partner=partner, seats=seats, request_key=request_key,
        program_id=program.id if program is not None else None,
    ), clash_message=_class_already_booked(class_name))
    _check_class_free_once_booked(slot, teacher.school_id, class_name, now)
    if not capacity.take_seats(slot.id, seats, partner=partner, now=now, as_seen=as_seen):
        raise _no_room_for_class(slot, seats, partner=partner, now=now)
    if rules.auto_confirm_groups:
        booking.status = BookingStatus.CONFIRMED
        booking.decided_at = now
        booking.approved_seats = seats
    notify.booking_event(booking, "confirmed" if booking.status == BookingStatus.CONFIRMED else "requested")
    if booking.status == BookingStatus.PENDING:
        notify.tell_venue(booking, "requested")
    return booking


def _check_teacher_books_for_school(teacher: User, field: str | None = None) -> None:
    """A teacher takes places for their school's classes once the district has verified them, and
    while the school is open: a closed or merged school's agreements and priority end with it.
    ``field``: the form's field the refusal is said next to."""
    if teacher.school_move_refused:
        raise DomainError("teacher_not_verified", _l(
            "%(school)s did not confirm that you teach there; the email we sent you says why. You can book class "
            "visits once a district verifies you.", school=localized(teacher.school, "name")), field=field, status=403)
    if teacher.verified_at is None:
        raise DomainError("teacher_not_verified", _l("Your teacher account is waiting for verification by the "
                                                     "district."), field=field, status=403)
    if not teacher.school.is_active:
        raise DomainError("school_closed", _school_closed(), field=field, status=403)


def _school_closed():
    return _l("Your school is marked closed in the schools registry: class visits are booked for open schools "
              "only. If you now teach at another school, change your school on My SciVisit.")


def _check_class(rules, *, students: int, adults: int, grade: int) -> None:
    if not 0 <= grade <= 12:
        raise DomainError("invalid_grade", _l("Choose a grade from kindergarten to 12."), field="grade")
    if not rules.group_min <= students <= rules.group_max:
        raise DomainError("group_size",
                          _l("A class visit here is for %(min)d to %(max)d students.",
                             min=rules.group_min, max=rules.group_max), field="students")
    if not 0 <= adults <= CLASS_ADULTS_MAX:  # the form's range; the API takes any integer
        raise DomainError("invalid_parameter", _l("Give from 0 to %(max)d accompanying adults.", max=CLASS_ADULTS_MAX),
                          field="adults")
    need = adults_needed(students, grade, rules)
    if adults < need:
        raise DomainError("adult_ratio",
                          lazy_ngettext("%(students)d students need at least %(num)d accompanying adult: "
                                        "add %(more)d more.",
                                        "%(students)d students need at least %(num)d accompanying adults: "
                                        "add %(more)d more.", need, students=students, more=need - adults),
                          field="adults")


# --- changing and cancelling -------------------------------------------------------------------

# A visit still to come, which its booker may change or cancel until the cutoff.
UPCOMING = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


def is_live(booking: Booking, now: datetime) -> bool:
    """Whether the booking still stands for its visit (a ticket, a calendar entry, a slip): a
    request not approved in time does not."""
    return booking.status in UPCOMING and not booking.lapsed(now)


def change_deadline(booking: Booking) -> datetime | None:
    """Until when the booker may change or cancel ``booking`` (None: at any time). The venue's
    cutoff is for visits it has confirmed: a place on the waiting list can always be given up, and
    a request it has not decided yet can be withdrawn or lowered until the visit starts (then it
    has lapsed)."""
    if booking.status == BookingStatus.WAITLISTED:
        return None
    if booking.status == BookingStatus.PENDING:
        return booking.slot.starts_at
    return cancel_deadline(booking.slot, rules_for(booking.venue))


def past_cutoff(booking: Booking, now: datetime) -> bool:
    """Changes and cancellations have closed (``change_deadline`` has passed)."""
    deadline = change_deadline(booking)
    return deadline is not None and now >= deadline


def changes_open(booking: Booking, now: datetime) -> bool:
    """Whether the booker may still change or cancel ``booking`` (what the page offers)."""
    return booking.status in UPCOMING and not past_cutoff(booking, now)


def cancel_booking(actor: User, booking: Booking, *, reason: str = "", now: datetime | None = None) -> Booking:
    """The booker cancels until the venue's cutoff; the places return at once. The venue is told of
    a class's cancellation, with the teacher's reason."""
    now = now or utcnow()
    if booking.user_id != actor.id:
        raise Forbidden()
    if booking.status not in UPCOMING:
        raise DomainError("not_cancellable", _l("This booking can no longer be cancelled."), status=409)
    rules = rules_for(booking.venue)
    if past_cutoff(booking, now):
        raise DomainError("cancel_cutoff_passed",
                          _l("Changes and cancellations close %(hours)d hours before the visit.",
                             hours=rules.cancel_cutoff_hours), status=409)
    was_request = booking.status == BookingStatus.PENDING
    end_booking(booking, BookingStatus.CANCELLED, reason=reason, now=now)
    notify.booking_event(booking, "cancelled")
    if booking.kind == BookingKind.GROUP:  # a venue plans for a class; citizens' bookings are too many to mail
        notify.tell_venue(booking, "withdrawn" if was_request else "cancelled")
    return booking


def end_booking(booking: Booking, status: BookingStatus, *, reason: str = "", reason_en: str = "",
                now: datetime) -> None:
    """Close a booking (cancelled or declined), give its places back and offer them to the waitlist.
    A venue's closure gives its reason in Chinese and English (``reason_en``); a person types one."""
    held = booking.status.value in SEAT_HOLDING_STATUSES
    claimed = db.session.execute(
        sa.update(Booking).where(Booking.id == booking.id, Booking.status == booking.status)
        .values(status=status, ticket_version=Booking.ticket_version + 1, updated_at=now,
                cancelled_at=now if status == BookingStatus.CANCELLED else None,
                cancel_reason=reason if status == BookingStatus.CANCELLED else "",
                cancel_reason_en=reason_en if status == BookingStatus.CANCELLED else "",
                decline_reason=reason if status == BookingStatus.DECLINED else booking.decline_reason),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.expire(booking)
    if not claimed:  # someone else changed it first: nothing to give back twice
        raise DomainError("booking_changed", _l("This booking was just changed. Please reload."), status=409)
    if held:
        capacity.release_seats(booking.slot_id, booking.seats, partner=booking.is_partner)
        promote_waitlist(booking.slot_id, now=now)


@dataclass(frozen=True)
class MorePeople:
    """Whether a class booking may still grow, as its page tells the teacher."""

    until: datetime  # ``more_people_until``
    possible: bool  # before ``until`` (places permitting)
    reapproval: bool  # more people send the visit, confirmed now, back to the venue for approval
    confirmed_within: int | None  # sent back for approval: this many people or fewer confirm it again


def more_people_until(booking: Booking) -> datetime:
    """Until when a class may take more places: while classes can still book its slot (the venue's
    cutoff for class bookings, which a venue plans its visits by) and the booking may still be changed."""
    closes = window_for(booking.slot, rules_for(booking.venue), as_class=True, partner=booking.is_partner)[1]
    deadline = change_deadline(booking)
    return closes if deadline is None else min(closes, deadline)


def regrows_to_request(booking: Booking) -> bool:
    """More people turn a confirmed visit back into a request when the venue approves class visits
    itself: it approved the class as it was, and the places it plans for are the ones it approved."""
    return booking.status == BookingStatus.CONFIRMED and not rules_for(booking.venue).auto_confirm_groups


def more_people(booking: Booking, now: datetime) -> MorePeople:
    """What the booking's page says of adding people to ``booking`` at ``now``."""
    until = more_people_until(booking)
    return MorePeople(until=until, possible=now < until, reapproval=regrows_to_request(booking),
                      confirmed_within=_approved_before(booking))


def _approved_before(booking: Booking) -> int | None:
    """The seats the venue had confirmed of a visit now back with it for approval of more people."""
    return booking.approved_seats if booking.status == BookingStatus.PENDING else None


def change_headcount(teacher: User, booking: Booking, *, students: int, adults: int,
                     now: datetime | None = None) -> Booking:
    """A class comes with other numbers, until the cutoff, within the group size and adult ratio of a
    new class booking. Fewer people give places back. More take places as a new booking does: while
    classes can book the slot (``more_people_until``), through the capacity rule; a confirmed visit
    goes back to the venue for approval unless the venue confirms class visits at once
    (``regrows_to_request``), and the venue is told; it is told too of new numbers for a request it
    has still to decide, so that it decides on the numbers that stand. A visit sent back for approval
    is confirmed again when its numbers come back within those the venue confirmed (a typo undone)."""
    now = now or utcnow()
    if booking.user_id != teacher.id or booking.kind != BookingKind.GROUP:
        raise Forbidden()
    if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        raise DomainError("not_changeable", _l("This booking can no longer be changed."), status=409)
    rules = rules_for(booking.venue)
    if past_cutoff(booking, now):
        raise DomainError("cancel_cutoff_passed",
                          _l("Changes and cancellations close %(hours)d hours before the visit.",
                             hours=rules.cancel_cutoff_hours), status=409)
    _check_class(rules, students=students, adults=adults, grade=booking.grade)
    more = students + adults - booking.seats
    if (students, adults) == (booking.students, booking.adults):
        return booking
    status, version, was = booking.status, booking.ticket_version, (booking.students, booking.adults)
    to_request = more > 0 and regrows_to_request(booking)
    approved = _approved_before(booking)
    confirmed_again = approved is not None and students + adults <= approved
    field = "students" if students > booking.students else "adults"  # where a refusal of more is said
    if more > 0:
        # More people take places as a new booking would, so by the same teacher's standing; fewer,
        # and cancelling, stay open to a teacher who has since moved school or whose school closed.
        _check_teacher_books_for_school(teacher, field)
        if teacher.school_id != booking.school_id:
            raise DomainError("school_changed", _l("This visit is for the class of a school you no longer teach at: "
                                                   "you can lower its numbers or cancel it, not add people."),
                              field=field, status=403)
        _check_room_to_grow(booking, more, field, now)
        _serve_waiting_list_first(booking.slot, more, partner=booking.is_partner, now=now)
    # Claimed with one conditional UPDATE, as a cancel is: of two changes sent at once (a double
    # submit, two tabs) the second finds the booking changed, so no place is taken or given twice.
    values = {"students": students, "adults": adults, "seats": students + adults, "updated_at": now,
              "ticket_version": Booking.ticket_version + 1}
    if to_request:
        values.update(status=BookingStatus.PENDING, decided_at=None, decided_by_id=None)
    elif confirmed_again:
        values.update(status=BookingStatus.CONFIRMED, decided_at=now, approved_seats=students + adults)
    elif status == BookingStatus.CONFIRMED:
        values.update(approved_seats=students + adults)
    claimed = db.session.execute(
        sa.update(Booking).where(Booking.id == booking.id, Booking.status == status,
                                 Booking.ticket_version == version).values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.expire(booking)
    if not claimed:
        raise DomainError("booking_changed", _l("This booking was just changed. Please reload."), status=409)
    if more > 0:
        if not capacity.take_seats(booking.slot_id, more, partner=booking.is_partner, now=now):
            raise _no_room_to_grow(booking.slot, field, partner=booking.is_partner, now=now)
    elif more < 0:
        capacity.release_seats(booking.slot_id, -more, partner=booking.is_partner)
        promote_waitlist(booking.slot_id, now=now)
    notify.booking_event(booking, "changed")
    if to_request:  # one message for one change: the request to approve again
        notify.tell_venue(booking, "reapproval")
    else:  # a request to decide on its new numbers, or a confirmed visit the venue plans its guides for
        still_request = status == BookingStatus.PENDING and not confirmed_again
        notify.tell_venue(booking, "changed" if still_request else "resized", was=was)
    return booking


def _check_room_to_grow(booking: Booking, more: int, field: str, now: datetime) -> None:
    """Refuse more people once classes can no longer book the slot, or when the places are not there
    (read from the loaded slot; ``capacity.take_seats`` decides)."""
    slot = booking.slot
    if slot.status != SlotStatus.OPEN or slot.venue.status != VenueStatus.APPROVED:
        raise DomainError("slot_unavailable", _l("This time is no longer open for booking."), status=409)
    until = more_people_until(booking)
    if now >= until:
        raise DomainError("more_people_closed", _more_people_closed(booking.venue, until), field=field, status=409)
    if not capacity.has_room(slot, more, partner=booking.is_partner, now=now):
        raise _no_room_to_grow(slot, field, partner=booking.is_partner, now=now)


def _no_room_to_grow(slot: Slot, field: str, *, partner: bool, now: datetime) -> DomainError:
    """Why a class cannot grow by as many as asked: how many places it could still take."""
    left = capacity.places_for(slot, partner=partner, now=now)
    if left > 0:
        message = _ln("Only %(num)d more place is left at this time.",
                      "Only %(num)d more places are left at this time.", left)
    else:
        message = _l("No places are left at this time: the class cannot grow.")
    return DomainError("slot_full", message, field=field, status=409)


def _more_people_closed(venue, until: datetime):
    """Why a class cannot grow any more, and whom to ask: the venue, by the telephone or email it
    publishes; no request to "contact the venue" where it publishes neither."""
    until = _local_text(until)
    if venue.contact_phone:
        return _l("More people can no longer be booked for this visit: that closed at %(until)s. To bring more "
                  "people, call the venue: %(phone)s. You can still lower the numbers here.", until=until,
                  phone=venue.contact_phone)
    if venue.contact_email:
        return _l("More people can no longer be booked for this visit: that closed at %(until)s. To bring more "
                  "people, write to the venue: %(email)s. You can still lower the numbers here.", until=until,
                  email=venue.contact_email)
    return _l("More people can no longer be booked for this visit: that closed at %(until)s. You can still lower "
              "the numbers.", until=until)


def approve_booking(manager: User, booking: Booking, *, seen_version: int | None = None,
                    now: datetime | None = None) -> Booking:
    """Confirm a class visit request, until its slot starts: a request undecided then has lapsed.

    ``seen_version`` is the ``ticket_version`` of the request as the manager's page showed it: a
    request the teacher changed since (more or fewer people) is not approved unseen."""
    now = now or utcnow()
    _check_undecided(booking, now, _l("Only requests awaiting approval can be approved."))
    # One conditional UPDATE: a decline or the lapse at the start that gets there first wins, on any worker.
    not_started = sa.exists().where(Slot.id == Booking.slot_id, Slot.starts_at > now)
    as_seen = Booking.ticket_version == seen_version if seen_version is not None else sa.true()
    claimed = db.session.execute(
        sa.update(Booking).where(Booking.id == booking.id, Booking.status == BookingStatus.PENDING, not_started,
                                 as_seen)
        .values(status=BookingStatus.CONFIRMED, decided_at=now, decided_by_id=manager.id, updated_at=now,
                approved_seats=Booking.seats, ticket_version=Booking.ticket_version + 1),
        execution_options={"synchronize_session": False},
    ).rowcount
    db.session.expire(booking)
    if not claimed:
        if booking.lapsed(now):
            raise _request_lapsed()
        if booking.status == BookingStatus.PENDING and seen_version is not None:
            raise DomainError("booking_changed", _l(
                "The teacher changed this request after your page was shown: it is now for %(party)s. Look "
                "at it again before approving.", party=class_party(booking.students, booking.adults)), status=409)
        raise DomainError("booking_changed", _l("This booking was just changed. Please reload."), status=409)
    notify.booking_event(booking, "approved")
    return booking


def _request_lapsed() -> DomainError:
    return DomainError("request_lapsed",
                       _l("The visit has already started, so this request can no longer be approved or declined. "
                          "It has lapsed as not approved in time, and the teacher will be told."), status=409)


def _check_undecided(booking: Booking, now: datetime, not_pending_message) -> None:
    """A request is decided, either way, only while it waits and its visit has not started."""
    if booking.lapsed(now):
        raise _request_lapsed()
    if booking.status == BookingStatus.CANCELLED:  # by the teacher, while the manager's page was open
        raise DomainError("not_pending", _l("The teacher has withdrawn this request: there is nothing to decide."),
                          status=409)
    if booking.status != BookingStatus.PENDING:
        raise DomainError("not_pending", not_pending_message, status=409)


def check_declinable(booking: Booking, now: datetime | None = None) -> None:
    """What ``decline_booking`` would refuse before asking for a reason (the decline page asks this)."""
    _check_undecided(booking, now or utcnow(), _l("Only requests awaiting approval can be declined."))


def decline_booking(manager: User, booking: Booking, *, reason: str, now: datetime | None = None) -> Booking:
    now = now or utcnow()
    check_declinable(booking, now)
    if not (reason or "").strip():
        raise DomainError("reason_required", _l("Tell the teacher why."), field="reason")
    booking.decided_at, booking.decided_by_id = now, manager.id
    end_booking(booking, BookingStatus.DECLINED, reason=reason.strip(), now=now)
    notify.booking_event(booking, "declined")
    return booking


def lapse_undecided_requests(now: datetime | None = None, *, slot_id: int | None = None) -> int:
    """Close every class visit request nobody decided before its slot started (``declined`` with no
    decision): its places go back and the teacher is told it was not approved in time. Returns how
    many lapsed. Runs from ``bookings close-day``; several runs at once close each request, release
    its places and tell its teacher once, as ``end_booking`` claims the booking with one conditional
    UPDATE. Until it runs, reads treat such a request as lapsed (``Booking.lapsed``); a change to a
    slot's capacity lapses that slot's (``slot_id``) first, as their places are no one's."""
    now = now or utcnow()
    query = select(Booking).join(Slot, Slot.id == Booking.slot_id).where(queries.undecided_at_start(now))
    if slot_id is not None:
        query = query.where(Booking.slot_id == slot_id)
    due = db.session.scalars(query.order_by(Booking.id)).all()
    lapsed = 0
    for booking in due:
        try:
            end_booking(booking, BookingStatus.DECLINED, now=now)
        except DomainError:  # decided, or lapsed by another run, meanwhile
            continue
        notify.booking_event(booking, "lapsed")
        lapsed += 1
    return lapsed


def promote_waitlist(slot_id: int, *, now: datetime | None = None) -> list[Booking]:
    """Offer freed places to the waiting list in order; each booking that now fits is confirmed."""
    now = now or utcnow()
    promoted = []
    # Places that come free once the visit is under way are not offered: a confirmation then is of no use.
    waiting = db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.slot_id == slot_id, Booking.status == BookingStatus.WAITLISTED, Slot.starts_at > now)
        .order_by(Booking.id)
    ).all()
    for booking in waiting:
        if not capacity.take_seats(slot_id, booking.seats, partner=False, now=now):
            continue
        claimed = db.session.execute(
            sa.update(Booking).where(Booking.id == booking.id, Booking.status == BookingStatus.WAITLISTED)
            .values(status=BookingStatus.CONFIRMED, updated_at=now, ticket_version=Booking.ticket_version + 1),
            execution_options={"synchronize_session": False},
        ).rowcount
        db.session.expire(booking)
        if not claimed:  # promoted or cancelled meanwhile: hand the places back
            capacity.release_seats(slot_id, booking.seats, partner=False)
            continue
        promoted.append(booking)
        notify.booking_event(booking, "promoted")
    return promoted


def promote_released_waitlists(now: datetime | None = None) -> int:
    """Offer the places of partner reserves released since to the waiting lists of slots still to
    come (``bookings close-day``, hourly), so that waiters are told without anyone booking. Returns
    how many bookings were confirmed. Runs at once with bookings and each other safely, as
    ``promote_waitlist`` does."""
    now = now or utcnow()
    waiting = sa.exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.WAITLISTED)
    slot_ids = db.session.scalars(
        select(Slot.id).where(Slot.status == SlotStatus.OPEN, Slot.starts_at > now, Slot.reserve_until <= now,
                              Slot.taken < Slot.capacity, waiting)
        .order_by(Slot.starts_at, Slot.id)).all()
    return sum(len(promote_waitlist(slot_id, now=now)) for slot_id in slot_ids)


def resize_slot(manager: User, slot: Slot, new_capacity: int, *, now: datetime | None = None) -> list[Booking]:
    """Change a slot's capacity; never below the places already held. The partner reserve keeps
    the slot's own share (``capacity.set_capacity``). More room goes to the waitlist: returns the
    bookings it confirmed (``promote_waitlist``)."""
    if new_capacity <= 0:
        raise DomainError("invalid_capacity", _l("Capacity must be at least 1."), field="capacity")
    now = now or utcnow()
    if slot.starts_at <= now:
        lapse_undecided_requests(now, slot_id=slot.id)
    if not capacity.set_capacity(slot.id, new_capacity):
        raise DomainError("capacity_below_booked",
                          _l("%(taken)d places are already booked; capacity cannot be lower than that.",
                             taken=slot.taken), field="capacity")
    return promote_waitlist(slot.id, now=now)
