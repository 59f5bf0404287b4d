"""Property tests: no sequence of book, cancel, change a class's headcount (fewer or more), decline,
resize, promote and check-in ever overfills a slot, loses or doubles a seat, or counts a visit twice.

Each example gets a fresh venue and slot (a slot under way, booked days before it starts), runs a
random list of operations through the real services on the real database (each its own transaction,
like a request), and checks the invariants from the database after every step.
"""
from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.accounts.models import Role
from app.bookings import services
from app.bookings.models import Booking, BookingRules, BookingStatus
from app.checkin import services as checkin
from app.checkin.models import CheckIn, CheckInResult
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.models import Slot
from tests import factories

HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN)
CITIZENS, TEACHERS = 8, 3
_nonces = itertools.count(1)

pick = st.integers(min_value=0, max_value=1000)  # an index into whatever exists at that step
OPERATIONS = st.one_of(
    st.tuples(st.just("book"), pick, st.integers(1, 5), st.booleans()),
    st.tuples(st.just("book_class"), pick, st.integers(1, 12), st.integers(0, 3)),
    st.tuples(st.just("cancel"), pick),
    st.tuples(st.just("change"), pick, st.integers(0, 12), st.integers(0, 3)),
    st.tuples(st.just("resize"), st.integers(-2, 40)),
    st.tuples(st.just("decline"), pick),
    st.tuples(st.just("approve"), pick),
    st.tuples(st.just("promote")),
    st.tuples(st.just("check_in"), pick, st.integers(0, 5)),
    st.tuples(st.just("retry_check_in"), pick),
    st.tuples(st.just("second_gate"), pick),
)


class World:
    """One venue, one slot under way, a few people; bookings made three days before the start."""

    def __init__(self):
        venue = factories.venue()
        db.session.add(BookingRules(venue_id=venue.id, party_limit=5, group_min=1, group_max=12,
                                    students_per_adult=4, kindergarten_students_per_adult=4,
                                    school_cutoff_hours=24, cancel_cutoff_hours=24, auto_confirm_groups=False, partner_reserved_pct=0))
        db.session.commit()
        self.slot = factories.slot_at(venue, capacity=15)
        self.slot_id = self.slot.id
        self.booked_at = self.slot.starts_at - timedelta(days=3)
        self.changed_at = self.slot.starts_at - timedelta(days=2)
        self.gate_time = self.slot.starts_at + timedelta(minutes=5)
        self.citizens = [factories.user(Role.CITIZEN) for _ in range(CITIZENS)]
        self.teachers = [factories.user(Role.TEACHER) for _ in range(TEACHERS)]
        self.manager = factories.user(Role.VENUE_MANAGER, venue=venue)
        self.gates = [factories.user(Role.VENUE_STAFF, venue=venue) for _ in range(2)]
        self.scans: list[tuple[int, str, str]] = []  # (gate index, reference, nonce)

    def bookings(self, *statuses) -> list[Booking]:
        query = select(Booking).where(Booking.slot_id == self.slot_id).order_by(Booking.id)
        if statuses:
            query = query.where(Booking.status.in_(statuses))
        return list(db.session.scalars(query))

    def slot_now(self) -> Slot:
        return db.session.get(Slot, self.slot_id)

    def scan(self, gate: int, reference: str, nonce: str, persons: int = 0):
        headcount = checkin.Headcount(persons=persons) if persons else None
        try:
            checkin.record_check_in(self.gates[gate], reference, nonce=nonce, now=self.gate_time,
                                    headcount=headcount)
        except DomainError as refused:
            if refused.code != "headcount_above_booking":
                raise
            db.session.rollback()
            return
        self.scans.append((gate, reference, nonce))

    def run(self, op) -> None:
        name, *args = op
        getattr(self, f"op_{name}")(*args)

    def op_book(self, who, party, waitlist):
        services.book_individual_visit(self.citizens[who % CITIZENS], self.slot_now(), party_size=party,
                                       join_waitlist=waitlist, now=self.booked_at)

    def op_book_class(self, who, students, adults):
        services.book_class_visit(self.teachers[who % TEACHERS], self.slot_now(), students=students,
                                  adults=adults, grade=4, class_name="四年级1班", now=self.booked_at)

    def op_cancel(self, index):
        active = self.bookings(BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)
        if active:
            booking = active[index % len(active)]
            services.cancel_booking(booking.user, booking, now=self.changed_at)

    def op_change(self, index, students, adults):
        groups = [b for b in self.bookings(BookingStatus.PENDING, BookingStatus.CONFIRMED) if b.students is not None]
        if groups:
            booking = groups[index % len(groups)]
            services.change_headcount(booking.user, booking, students=students, adults=adults, now=self.changed_at)

    def op_resize(self, capacity):
        services.resize_slot(self.manager, self.slot_now(), capacity, now=self.changed_at)

    def op_decline(self, index):
        pending = self.bookings(BookingStatus.PENDING)
        if pending:
            services.decline_booking(self.manager, pending[index % len(pending)], reason="满员",
                                     now=self.changed_at)

    def op_approve(self, index):
        pending = self.bookings(BookingStatus.PENDING)
        if pending:
            services.approve_booking(self.manager, pending[index % len(pending)], now=self.changed_at)

    def op_promote(self):
        services.promote_waitlist(self.slot_id, now=self.changed_at)

    def op_check_in(self, index, persons):
        confirmed = self.bookings(BookingStatus.CONFIRMED)
        if confirmed:
            booking = confirmed[index % len(confirmed)]
            self.scan(0, booking.reference, f"n{next(_nonces)}", persons if booking.students is None else 0)

    def op_retry_check_in(self, index):
        if self.scans:
            gate, reference, nonce = self.scans[index % len(self.scans)]
            self.scan(gate, reference, nonce)

    def op_second_gate(self, index):
        everyone = self.bookings()
        if everyone:
            self.scan(1, everyone[index % len(everyone)].reference, f"n{next(_nonces)}")

    def check(self) -> None:
        db.session.expire_all()
        slot = self.slot_now()
        held = db.session.scalar(select(func.coalesce(func.sum(Booking.seats), 0))
                                 .where(Booking.slot_id == self.slot_id, Booking.status.in_(HOLDING)))
        assert slot.taken == held, (slot.taken, held)
        assert 0 <= slot.partner_taken <= slot.taken <= slot.capacity
        bookings = {b.id: b for b in self.bookings()}
        admissions = list(db.session.scalars(
            select(CheckIn).where(CheckIn.booking_id.in_(bookings), CheckIn.result == CheckInResult.OK)))
        admitted_ids = [c.booking_id for c in admissions]
        assert len(admitted_ids) == len(set(admitted_ids)), "a booking admitted twice"
        checked_in = {i for i, b in bookings.items() if b.status == BookingStatus.CHECKED_IN}
        assert set(admitted_ids) == checked_in
        for row in admissions:
            assert 1 <= row.persons <= bookings[row.booking_id].seats
        room = slot.capacity - slot.taken
        waiting = [b.seats for b in bookings.values() if b.status == BookingStatus.WAITLISTED]
        assert all(seats > room for seats in waiting), (room, waiting)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=20))
def test_no_sequence_of_operations_overfills_a_slot_or_counts_a_visit_twice(app, operations):
    world = World()
    for op in operations:
        try:
            world.run(op)
            db.session.commit()
            event(f"{op[0]}: done")
        except DomainError as refused:
            db.session.rollback()
            event(f"{op[0]}: {refused.code}")
        world.check()
