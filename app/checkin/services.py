"""Check-in: the rules of admitting a ticket at the gate, in one place.

``record_check_in`` decides and records every scan, from the scanner page, the API, and offline
gates' batches alike; ``check_ticket`` answers the same question without recording (a gate asking
for a class's headcount before admitting it). Precedence of the answers, first that applies:

``invalid_code`` (malformed, unknown key, bad signature) · ``revoked_key`` (the key was revoked, or
retired and past its ``not_after``, when the code was scanned) · ``wrong_venue`` ·
``unknown_booking`` · ``already_checked_in`` · ``cancelled`` (also declined) · ``not_confirmed``
(pending, waitlisted) · ``invalid_code`` (an older ticket version of a changed booking) ·
``ok`` inside the window (30 minutes before the start until the end) · ``wrong_date`` (a local day
other than the slot's, which for an overnight slot includes the day it ends; at 01:30 for last
evening's 19:00–21:00 visit the message names when that visit ended) · ``too_early`` · ``too_late``.

The hot path for a good code is one signature check (public keys cached) and two prepared
statements (``statements.py``): a conditional UPDATE of the booking ``confirmed → checked_in`` that
also checks venue, version and window, and the INSERT of the admission. On PostgreSQL the two are
one statement (a data-modifying CTE) unless the gate confirms a headcount. The UPDATE is what makes
a ticket admit once: a second gate's UPDATE finds the booking no longer confirmed (PostgreSQL makes
it wait for the first; SQLite has one writer), and the partial unique index on admissions backs it
up. The INSERT is ``ON CONFLICT DO NOTHING``: a nonce used before writes nothing, the claim is taken
back, and the first attempt's answer is returned; no savepoint is needed.

A visit counts once: a booker who registered their party at the walk-in poster that day while signed
in, and is then admitted on their ticket, is counted on the ticket, and the walk-in keeps only people
beyond the ticket's (``_replace_walk_in``). The claim finds that walk-in itself (a probe of the
(actor_key, nonce) unique index in the same statement), so a scan without one costs nothing more.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import func, select

from app.accounts.models import Role
from app.accounts.tokens import GateDevice
from app.bookings.models import Booking, BookingKind, BookingStatus
from app.bookings.party import class_party, people
from app.checkin import statements, tickets
from app.checkin.models import CheckIn, CheckInKind, CheckInResult
from app.core.errors import DomainError, Forbidden
from app.core.time import from_local, to_local, utcnow
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus
from app.stats import rollups
from app.stats.models import VenueDailyStats

R = CheckInResult
OPENS_BEFORE = timedelta(minutes=30)
GATE_MAX = 40
NONCE_MAX = 64


# --- policy -------------------------------------------------------------------------------------

def checkin_venue(actor) -> int | None:
    """The venue whose gate ``actor`` works at: its staff, its manager, or one of its gate devices."""
    if isinstance(actor, GateDevice):
        return actor.venue_id
    if getattr(actor, "is_authenticated", False) and getattr(actor, "role", None) in (Role.VENUE_STAFF,
                                                                                       Role.VENUE_MANAGER):
        return actor.venue_id
    return None


def can_check_in(actor) -> bool:
    return checkin_venue(actor) is not None


def can_view_ticket(user, booking: Booking) -> bool:
    """The booker, and the staff and manager of the booking's venue."""
    if not getattr(user, "is_authenticated", False) or isinstance(user, GateDevice):
        return False
    if booking.user_id is not None and booking.user_id == user.id:
        return True
    return user.role in (Role.VENUE_STAFF, Role.VENUE_MANAGER) and user.venue_id == booking.venue_id


def ticket_still_admits(booking: Booking, now: datetime) -> bool:
    """Whether ``booking``'s ticket can still get its visitors in: confirmed, and its visit not over
    (the gate admits until the end, ``check``'s rule)."""
    return booking.status == BookingStatus.CONFIRMED and now <= booking.slot.ends_at


def can_manage_gates(user) -> bool:
    return getattr(user, "is_authenticated", False) and getattr(user, "role", None) == Role.VENUE_MANAGER \
        and user.venue_id is not None


# --- what a decision carries -----------------------------------------------------------------------

@dataclass(frozen=True)
class Headcount:
    """Who actually came: ``persons`` for a party, ``students`` and ``adults`` for a class."""

    persons: int | None = None
    students: int | None = None
    adults: int | None = None


