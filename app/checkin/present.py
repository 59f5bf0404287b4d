"""How a check-in outcome is told: in plain words for the gate, and as JSON for the API."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.bookings.models import Booking, BookingKind
from app.bookings.party import class_party, people
from app.checkin.models import CheckIn, CheckInResult
from app.checkin.services import OPENS_BEFORE, Outcome
from app.core.i18n import localized
from app.core.templating import local_date, local_datetime
from app.core.time import to_local, utcnow
from app.extensions import db
from app.schools.models import School
from app.venues.models import Venue

R = CheckInResult
# The screen's colour: green admitted, amber already in, red refused.
TONE = {R.OK: "ok", R.ALREADY_CHECKED_IN: "warn"}


def tone(outcome: Outcome) -> str:
    return TONE.get(outcome.result, "bad")


def title(outcome: Outcome) -> str:
    """The answer in a word or two; a preview (nothing recorded) does not say "Admitted"."""
    if outcome.result == R.OK and not outcome.admitted:
        return _("Valid ticket")
    return str(outcome.result.label)


def message(outcome: Outcome) -> str:
    """The reason in plain words, for staff to read and to tell the visitor."""
    result, booking = outcome.result, outcome.booking
    if result == R.OK and not outcome.admitted:
        # A preview: what a scan would do. Nothing is recorded, so nobody is in yet.
        if booking.kind == BookingKind.GROUP:
            return _("Valid: would admit %(party)s once the headcount is confirmed. Not checked in yet.",
                     party=class_party(booking.students, booking.adults))
        return _("Valid: would admit %(party)s. Not checked in yet.", party=people(booking.seats))
    if result == R.OK:
        if outcome.replaced_walk_in and to_local(outcome.checkin.scanned_at).date() != booking.local_date:
            # After midnight, a night visit: the walk-in was of the visit's date, not of "today".
            return ngettext("Valid ticket, checked in now. Welcome! The booker registered %(num)d person at "
                            "the walk-in poster on %(date)s: counted once, on this ticket.",
                            "Valid ticket, checked in now. Welcome! The booker registered %(num)d people at "
                            "the walk-in poster on %(date)s: counted once, on this ticket.",
                            outcome.replaced_walk_in, date=local_date(booking.local_date))
        if outcome.replaced_walk_in:
            # Staff tell the visitor why the poster's registration no longer stands on its own.
            return ngettext("Valid ticket, checked in now. Welcome! The booker registered %(num)d person at "
                            "the walk-in poster earlier today: counted once, on this ticket.",
                            "Valid ticket, checked in now. Welcome! The booker registered %(num)d people at "
                            "the walk-in poster earlier today: counted once, on this ticket.",
                            outcome.replaced_walk_in)
        return _("Valid ticket, checked in now. Welcome!")
    if result == R.ALREADY_CHECKED_IN:
        previous = outcome.previous
        if previous is None:
            return _("This ticket has already been used.")
        if previous.gate:
            return _("Already checked in at %(time)s at gate %(gate)s.",
                     time=local_datetime(previous.scanned_at, "HH:mm"), gate=previous.gate)
        # Staff who named no gate (typed none, or a token without one): the venue is all we know of
        # where, and it says so. Already in means this venue's ticket, so nothing of another's.
        venue = db.session.get(Venue, booking.venue_id)
        return _("Already checked in at %(time)s at %(venue)s (no gate was named).",
                 time=local_datetime(previous.scanned_at, "HH:mm"), venue=localized(venue, "name"))
    if result == R.INVALID_CODE:
        if outcome.reason == "superseded":
            return _("This is an old code: the booking was changed. Ask the visitor to show the current ticket.")
        return _("This is not a valid SciVisit ticket. It may be damaged or incomplete: try again or type "
                 "the booking number.")
    if result == R.REVOKED_KEY:
        return _("This ticket was signed with a key that has been withdrawn. Ask the visitor to open the "
                 "booking again for a new code.")
    if result == R.UNKNOWN_BOOKING:
        return _("No booking has this number. Check it and try again.")
    if result == R.WRONG_VENUE:
        return _("This ticket is for another venue.")
    if result == R.CANCELLED:
        return _("This booking was cancelled.")
    if result == R.NOT_CONFIRMED:
        return _("This booking is not confirmed, so it cannot be admitted.")
    if result == R.WRONG_DATE and booking is not None:
        seen = outcome.checkin.scanned_at if outcome.checkin is not None else utcnow()  # a preview is now
        if booking.local_date < to_local(seen).date():
            # Outside the window on a later day, so the visit is over: at 01:30 "for yesterday" alone
            # reads as a mistake to staff who admitted that evening's visitors an hour before.
            return _("This ticket was for the visit of %(date)s, which ended at %(time)s.",
                     date=local_date(booking.local_date), time=local_datetime(booking.ends_at, "HH:mm"))
        return _("This ticket is for %(date)s, not today.", date=local_date(booking.local_date))
    if result == R.TOO_EARLY and booking is not None:
        return _("Too early: check-in opens at %(time)s, 30 minutes before the start.",
                 time=local_datetime(booking.starts_at - OPENS_BEFORE, "HH:mm"))
    if result == R.TOO_LATE and booking is not None:
        return _("Too late: this visit ended at %(time)s.", time=local_datetime(booking.ends_at, "HH:mm"))
    return str(result.label)


def party_text(outcome: Outcome) -> str:
    """Who the ticket is for: a party's size, or a class with its school (many schools have a
    四年级2班) and its headcount. Once admitted (now, or before: a second scan), who came, as the
    gate counted them; else as booked."""
    booking = outcome.booking
    if booking is None:
        return ""
    came = outcome.checkin if outcome.admitted else outcome.previous
    if booking.kind == BookingKind.GROUP:
        students = came.students if came is not None and came.students is not None else booking.students
        adults = came.adults if came is not None and came.adults is not None else booking.adults
        party = class_party(students, adults, booking.class_name)
        school = _school_of(booking.id)
        return _("%(school)s · %(party)s", school=localized(school, "name"), party=party) if school else party
    return people(came.persons if came is not None else booking.seats)


def _school_of(booking_id: int) -> School | None:
    # Read once the scan is decided, and for classes only: a party's scan (the hot path) reads nothing more.
    return db.session.scalar(select(School).join(Booking, Booking.school_id == School.id)
                             .where(Booking.id == booking_id))


def _iso(value) -> str | None:
    return to_local(value).isoformat() if value is not None else None


def visit_title(booking) -> str:
    """What the visit is called at the gate, in the interface language: the slot's program (导览, a lab
    session), else the venue."""
    if booking.program_title_zh:
        return localized(booking, "program_title")
    return localized(booking, "venue_name")


def checkin_json(row: CheckIn | None) -> dict | None:
    if row is None:
        return None
    return {"id": row.id, "at": _iso(row.scanned_at), "gate": row.gate, "result": row.result.value}


def outcome_json(outcome: Outcome, *, preview: bool = False) -> dict:
    """``{"result": R, "message": ..., ...details}``; nothing personal, nothing of another venue."""
    data = {"result": outcome.result.value, "title": title(outcome), "message": message(outcome),
            "admitted": outcome.admitted,
            "replayed": outcome.replayed, "tone": tone(outcome)}
    if outcome.reason:
        data["reason"] = outcome.reason
    if preview:
        data["preview"] = True
    booking = outcome.booking
    if booking is not None:
        facts = {"id": booking.id, "reference": booking.reference, "kind": booking.kind.value, "seats": booking.seats}
        if booking.kind == BookingKind.GROUP:
            facts.update(students=booking.students, adults=booking.adults, class_name=booking.class_name)
        else:
            facts["party_size"] = booking.party_size
        if booking.starts_at is not None:
            facts.update(start=_iso(booking.starts_at), end=_iso(booking.ends_at),
                         date=booking.local_date.isoformat())
        data["booking"] = facts
        data["party"] = party_text(outcome)
        data["visit_title"] = visit_title(booking)
    if outcome.checkin is not None:
        data["checkin"] = checkin_json(outcome.checkin)
        if outcome.admitted:
            row = outcome.checkin
            data["headcount"] = {"persons": row.persons, "students": row.students, "adults": row.adults}
            if outcome.replaced_walk_in:
                data["replaced_walk_in"] = {"persons": outcome.replaced_walk_in}
    if outcome.previous is not None:
        data["previous"] = checkin_json(outcome.previous)
    return data
