"""Pages of the venue registry: the public directory and venue page, and the manager's registration.

The reviewers' pages (district and city admins) are in ``admin_views``, on the same blueprint.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from babel.dates import format_skeleton
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.bookings.views import current_viewer
from app.core.authz import authorize, role_required
from app.core.errors import DomainError
from app.core.forms import apply_error
from app.core.pagination import redirect_past_the_end
from app.core.time import local_today, utcnow
from app.districts.services import district_choices
from app.extensions import db
from app.scheduling.availability import audience_for, month_availability, opening_month, parse_month
from app.scheduling.services import coming_closures
from app.stats.reports import filed_years
from app.stats.services import venue_figures
from app.venues import lookalikes, services
from app.venues.directory import (OPEN_ON_DAYS_AHEAD, directory_themes, parse_directory_filters, places_on,
                                  quick_days, search_directory)
from app.venues.forms import GRADES, WEEKDAYS, ActionForm, VenueForm
from app.venues.models import AccreditationLevel, Venue, VenueStatus, VenueType
from app.venues.themes import theme_label

bp = Blueprint("venues", __name__)


bp.add_app_template_global(theme_label)


@bp.app_template_global()
def grade_label(grade: int) -> str:
    return str(dict(GRADES).get(grade, grade))


@bp.app_template_global()
def short_day(day: date) -> str:
    """"12月5日" / "Dec 5": a day of the coming weeks, named where its weekday is already said."""
    return _short_day(day, str(get_locale()))


@lru_cache(maxsize=512)
def _short_day(day: date, locale: str) -> str:
    # Babel matches the skeleton anew on every call (milliseconds): every directory page shows four days.
    return format_skeleton("MMMd", day, locale=locale)


@bp.app_template_global()
def closed_days_label(venue: Venue) -> str:
    days = venue.closed_weekday_set
    return _(", ").join(str(label) for number, label in WEEKDAYS if number in days)


# --- Public -------------------------------------------------------------------------------------

@bp.get("/venues")
def directory():
    today, now, viewer = local_today(), utcnow(), current_viewer()
    filters, problems = parse_directory_filters(
        request.args, per_page=current_app.config["DIRECTORY_PAGE_SIZE"], today=today)
    # A search that could not be read finds nothing: listing every venue would pass for matches.
    page = None if problems else search_directory(filters, viewer=viewer, now=now)
    redirect_past_the_end(page)
    places = (places_on(page.items, filters.open_on, viewer, now)
              if page is not None and filters.open_on is not None else None)
    themes = directory_themes()
    if filters.theme and filters.theme not in themes:
        themes.append(filters.theme)
    return render_template(
        "venues/directory.html", page=page, filters=filters, themes=themes, places=places,
        problems={problem.field: problem.message for problem in problems},
        districts=district_choices(), types=VenueType.choices(), grades=GRADES,
        accreditation_levels=AccreditationLevel.choices(), today=today, quick_days=quick_days(today),
        last_open_on=today + timedelta(days=OPEN_ON_DAYS_AHEAD)), 400 if problems else 200


@bp.get("/venues/<int:venue_id>")
def detail(venue_id: int):
    venue = services.find_venue(venue_id) or abort(404)
    if not services.can_view_venue(current_user, venue):
        abort(404)  # unpublished venues do not exist for the public
    today = local_today()
    audience = audience_for(request.args, current_user)
    year, month = parse_month(request.args.get("month")) or opening_month(venue, audience, viewer=current_viewer())
    # Published venues show their own figures this year (statistics come from check-ins only).
    figures = venue_figures(venue.id, today.year) if venue.status == VenueStatus.APPROVED else None
    return render_template("venues/detail.html", venue=venue, today=today,
                           accreditations=venue.current_accreditations(today), figures=figures,
                           filed_reports=filed_years(venue.id),
                           coming_closures=coming_closures(venue) if venue.status == VenueStatus.APPROVED else [],
                           month_view=month_availability(venue, year, month, audience))


# --- The venue manager --------------------------------------------------------------------------

@bp.route("/manage/venue", methods=["GET", "POST"])
@role_required(Role.VENUE_MANAGER)
def manage_venue():
    venue = current_user.venue
    if venue is None:
        authorize(services.can_register_venue(current_user))
    else:
        authorize(services.can_manage_venue(current_user, venue))
    choices = district_choices()
    if venue is not None and request.method == "GET":
        form = VenueForm.for_venue(venue, district_choices=choices)
    else:
        form = VenueForm(district_choices=choices)
    if form.validate_on_submit():
        message = None  # stays None while a move waits for the manager's confirmation: nothing is saved
        try:
            if venue is None:
                services.register_venue(current_user, form.venue_data())
                message = _("Your venue is saved as a draft. Submit it for review when it is complete.")
            elif not services.move_needs_confirmation(current_user, venue, form.venue_data(),
                                                      form.confirm_move.data):
                was = venue.status
                services.update_venue(current_user, venue, form.venue_data())
                message = _("The venue profile is saved.")
                if venue.status != was:
                    message = _("The venue profile is saved. As it moved to another district, it goes back to "
                                "review by that district and is hidden from the public until approved.")
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            if message is not None:
                db.session.commit()
                flash(message, "success")
                return redirect(url_for("venues.manage_venue"))
    elif form.is_submitted():
        # The form's own checks refused it: show the profile's rules' faults as well, all on one submit.
        try:
            services.check_profile(form.venue_data())
        except DomainError as exc:
            apply_error(form, exc)
    venue = current_user.venue
    # A form shown again with a move that sends the venue back to review warns of it and offers the
    # confirmation, also when it comes back for another field's error.
    relocation = (services.relocation(venue, form.district_code.data)
                  if venue is not None and request.method == "POST" else None)
    return render_template("venues/manage.html", form=form, venue=venue, relocation=relocation,
                           lookalikes=lookalikes.shown_to_manager(venue) if venue is not None else [],
                           action_form=ActionForm(), today=local_today()), 400 if form.errors else 200


@bp.post("/manage/venue/submit")
@role_required(Role.VENUE_MANAGER)
def submit_venue():
    venue = current_user.venue
    if venue is None:
        abort(404)
    authorize(services.can_manage_venue(current_user, venue))
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.submit_venue(current_user, venue)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Your venue is submitted. The district will review it."), "success")
    return redirect(url_for("venues.manage_venue"))


def page_arg() -> int:
    """The ``page`` query argument; anything but a sensible page number means page 1."""
    value = request.args.get("page", "")
    if len(value) <= 5 and value.isascii() and value.isdigit() and int(value) >= 1:
        return int(value)
    return 1


def status_choices():
    return [("all", _("All"))] + [(s.value, s.label) for s in VenueStatus]


from app.venues import admin_views  # noqa: E402,F401  (attaches the reviewers' pages to bp)
