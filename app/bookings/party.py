"""How a booking's party is said ("四年级2班（学生 20 人，随行成人 1 人）", "Grade 4 Class 2 (20 students, 1 adult)").

One place for pages, emails, calendar entries and the gate, so the counts are always pluralised and
a class is named as the teacher typed it.
"""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from app.bookings.models import BookingKind


def class_party(students: int, adults: int, class_name: str | None = None) -> str:
    """A class's headcount, after its name when given."""
    counts = _("%(students)s, %(adults)s",
               students=ngettext("%(num)d student", "%(num)d students", students),
               adults=ngettext("%(num)d adult", "%(num)d adults", adults))
    if not class_name:
        return counts
    return _("%(class_name)s (%(party)s)", class_name=class_name, party=counts)


def people(count: int) -> str:
    return ngettext("%(num)d person", "%(num)d people", count)


def headcount(booking, came=None) -> str:
    """How many a booking is for; once the gate admitted it (``came``, a ``queries.Arrival``), also how
    many came: "booked 30 students, 2 adults · came 28 students, 2 adults". A class always says both
    (the gate confirmed its numbers); a party only when fewer came than booked."""
    if booking.kind == BookingKind.GROUP:
        booked = class_party(booking.students, booking.adults)
        if came is None or came.students is None:
            return booked
        return _("booked %(booked)s · came %(came)s", booked=booked, came=class_party(came.students, came.adults))
    if came is None or came.persons == booking.party_size:
        return people(booking.party_size)
    return _("booked %(booked)s · came %(came)s", booked=people(booking.party_size), came=people(came.persons))


def party_text(booking, came=None) -> str:
    """Who a booking is for: the class and its headcount, or the number of people (and who came, as
    ``headcount`` says it)."""
    if booking.kind == BookingKind.GROUP and booking.class_name:
        return _("%(class_name)s (%(party)s)", class_name=booking.class_name, party=headcount(booking, came))
    return headcount(booking, came)
