"""Telling bookers what happened to their booking, through the outbox."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications.services import queue_message

SUBJECTS = {
    "confirmed": _l("Your visit is booked"),
    "requested": _l("Your class visit request was received"),
    "approved": _l("Your class visit is approved"),
    "declined": _l("Your class visit request was declined"),
    "cancelled": _l("Your booking is cancelled"),
    "changed": _l("Your booking was changed"),
    "waitlisted": _l("You are on the waiting list"),
    "promoted": _l("A place came free: your visit is booked"),
    "closure": _l("Your visit is cancelled: the venue is closed that day"),
    "reminder": _l("Reminder: your visit is tomorrow"),
}


def booking_event(booking, event: str) -> None:
    user = booking.user
    if user is None:
        return
    queue_message(kind=f"booking_{event}", recipient=user.email, subject=SUBJECTS[event],
                  body=f"{booking.venue.name_zh} · {booking.reference}", user=user)
