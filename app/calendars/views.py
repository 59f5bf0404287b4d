"""Calendar downloads and feeds: a booking's .ics, the user's private feed, a venue's open slots."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.bookings.models import Booking
from app.bookings.notify import booking_url, ics_filename
from app.bookings.services import can_view_booking
from app.calendars import ics, services
from app.calendars.forms import FeedForm
from app.core.authz import authorize
from app.core.i18n import localized
from app.core.time import local_today, utcnow
from app.extensions import db, limiter
from app.notifications.services import recipient_locale, site_url
from app.scheduling.services import venue_closures
from app.venues.models import Venue

bp = Blueprint("calendars", __name__)


@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def booking_ics(booking_id: int):
    booking = db.session.get(Booking, booking_id)
    # Someone else's booking is "not found": its existence is not theirs to know.
    if booking is None or not can_view_booking(current_user, booking):
        abort(404)
    cal = ics.booking_calendar(booking, booking_url(booking))
    return ics.ics_response(cal, ics_filename(booking), private=True)


@bp.get("/calendar/<token>.ics")
@limiter.limit("60 per minute")
def user_feed(token: str):
    user = services.user_for_feed_token(token)
    if user is None:
        abort(404)
    # Calendar programs send no cookies: the feed speaks the owner's language.
    with force_locale(recipient_locale(user)):
        cal = ics.bookings_feed(_("My SciVisit visits"), services.feed_bookings(user, utcnow()), booking_url)
    return ics.ics_response(cal, "scivisit-my-visits.ics", private=True)


@bp.route("/me/calendar", methods=["GET", "POST"])
@login_required
def my_calendar():
    authorize(services.can_have_feed(current_user))
    form = FeedForm()
    feed_url = None
    if form.validate_on_submit():
        token = services.issue_feed_token(current_user)
        db.session.commit()
        # Only the token's hash is stored, so the address is shown now, on this response,
        # and never again (not redirected through a cookie). It goes into a calendar program,
        # so it names the site's own address, not the Host this request named.
        feed_url = site_url(url_for("calendars.user_feed", token=token))
    return render_template("calendars/my_calendar.html", form=form, feed=services.feed_of(current_user),
                           feed_url=feed_url)


@bp.get("/venues/<int:venue_id>/calendar.ics")
def venue_feed(venue_id: int):
    venue = db.session.get(Venue, venue_id)
    if venue is None or not services.venue_has_public_feed(venue):
        abort(404)
    cal = ics.slots_feed(
        _("%(venue)s: open times", venue=localized(venue, "name")),
        services.upcoming_open_slots(venue, utcnow()),
        lambda slot: url_for("bookings.book_slot", slot_id=slot.id, _external=True))
    for closure in venue_closures(venue, upcoming_from=local_today()):
        cal.add_component(ics.closure_event(closure))
    return ics.ics_response(cal, f"scivisit-venue-{venue.id}.ics")
