"""The city-wide themed events page and feed, and the city admin's themed-day dates."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.calendars import ics
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error, form_status
from app.core.i18n import localized
from app.core.pagination import page_number, redirect_past_the_end
from app.core.time import local_today, utcnow
from app.districts.services import district_choices
from app.events import services, themed_days
from app.events.forms import EventFilterForm, ThemedDayDatesForm
from app.events.models import ThemedDay
from app.extensions import db

bp = Blueprint("events", __name__)

EVENTS_PER_PAGE = 20


@bp.app_template_global()
def themed_day_label(key: str | None) -> str | None:
    """The themed day a program is tied to, named for visitors (booking page, ticket, slip)."""
    return themed_days.themed_day_label(key)


@bp.get("/events")
def index():
    all_days = themed_days.all_themed_days()
    form = EventFilterForm(request.args)
    form.theme.choices = [SelectChoice("", _l("All themed days"))] + [
        SelectChoice(t.key, localized(t, "name")) for t in all_days]
    form.district.choices = [SelectChoice(code, name) for code, name in district_choices(_l("All districts"))]
    # Unknown values filter nothing rather than fail: the form shows what was applied.
    theme = form.theme.data if form.theme.data in {t.key for t in all_days} else None
    district = form.district.data if form.district.data in {c.value for c in form.district.choices[1:]} else None
    form.theme.data, form.district.data = theme or "", district or ""
    page = page_number(request.args)
    events = services.upcoming_events(utcnow(), services.EventFilters(theme, district), page, EVENTS_PER_PAGE)
    redirect_past_the_end(events)
    return render_template("events/index.html", form=form, page=events,
                           themed_days=themed_days.coming_themed_days(local_today()),
                           by_key={t.key: t for t in all_days}, filtered=bool(theme or district))


@bp.get("/events/calendar.ics")
def calendar():
    names = {t.key: localized(t, "name") for t in themed_days.all_themed_days()}
    slots = db.session.scalars(services.upcoming_event_slots(utcnow()).limit(services.FEED_LIMIT))
    cal = ics.slots_feed(_("Themed science events in Nanjing"), slots,
                         lambda slot: url_for("bookings.book_slot", slot_id=slot.id, _external=True),
                         lambda slot: names.get(slot.program.themed_day_key))
    return ics.ics_response(cal, "scivisit-events.ics")


# --- The city admin --------------------------------------------------------------------------

@bp.get("/admin/themed-days")
@login_required
def admin_list():
    authorize(services.can_manage_themed_days(current_user))
    year = local_today().year
    rows = [(t, themed_days.dates_in(t, year), themed_days.dates_in(t, year + 1))
            for t in themed_days.all_themed_days()]
    return render_template("events/admin_list.html", rows=rows, year=year)


@bp.route("/admin/themed-days/<int:themed_day_id>", methods=["GET", "POST"])
@login_required
def admin_edit(themed_day_id: int):
    themed_day = db.get_or_404(ThemedDay, themed_day_id)
    authorize(services.can_manage_themed_days(current_user))
    form = ThemedDayDatesForm()
    if request.method == "GET":
        year = request.args.get("year", local_today().year, type=int)
        year = year if themed_days.MIN_YEAR <= year <= themed_days.MAX_YEAR else local_today().year
        current = themed_days.dates_in(themed_day, year)
        form.year.data = year
        if current is not None:
            form.starts_on.data, form.ends_on.data = current.starts_on, current.ends_on
    if form.validate_on_submit():
        try:
            themed_days.set_themed_day_dates(current_user, themed_day, year=form.year.data,
                                             starts_on=form.starts_on.data, ends_on=form.ends_on.data)
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("The dates of %(name)s in %(year)d are saved.", name=localized(themed_day, "name"),
                    year=form.year.data), "success")
            return redirect(url_for("events.admin_edit", themed_day_id=themed_day.id, year=form.year.data))
    return render_template("events/admin_edit.html", form=form, themed_day=themed_day), form_status(form)
