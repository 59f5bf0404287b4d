"""The check-in hot path's SQL, built once per process with bound parameters so that SQLAlchemy
compiles each statement once: a scan spends its time in the database, not in building SQL."""
from __future__ import annotations

import functools
from types import SimpleNamespace

import sqlalchemy as sa

from app.bookings.models import Booking, BookingKind, BookingStatus
from app.checkin.models import CheckIn, CheckInKind, CheckInResult
from app.extensions import db
from app.scheduling.models import Program, Slot
from app.venues.models import Venue

# What a claim returns: the booking's columns, then its slot's (the fields of ``services.BookingFacts``).
FACT_COLUMNS = ("id", "reference", "venue_id", "kind", "status", "ticket_version", "seats", "party_size",
                "students", "adults", "class_name")
SLOT_COLUMNS = ("starts_at", "ends_at", "local_date")
# …then what the gate shows as the visit's title: the slot's program, else the venue (by subquery,
# so that a scan stays one statement)…
TITLE_COLUMNS = ("program_title_zh", "program_title_en", "venue_name_zh", "venue_name_en")
# …and last, the id of the booker's own walk-in that day (``services.walk_in_nonce``), if any.
CLAIMED_COLUMNS = len(FACT_COLUMNS) + len(SLOT_COLUMNS) + len(TITLE_COLUMNS) + 1


def _titles() -> list:
    """``TITLE_COLUMNS`` of the booking in the statement. SQLite's RETURNING names columns bare, even
    in subqueries: so no joins (``id`` would be ambiguous), and the booking's columns written out."""
    slot_id = sa.literal_column("bookings.slot_id", sa.Integer)
    venue_id = sa.literal_column("bookings.venue_id", sa.Integer)
    programs, slots, venues = Program.__table__, Slot.__table__, Venue.__table__
    program_id = sa.select(slots.c.program_id).where(slots.c.id == slot_id).scalar_subquery()
    return [*(sa.select(programs.c[f"title_{lang}"]).where(programs.c.id == program_id)
              .scalar_subquery().label(f"program_title_{lang}") for lang in ("zh", "en")),
            *(sa.select(venues.c[f"name_{lang}"]).where(venues.c.id == venue_id)
              .scalar_subquery().label(f"venue_name_{lang}") for lang in ("zh", "en"))]