@dataclass(frozen=True)
class BookingFacts:
    id: int
    reference: str
    venue_id: int
    kind: BookingKind
    status: BookingStatus | None
    ticket_version: int | None
    seats: int
    party_size: int | None
    students: int | None
    adults: int | None
    class_name: str | None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    local_date: date | None = None
    program_title_zh: str | None = None  # the visit's title (``present.visit_title``)
    program_title_en: str | None = None
    venue_name_zh: str | None = None
    venue_name_en: str | None = None
    walk_in_id: int | None = None  # a claim's only: the booker's own walk-in that day (``walk_in_nonce``)


@dataclass
class Outcome:
    result: CheckInResult
    reason: str = ""
    booking: BookingFacts | None = None
    checkin: CheckIn | SimpleNamespace | None = None  # the recorded attempt (None for a preview)
    previous: CheckIn | SimpleNamespace | None = None  # for already_checked_in: the admission
    replayed: bool = False  # a retry with a known nonce: the first attempt's answer
    replaced_walk_in: int = 0  # people of the booker's walk-in that day this admission now counts

    @property
    def admitted(self) -> bool:
        return self.result == R.OK and self.checkin is not None


def actor_key(actor) -> str:
    return f"d{actor.token_id}" if isinstance(actor, GateDevice) else f"u{actor.id}"


def walk_in_nonce(venue_id: int, day: date) -> str:
    """A signed-in visitor's walk-in at a venue's poster carries their ``actor_key`` and this nonce:
    the pair is unique, so an account counts once a day there whatever phone it uses, and a gate
    admitting the same account's ticket finds the walk-in by it (``_replace_walk_in``)."""
    return f"walk-in|{venue_id}|{day.isoformat()}"


def _gate_label(actor, gate: str | None) -> str:
    gate = (gate or "").strip()
    if not gate and isinstance(actor, GateDevice):
        gate = actor.name
    return gate[:GATE_MAX]


# --- reading ---------------------------------------------------------------------------------------

def _facts(by: str, value) -> BookingFacts | None:
    """The booking and its slot's times, ``by`` its ``"reference"`` or ``"id"``."""
    row = db.session.execute(statements.sql().facts_by[by], {"p_value": value}).first()
    return BookingFacts(*row) if row is not None else None


def admission_of(booking_id: int) -> SimpleNamespace | None:
    """When, where and for how many the booking was admitted."""
    row = db.session.execute(statements.sql().admission, {"p_id": booking_id}).first()
    return SimpleNamespace(**row._mapping) if row is not None else None


def _judge(facts: BookingFacts | None, claims: tickets.Claims | None, venue_id: int,
           now: datetime) -> tuple[CheckInResult, str]:
    if facts is None:
        return R.UNKNOWN_BOOKING, ""
    if facts.venue_id != venue_id:
        return R.WRONG_VENUE, ""
    status = facts.status
    if status == BookingStatus.CHECKED_IN:
        return R.ALREADY_CHECKED_IN, ""
    if status in (BookingStatus.CANCELLED, BookingStatus.DECLINED):
        return R.CANCELLED, status.value
    if status in (BookingStatus.PENDING, BookingStatus.WAITLISTED):
        return R.NOT_CONFIRMED, status.value
    if status == BookingStatus.CONFIRMED and claims is not None and claims.version != facts.ticket_version:
        return R.INVALID_CODE, "superseded"
    if facts.starts_at - OPENS_BEFORE <= now <= facts.ends_at:
        return (R.OK, "") if status == BookingStatus.CONFIRMED else (R.NOT_CONFIRMED, status.value)
    # The slot's days run from its date to the date it ends: a 22:45–00:45 visit's ticket shown at
    # 01:15 came too late, one of a 19:00–21:00 visit shown at 01:30 is for another day.
    if to_local(now).date() not in (facts.local_date, to_local(facts.ends_at).date()):
        return R.WRONG_DATE, ""
    return (R.TOO_EARLY, "") if now < facts.starts_at else (R.TOO_LATE, "")


def presented_text(text) -> str:
    """What was presented, as codes and references are written: a Chinese input method's full-width
    letters and digits (NFKC), without spaces or dashes, in upper case; "" for what is not looked at."""
    if not isinstance(text, str) or len(text) > tickets.MAX_INPUT:
        return ""
    if not text.isascii():  # scanners type ASCII: the hot path skips the Unicode tables
        text = unicodedata.normalize("NFKC", text)
    return tickets.normalise(text)


