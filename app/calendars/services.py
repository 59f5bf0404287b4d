"""Calendar feeds: a user's private subscription (a secret URL) and what each feed lists."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from app.bookings.models import Booking
from app.calendars.models import CalendarFeed
from app.core.errors import Forbidden
from app.core.time import utcnow
from app.events.services import FEED_LIMIT
from app.extensions import db
from app.scheduling.models import Slot, SlotStatus
from app.venues.models import Venue, VenueStatus

# A personal feed shows recent past visits too, so a subscriber's calendar keeps its history.
FEED_HISTORY = timedelta(days=90)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def can_have_feed(user) -> bool:
    """Anyone signed in may subscribe to their own bookings."""
    return bool(getattr(user, "is_authenticated", False))


def feed_of(user) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def issue_feed_token(user) -> str:
    """Create the user's feed, or replace its secret: the old URL stops working at once.

    Returns the new token; only its hash is stored, so this is the one chance to show it.
    """
    if not can_have_feed(user):
        raise Forbidden()
    token = secrets.token_urlsafe(32)
    feed = feed_of(user)
    if feed is None:
        db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    else:
        feed.token_hash = _hash(token)
        feed.created_at = utcnow()
    db.session.flush()
    return token


def user_for_feed_token(token: str):
    """The active user whose feed this token opens, or None."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token)))
    if feed is None or feed.user is None or not feed.user.is_active:
        return None
    return feed.user


def feed_bookings(user, now: datetime) -> list[Booking]:
    """The user's bookings whose visit is upcoming or recent, in any status (a cancelled one is
    listed as cancelled, so subscribed calendars drop it)."""
    return list(db.session.scalars(
        select(Booking).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.user_id == user.id, Slot.ends_at > now - FEED_HISTORY)
        .order_by(Slot.starts_at, Booking.id).limit(FEED_LIMIT)))


def venue_has_public_feed(venue: Venue) -> bool:
    return venue.status == VenueStatus.APPROVED


def upcoming_open_slots(venue: Venue, now: datetime) -> list[Slot]:
    """The venue's open slots that have not ended, soonest first."""
    return list(db.session.scalars(
        select(Slot).where(Slot.venue_id == venue.id, Slot.status == SlotStatus.OPEN, Slot.ends_at > now)
        .order_by(Slot.starts_at, Slot.id).limit(FEED_LIMIT)))