@functools.cache
def _build(dialect: str) -> SimpleNamespace:
    bookings, slots, checkins = Booking.__table__, Slot.__table__, CheckIn.__table__
    in_window = (slots.c.id == bookings.c.slot_id, slots.c.starts_at <= sa.bindparam("p_opens_by"),
                 slots.c.ends_at >= sa.bindparam("p_now"))
    if dialect == "postgresql":
        # UPDATE … FROM slots: the join that checks the window also returns the slot's times.
        claimed_slot = [slots.c[name] for name in SLOT_COLUMNS]
    else:
        # SQLite's RETURNING cannot name an UPDATE's FROM table: the window is an EXISTS and the
        # slot's times come by subquery.
        claimed_slot = [sa.select(slots.c[name]).where(slots.c.id == bookings.c.slot_id).scalar_subquery().label(name)
                        for name in SLOT_COLUMNS]
        in_window = (sa.exists().where(*in_window),)
    # The booker signed in at the walk-in poster that day: their walk-in carries their actor key and the
    # day's nonce, so it is one probe of the (actor_key, nonce) unique index, inside the claim.
    # SQLite's RETURNING names columns without their table, and a bare user_id inside the subquery
    # would be the walk-in's own: there the booker's is written out.
    booker = bookings.c.user_id if dialect == "postgresql" else sa.literal_column("bookings.user_id", sa.Integer)
    walk_in = (sa.select(checkins.c.id)
               .where(checkins.c.actor_key == sa.literal_column("'u'", sa.String) + sa.cast(booker, sa.String),
                      checkins.c.nonce == sa.bindparam("p_walk_in"), checkins.c.kind == CheckInKind.WALK_IN,
                      checkins.c.result == CheckInResult.OK, checkins.c.persons > 0)
               .scalar_subquery().label("walk_in_id"))
    # confirmed → checked_in, only at this venue and inside the window: the one statement that
    # makes a ticket admit once (a second gate's UPDATE finds it no longer confirmed).
    claim = (sa.update(bookings)
             .where(bookings.c.venue_id == sa.bindparam("p_venue"), bookings.c.status == BookingStatus.CONFIRMED,
                    *in_window)
             .values(status=BookingStatus.CHECKED_IN)
             .returning(*(bookings.c[name] for name in FACT_COLUMNS), *claimed_slot, *_titles(), walk_in))
    by_id = claim.where(bookings.c.id == sa.bindparam("p_id"))
    facts = (sa.select(*(bookings.c[name] for name in FACT_COLUMNS), *(slots.c[name] for name in SLOT_COLUMNS),
                       *_titles())
             .join(slots, slots.c.id == bookings.c.slot_id))
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    claim_by_reference = claim.where(bookings.c.reference == sa.bindparam("p_reference"),
                                     bookings.c.ticket_version == sa.bindparam("p_version"))
    return SimpleNamespace(
        claim_and_admit=_claim_and_admit(claim_by_reference, insert(checkins)) if dialect == "postgresql" else None,
        claim_by_reference=claim_by_reference,
        claim_by_id=by_id,
        claim_by_id_and_version=by_id.where(bookings.c.ticket_version == sa.bindparam("p_version")),
        facts_by={"reference": facts.where(bookings.c.reference == sa.bindparam("p_value")),
                  "id": facts.where(bookings.c.id == sa.bindparam("p_value"))},
        admission=sa.select(checkins.c.id, checkins.c.scanned_at, checkins.c.gate, checkins.c.result,
                            checkins.c.persons, checkins.c.students, checkins.c.adults)
        .where(checkins.c.booking_id == sa.bindparam("p_id"), checkins.c.result == CheckInResult.OK),
        unclaim=(sa.update(bookings)
                 .where(bookings.c.id == sa.bindparam("p_id"), bookings.c.status == BookingStatus.CHECKED_IN)
                 .values(status=BookingStatus.CONFIRMED)),
        # ON CONFLICT DO NOTHING: a duplicate nonce (or admission) writes nothing and raises nothing,
        # so no savepoint (two more round trips) is needed.
        insert_attempt=insert(checkins).on_conflict_do_nothing().returning(checkins.c.id),
    )


# The columns of an admission that come from the booking claimed; the others are parameters.
FROM_CLAIM = ("booking_id", "reference", "persons", "students", "adults")


def _claim_and_admit(claim_by_reference, insert):
    """PostgreSQL: the claim and the admission's INSERT in one statement, so a good scan is one round
    trip before the COMMIT instead of two (data-modifying CTEs; SQLite has none and runs the two).

    The admission counts the party as booked: the seats of a party, the students and adults of a
    class, as ``services.admitted_headcount`` does with no headcount given (a gate that confirms a
    headcount takes the two statements). Returns the claim's ``CLAIMED_COLUMNS``, then
    ``checkin_id`` and the counted ``persons, students, adults``; ``checkin_id`` is NULL when the
    INSERT wrote nothing (the nonce was used before), and the caller takes the claim back. No row:
    nothing claimed, nothing written."""
    checkins = insert.table
    claimed = claim_by_reference.cte("claimed")
    group = claimed.c.kind == BookingKind.GROUP
    values = {name: sa.bindparam(f"p_{name}", type_=column.type) for name, column in checkins.c.items()
              if name != "id" and name not in FROM_CLAIM}
    values.update(booking_id=claimed.c.id, reference=claimed.c.reference,
                  persons=sa.case((group, claimed.c.students + claimed.c.adults), else_=claimed.c.seats),
                  students=sa.case((group, claimed.c.students)), adults=sa.case((group, claimed.c.adults)))
    admitted = (insert.from_select(list(values), sa.select(*values.values()))
                .on_conflict_do_nothing()
                .returning(checkins.c.id, checkins.c.persons, checkins.c.students, checkins.c.adults)
                .cte("admitted"))
    return (sa.select(*claimed.c, admitted.c.id.label("checkin_id"), admitted.c.persons.label("admitted_persons"),
                      admitted.c.students.label("admitted_students"), admitted.c.adults.label("admitted_adults"))
            .select_from(claimed.outerjoin(admitted, sa.true())))


def sql() -> SimpleNamespace:
    return _build(db.session.get_bind().dialect.name)