def _parse(text: str, now: datetime) -> tuple[tickets.Claims | None, str | None, CheckInResult | None, str,
                                               str | None]:
    """(claims, reference, refusal, reason, kid) for what was presented, its key judged at ``now``."""
    presented = presented_text(text)
    if tickets.is_code(presented):
        try:
            claims = tickets.verify(presented, now=now)
        except tickets.CodeRefused as refused:
            return None, None, CheckInResult(refused.result), refused.reason, refused.kid
        return claims, claims.reference, None, "", claims.kid
    if tickets.is_reference(presented):
        return None, presented, None, "", None
    return None, None, R.INVALID_CODE, "malformed", None


def check_ticket(actor, text: str, *, now: datetime | None = None) -> Outcome:
    """What a scan would answer now, recording nothing."""
    now = now or utcnow()
    venue_id = _venue_or_forbidden(actor)
    claims, reference, refusal, reason, _ = _parse(text, now)
    if refusal is not None:
        return Outcome(refusal, reason)
    if claims is not None and claims.venue_id != venue_id:
        return Outcome(R.WRONG_VENUE)
    facts = _facts("reference", reference)
    result, reason = _judge(facts, claims, venue_id, now)
    if result == R.WRONG_VENUE:
        facts = None  # another venue's booking is not this gate's to see
    previous = admission_of(facts.id) if result == R.ALREADY_CHECKED_IN else None
    return Outcome(result, reason, booking=facts, previous=previous)


def _venue_or_forbidden(actor) -> int:
    venue_id = checkin_venue(actor)
    if venue_id is None:
        raise Forbidden(_l("Only the venue's staff and gate devices can check tickets in."))
    return venue_id


# --- recording -------------------------------------------------------------------------------------

def record_check_in(actor, code_or_reference: str, *, gate: str | None = None, nonce: str | None = None,
                    headcount: Headcount | None = None, now: datetime | None = None) -> Outcome:
    """Decide one scan and record it (the audit log); admit the ticket if the answer is ``ok``.

    ``now`` is when the gate scanned (an offline gate's upload gives its scan time). A retry with
    a ``nonce`` this actor used before answers the first attempt's result and records nothing; the
    nonce with another ticket raises ``DomainError`` (``nonce_reused``).
    A headcount above the booking raises ``DomainError`` (``headcount_above_booking``): nothing is
    recorded, the ticket stays valid.
    """
    now = now or utcnow()
    venue_id = _venue_or_forbidden(actor)
    nonce = (nonce or "").strip()[:NONCE_MAX] or None
    attempt = _Attempt(actor, venue_id, _gate_label(actor, gate), nonce, headcount, now)
    for _ in range(2):
        outcome = attempt.run(code_or_reference)
        if outcome is not None:
            return outcome
        # The row was not written: this actor used the nonce before (answer as then), or, in theory,
        # the ticket was admitted by another path in between (decide again).
        first = _attempt_by_nonce(actor, nonce) if nonce else None
        if first is not None:
            if first.reference != _parse(code_or_reference, now)[1]:
                # A retry resends the same code; another code under a used nonce is a gate's bug,
                # and answering the first scan's result would admit (or refuse) the wrong ticket.
                raise DomainError("nonce_reused", _l("This nonce was already used for another ticket. Send a new "
                                                     "nonce with each scan."), field="nonce", status=409)
            return _replay(first)
    raise RuntimeError("check-in could not be recorded")


class _Attempt:
    """One scan being decided. Its statements are plain (no savepoint): the one change it may have
    to take back, the claim of the booking, is undone by ``unclaim`` in the same transaction."""

    def __init__(self, actor, venue_id: int, gate: str, nonce: str | None, headcount: Headcount | None,
                 now: datetime):
        self.actor, self.venue_id, self.gate, self.nonce = actor, venue_id, gate, nonce
        self.headcount, self.now = headcount, now

    def run(self, text: str) -> Outcome | None:
        claims, reference, refusal, reason, kid = _parse(text, self.now)
        if refusal is not None:
            return self.refuse(refusal, reason, kid=kid)
        if claims is not None:
            if claims.venue_id != self.venue_id:
                return self.refuse(R.WRONG_VENUE, "", kid=kid, reference=reference)
            if self.headcount is None and statements.sql().claim_and_admit is not None:
                claimed, outcome = self.claim_and_admit(claims, kid)
                if claimed:
                    return outcome
            else:
                claimed = self.claim(claims)
                if claimed is not None:
                    return self.admit(claimed, claims.local_date, kid)
        facts = _facts("reference", reference)
        result, reason = _judge(facts, claims, self.venue_id, self.now)
        if result == R.OK:
            # A typed reference (the fast path is for signed codes): claim the booking by id.
            claimed = self.claim_by_id(facts, claims)
            if claimed is not None:
                return self.admit(claimed, facts.local_date, kid)
            facts = _facts("id", facts.id)  # another gate was first
            result, reason = _judge(facts, claims, self.venue_id, self.now)
        if result == R.WRONG_VENUE:
            return self.refuse(result, reason, kid=kid, reference=reference)
        previous = admission_of(facts.id) if result == R.ALREADY_CHECKED_IN else None
        return self.refuse(result, reason, kid=kid, reference=reference, facts=facts, previous=previous)

    def _claim_parameters(self, day: date, **params) -> dict:
        """A claim's parameters: this venue, now inside the visit's window, and the nonce of a walk-in
        the booker may have made here on the visit's ``day``."""
        return {"p_venue": self.venue_id, "p_now": self.now, "p_opens_by": self.now + OPENS_BEFORE,
                "p_walk_in": walk_in_nonce(self.venue_id, day), **params}

    def _claimed(self, statement, day: date, **params) -> BookingFacts | None:
        row = db.session.execute(statement, self._claim_parameters(day, **params)).first()
        return BookingFacts(*row) if row is not None else None

    def claim_and_admit(self, claims: tickets.Claims, kid: str | None) -> tuple[bool, Outcome | None]:
        """``claim`` and ``admit`` as one statement (PostgreSQL, no headcount): (claimed, outcome)."""
        values = self.values(R.OK, "", kid=kid, local_date=claims.local_date)
        row = db.session.execute(statements.sql().claim_and_admit, self._claim_parameters(
            claims.local_date, p_reference=claims.reference, p_version=claims.version,
            **{f"p_{name}": value for name, value in values.items() if name not in statements.FROM_CLAIM})).first()
        if row is None:
            return False, None
        facts = BookingFacts(*row[:statements.CLAIMED_COLUMNS])
        checkin_id, persons, students, adults = row[statements.CLAIMED_COLUMNS:]
        if checkin_id is None:
            self.unclaim(facts.id)
            return True, None
        values.update(booking_id=facts.id, reference=facts.reference, persons=persons, students=students,
                      adults=adults)
        return True, self.admitted(facts, SimpleNamespace(id=checkin_id, **values))

    def claim(self, claims: tickets.Claims) -> BookingFacts | None:
        return self._claimed(statements.sql().claim_by_reference, claims.local_date, p_reference=claims.reference,
                             p_version=claims.version)

    def claim_by_id(self, facts: BookingFacts, claims: tickets.Claims | None) -> BookingFacts | None:
        if claims is None:
            return self._claimed(statements.sql().claim_by_id, facts.local_date, p_id=facts.id)
        return self._claimed(statements.sql().claim_by_id_and_version, facts.local_date, p_id=facts.id,
                             p_version=claims.version)

    def unclaim(self, booking_id: int) -> None:
        # Still inside this transaction, which holds the row: no one else saw it checked in.
        db.session.execute(statements.sql().unclaim, {"p_id": booking_id})

    def admit(self, facts: BookingFacts, local_date: date, kid: str | None) -> Outcome | None:
        try:
            persons, students, adults = admitted_headcount(facts, self.headcount)
        except DomainError:
            self.unclaim(facts.id)
            raise
        row = self.insert(R.OK, "", kid=kid, reference=facts.reference, booking_id=facts.id, local_date=local_date,
                          persons=persons, students=students, adults=adults)
        if row is None:
            self.unclaim(facts.id)
            return None
        return self.admitted(facts, row)

    def admitted(self, facts: BookingFacts, checkin: SimpleNamespace) -> Outcome:
        """Count the admission, and take over the booker's walk-in of the day if they made one."""
        rollups.count_admission(checkin)
        replaced = _replace_walk_in(facts.walk_in_id, checkin) if facts.walk_in_id is not None else 0
        return Outcome(R.OK, booking=facts, checkin=checkin, replaced_walk_in=replaced)

    def refuse(self, result: CheckInResult, reason: str, *, kid=None, reference=None, facts=None,
               previous=None) -> Outcome | None:
        row = self.insert(result, reason, kid=kid, reference=reference, booking_id=facts.id if facts else None,
                          local_date=to_local(self.now).date())
        return Outcome(result, reason, booking=facts, checkin=row, previous=previous) if row is not None else None

    def values(self, result: CheckInResult, reason: str, **fields) -> dict:
        """The attempt's row: every column but its id."""
        actor = self.actor
        return dict(_ATTEMPT_DEFAULTS, kind=CheckInKind.TICKET, result=result, reason=reason[:32],
                    venue_id=self.venue_id, gate=self.gate, actor_key=actor_key(actor), nonce=self.nonce,
                    scanned_at=self.now, user_id=None if isinstance(actor, GateDevice) else actor.id,
                    token_id=actor.token_id if isinstance(actor, GateDevice) else None, created_at=utcnow(),
                    **fields)

    def insert(self, result: CheckInResult, reason: str, **fields) -> SimpleNamespace | None:
        """Write the attempt, unless its nonce (or the ticket's admission) is already there: ``None``."""
        values = self.values(result, reason, **fields)
        new_id = db.session.execute(statements.sql().insert_attempt, values).scalar()
        # What was written, as a plain record (cheaper than a mapped object): callers only read it.
        return SimpleNamespace(id=new_id, **values) if new_id is not None else None


_ATTEMPT_DEFAULTS = {"booking_id": None, "local_date": None, "persons": 0, "students": None, "adults": None,
                     "audience_group": None, "kid": None, "reference": None, "device_hash": None,
                     "replaced_walk_in": 0}


def admitted_headcount(facts: BookingFacts, headcount: Headcount | None) -> tuple[int, int | None, int | None]:
    """(persons, students, adults) to count: as booked, or fewer as the gate confirms; never more people
    than booked, nor, for a class, more students (an adult may take a pupil's place).

    A refusal names the ``Headcount`` attribute at fault as its ``field`` (``students``, ``adults``,
    ``persons``), or ``headcount`` for a class of nobody, which neither number alone is wrong about.

    "As booked" is also written in SQL, for PostgreSQL's one-statement admission
    (``statements._claim_and_admit``); tests/test_perf_hot_paths.py holds the two to the same answer."""
    if facts.kind == BookingKind.GROUP:
        if headcount is None:
            return facts.students + facts.adults, facts.students, facts.adults
        students, adults = headcount.students, headcount.adults
        for field, value in (("students", students), ("adults", adults)):
            if value is None or value < 0:
                raise DomainError("invalid_headcount", _l("For a class, give the number of students and of "
                                                          "adults who arrived."), field=field)
        if students + adults == 0:
            # The scanner page offers "Do not admit" for a class that did not come.
            raise DomainError("invalid_headcount", _l(
                "At least one student or adult must have arrived to admit the class. If the class did not "
                "come, choose “Do not admit”: the booking is marked “Did not come” at close of day."),
                field="headcount")
        # The class's places are what it booked: an adult may come in a pupil's place (a parent helping
        # out), never more people in all, nor more students than booked (the statistics count them).
        # With the students within the booking, it is the adults who are too many.
        if students > facts.students or students + adults > facts.seats:
            raise DomainError("headcount_above_booking", _class_above_booking(facts, students),
                              field="students" if students > facts.students else "adults", status=422)
        return students + adults, students, adults
    if headcount is None:
        return facts.seats, None, None
    persons = headcount.persons
    if persons is None and headcount.students is not None and headcount.adults is not None:
        persons = headcount.students + headcount.adults
    if persons is None or persons < 0:
        raise DomainError("invalid_headcount", _l("Give the number of people who arrived."), field="persons")
    if persons == 0:
        raise DomainError("invalid_headcount", _l(
            "At least one person must have arrived to check the ticket in. If nobody came, do not check it "
            "in: the booking is marked “Did not come” at close of day."), field="persons")
    if persons > facts.seats:
        raise DomainError("headcount_above_booking", _l(
            "This ticket is for %(party)s: no more can be admitted on it.", party=people(facts.seats)),
            field="persons", status=422)
    return persons, None, None


def _class_above_booking(facts: BookingFacts, students: int):
    booked = class_party(facts.students, facts.adults)
    if students > facts.students:
        return _ln("This class booked %(party)s: no more than %(num)d student can be admitted on this ticket.",
                   "This class booked %(party)s: no more than %(num)d students can be admitted on this ticket.",
                   facts.students, party=booked)
    return _ln("This class booked %(party)s: no more than %(num)d person in all can be admitted on this ticket.",
               "This class booked %(party)s: no more than %(num)d people in all can be admitted on this ticket.",
               facts.seats, party=booked)


def _replace_walk_in(walk_in_id: int, admission: SimpleNamespace) -> int:
    """The booker registered their party at the walk-in poster that day, signed in, and their ticket
    is now admitted: a visit counts once, as the booked visit, so the walk-in keeps only people beyond
    those the ticket admits, and names the booking that counts the rest. Returns how many it gave up.

    The walk-in's row is locked first: two of the booker's tickets admitted at once take it over one
    after the other (SQLite: the claim already holds the database's one write lock)."""
    walk_in = db.session.scalar(select(CheckIn).where(CheckIn.id == walk_in_id, CheckIn.persons > 0)
                                .with_for_update().execution_options(populate_existing=True))
    if walk_in is None:
        return 0
    replaced = min(walk_in.persons, admission.persons)
    rollups.uncount_admission(walk_in)
    walk_in.persons -= replaced
    walk_in.reason, walk_in.reference = "replaced_by_ticket", admission.reference
    db.session.flush()
    rollups.count_admission(walk_in)
    # Kept on the admission: a retry of the scan is told the same.
    db.session.execute(sa.update(CheckIn).where(CheckIn.id == admission.id).values(replaced_walk_in=replaced),
                       execution_options={"synchronize_session": False})
    admission.replaced_walk_in = replaced
    return replaced


def _attempt_by_nonce(actor, nonce: str) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.actor_key == actor_key(actor), CheckIn.nonce == nonce))


def _replay(first: CheckIn) -> Outcome:
    facts = _facts("id", first.booking_id) if first.booking_id is not None else None
    if first.result == R.WRONG_VENUE:
        facts = None
    previous = admission_of(first.booking_id) if first.result == R.ALREADY_CHECKED_IN and facts else None
    return Outcome(first.result, first.reason, booking=facts, checkin=first, previous=previous, replayed=True,
                   replaced_walk_in=first.replaced_walk_in)


# --- offline gates ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scan:
    code: str
    nonce: str
    scanned_at: datetime
    gate: str | None = None
    headcount: Headcount | None = None


def record_scans(actor, scans: list[Scan]) -> list[Outcome | DomainError]:
    """An offline gate's queue, in the order scanned: the first scan of a ticket wins, later ones are
    ``already_checked_in``. Answers come back in the order given; each scan is its own attempt.

    The upload is one transaction and may mix today's scans with scans of a day a refresh has settled
    (``rollups._on_settled_day``, which takes the settling lock). That lock is taken first, shared: taken
    after a row lock of today's, it would deadlock with a refresh holding it and waiting for that row."""
    answers: list[Outcome | DomainError | None] = [None] * len(scans)
    if scans:
        rollups.lock_settling(exclusive=False)
    for index in sorted(range(len(scans)), key=lambda i: scans[i].scanned_at):
        scan = scans[index]
        try:
            answers[index] = record_check_in(actor, scan.code, gate=scan.gate, nonce=scan.nonce,
                                             headcount=scan.headcount, now=scan.scanned_at)
        except DomainError as refused:
            answers[index] = refused
    return answers


# --- the day at a venue ----------------------------------------------------------------------------

@dataclass(frozen=True)
class GateDay:
    """The day a venue's gate is working on: ``date``, the date its admissions now count on, which is
    ``today`` unless a visit of the evening before is still admitting (an observation night at 00:30)."""

    date: date
    today: date

    @property
    def is_today(self) -> bool:
        return self.date == self.today


def gate_day(venue_id: int, now: datetime | None = None) -> GateDay:
    """The gate's working day at ``now``: what its totals and latest scans are of. Just after midnight
    a slot of the day before that has not ended keeps the gate on that day, as it keeps its admissions
    (they carry the slot's date); one probe of the venue-date index."""
    now = now or utcnow()
    today = to_local(now).date()
    yesterday = today - timedelta(days=1)
    night = db.session.scalar(
        select(Slot.id).where(Slot.venue_id == venue_id, Slot.local_date == yesterday, Slot.ends_at >= now,
                              Slot.status != SlotStatus.CANCELLED).limit(1))
    return GateDay(yesterday if night is not None else today, today)


_EXPECTED = (BookingStatus.CONFIRMED,)
_BOOKED = (BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW)


def day_totals(venue_id: int, day: date) -> dict[str, int]:
    """People booked for the day, checked in on tickets, walked in, and still expected.

    Booked seats are one grouped aggregate over the day's slots (the venue-date index) and their
    bookings (the slot-status index), not over every booking the venue ever had. Admissions are
    the day's rollup row, which every admission updates in its own transaction (``rollups``): one
    key lookup, the figures a sum over the day's check-ins gives."""
    day_slots = select(Slot.id).where(Slot.venue_id == venue_id, Slot.local_date == day).scalar_subquery()
    seats = dict(db.session.execute(
        select(Booking.status, func.sum(Booking.seats))
        .where(Booking.slot_id.in_(day_slots), Booking.status.in_(_BOOKED))
        .group_by(Booking.status)).all())
    admitted = db.session.execute(select(VenueDailyStats.visits, VenueDailyStats.walk_ins)
                                  .where(VenueDailyStats.venue_id == venue_id, VenueDailyStats.day == day)).first()
    visits, walk_ins = admitted or (0, 0)
    return {"booked": sum(int(seats.get(status) or 0) for status in _BOOKED),
            "expected": sum(int(seats.get(status) or 0) for status in _EXPECTED),
            "checked_in": int(visits) - int(walk_ins), "walk_ins": int(walk_ins)}


def mark_no_shows(day: date, *, now: datetime | None = None) -> int:
    """Confirmed bookings of ``day``'s slots that have ended without a check-in become no-shows.

    A day a refresh has settled already (the command run late, or for an older day) has its stored
    supply recomputed for the venues concerned, so its no-shows count at once in every period."""
    now = now or utcnow()
    ended = sa.and_(Slot.local_date == day, Slot.ends_at <= now)
    venue_ids = []
    if late := rollups.may_be_settled(day):
        rollups.lock_settling(exclusive=False)
        venue_ids = db.session.scalars(select(Slot.venue_id).join(Booking, Booking.slot_id == Slot.id).where(
            Booking.status == BookingStatus.CONFIRMED, ended).distinct()).all()
    marked = db.session.execute(
        sa.update(Booking).where(Booking.status == BookingStatus.CONFIRMED,
                                 sa.exists().where(Slot.id == Booking.slot_id, ended))
        .values(status=BookingStatus.NO_SHOW, ticket_version=Booking.ticket_version + 1, updated_at=now),
        execution_options={"synchronize_session": False},
    ).rowcount
    if late and marked:
        rollups.resettle_supply_if_settled(venue_ids, day)
    return marked


def recent_attempts(venue_id: int, day: date, limit: int = 20, *, through: date | None = None) -> list[CheckIn]:
    """The gate's latest scans of ``day`` (local), or of the days from ``day`` through ``through``,
    newest scan first: an offline gate's upload comes in after later scans, so the order is by when
    the code was seen, not by when it was recorded. (The gate's day of an observation night,
    ``gate_day``, lists the evening's scans and those since midnight.)
    A visit counts on its slot's date, so a scan after midnight for an overnight slot carries the
    day before, and one from 23:30 for a slot starting at midnight the day after: the dates around
    are read (through the venue-date index), the scan time decides."""
    through = max(day, through or day)
    dates = [day + timedelta(days=n) for n in range(-1, (through - day).days + 2)]
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.venue_id == venue_id, CheckIn.kind == CheckInKind.TICKET,
                              CheckIn.local_date.in_(dates),
                              CheckIn.scanned_at >= from_local(datetime.combine(day, time())),
                              CheckIn.scanned_at < from_local(datetime.combine(through + timedelta(days=1), time())))
        .order_by(CheckIn.scanned_at.desc(), CheckIn.id.desc()).limit(limit)))
