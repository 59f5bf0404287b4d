"""The gate's pages: the scanner (camera, USB scanner, typed code) and staff walk-ins; the manager's
gate devices and walk-in poster; the visitor's walk-in form; the ticket shown on booking pages."""
from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from urllib.parse import quote, unquote

from flask import (Blueprint, abort, current_app, flash, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.accounts import tokens
from app.accounts.models import ApiToken, TokenKind
from app.bookings.models import BookingKind, BookingStatus
from app.checkin import present, services, tickets, walkins
from app.checkin.forms import GateDeviceForm, GroupHeadcountForm, RevokeForm, ScanForm, StaffWalkInForm, WalkInForm
from app.checkin.models import CheckInResult
from app.checkin.services import GATE_MAX, Headcount
from app.core.authz import authorize
from app.core.errors import DomainError
from app.core.forms import apply_error
from app.core.time import LOCAL_TZ, local_today, utcnow
from app.extensions import db, limiter
from app.notifications.services import site_url
from app.venues.models import Venue, VenueStatus

bp = Blueprint("checkin", __name__)

GATE_COOKIE = "sv_gate"
GATE_COOKIE_AGE = 400 * 24 * 3600
# A visitor's phone at the walk-in poster: counted once a day per venue, so the cookie lasts the day.
DEVICE_COOKIE = "sv_device"


# --- the ticket on booking pages ------------------------------------------------------------------

def ticket_view(booking) -> dict | None:
    """What the booking page and the slip show of a ticket, if this viewer may see one now."""
    if booking.status != BookingStatus.CONFIRMED or not services.can_view_ticket(current_user, booking):
        return None
    code = tickets.code_for_booking(booking)
    return {"code": code, "code_grouped": tickets.grouped(code), "png": url_for("api.ticket_png", booking_id=booking.id)}


@bp.app_template_global()  # a global, not in ticket_helpers: list macros are imported without the context
def ticket_to_show(booking) -> bool:
    """For lists of bookings: whether to offer "Show ticket" on ``booking`` to this viewer now."""
    return services.ticket_still_admits(booking, utcnow()) and services.can_view_ticket(current_user, booking)


@bp.app_context_processor
def ticket_helpers():
    return {"checkin_ticket": ticket_view}


# --- the scanner ----------------------------------------------------------------------------------

def _gate_venue() -> Venue:
    authorize(services.can_check_in(current_user))
    venue = db.session.get(Venue, current_user.venue_id)
    if venue is None:
        abort(404)
    return venue


def remembered_gate() -> str:
    """The gate this device stands at. One cookie, written here and by static/js/scanner.js (a scan
    through the API sets nothing), percent-encoded as the script's encodeURIComponent writes it."""
    return unquote(request.cookies.get(GATE_COOKIE, ""))[:GATE_MAX]


def _new_scan_form(gate: str | None = None) -> ScanForm:
    form = ScanForm(formdata=None, gate=remembered_gate() if gate is None else gate)
    form.nonce.data = uuid.uuid4().hex
    return form


def _render_scanner(venue: Venue, *, outcome=None, headcount_form=None, scan_form=None, walk_in_form=None,
                    status: int = 200):
    day = services.gate_day(venue.id)
    response = make_response(render_template(
        "checkin/scan.html", venue=venue, outcome=outcome, headcount_form=headcount_form,
        form=scan_form or _new_scan_form(), walk_in_form=walk_in_form or StaffWalkInForm(formdata=None),
        day=day, totals=services.day_totals(venue.id, day.date),
        recent=services.recent_attempts(venue.id, day.date, through=day.today),
        closure=walkins.closed_on(venue.id, day.today),
        undoable=walkins.undoable_walk_ins(current_user, venue.id), undo_minutes=walkins.UNDO_MINUTES,
        present=present, csrf=generate_csrf(), gate_cookie=GATE_COOKIE, gate_cookie_age=GATE_COOKIE_AGE), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _remember_gate(response, gate: str | None):
    if gate is not None:
        # Not HttpOnly: the scanner script rewrites it when staff type another gate.
        response.set_cookie(GATE_COOKIE, quote(gate.strip()[:GATE_MAX], safe=""), max_age=GATE_COOKIE_AGE,
                            samesite="Lax", secure=request.is_secure)
    return response


@bp.route("/scan", methods=["GET", "POST"])
@login_required
def scan():
    venue = _gate_venue()
    if request.method == "GET":
        # Written again: an older cookie (HttpOnly then) becomes one the script can update.
        gate = remembered_gate() if GATE_COOKIE in request.cookies else None
        return _remember_gate(_render_scanner(venue), gate)
    form = ScanForm()
    if not form.validate():
        return _render_scanner(venue, scan_form=form, status=400)
    code, gate, nonce = form.code.data, form.gate.data or "", form.nonce.data or None
    preview = services.check_ticket(current_user, code)
    if preview.result == CheckInResult.OK and preview.booking.kind == BookingKind.GROUP:
        # A class: staff confirm who actually came before it is admitted.
        headcount_form = GroupHeadcountForm(formdata=None, code=code, gate=gate, nonce=nonce,
                                            students=preview.booking.students, adults=preview.booking.adults)
        return _remember_gate(_render_scanner(venue, outcome=preview, headcount_form=headcount_form,
                                              scan_form=_new_scan_form(gate)), gate)
    outcome = _record(code, gate=gate, nonce=nonce)
    db.session.commit()
    return _remember_gate(_render_scanner(venue, outcome=outcome, scan_form=_new_scan_form(gate)), gate)


def _record(code: str, *, gate: str, nonce: str | None, headcount: Headcount | None = None):
    try:
        return services.record_check_in(current_user, code, gate=gate, nonce=nonce, headcount=headcount)
    except DomainError as refused:
        if refused.code != "nonce_reused":
            raise
        # A page's nonce comes back with another ticket when staff went Back in the browser and
        # scanned again: that is a new scan, not a retry.
        return services.record_check_in(current_user, code, gate=gate, headcount=headcount)


@bp.post("/scan/group")
@login_required
def scan_group():
    venue = _gate_venue()
    form = GroupHeadcountForm()
    if form.validate():
        try:
            outcome = _record(form.code.data, gate=form.gate.data, nonce=form.nonce.data or None,
                              headcount=Headcount(students=form.students.data, adults=form.adults.data))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            # Next to the students or adults it is about; a class of nobody, above the form. What was
            # typed stays in the form to be corrected.
            apply_error(form, exc)
        else:
            return _render_scanner(venue, outcome=outcome)
    preview = services.check_ticket(current_user, form.code.data or "")
    return _render_scanner(venue, outcome=preview, headcount_form=form, status=400)


@bp.get("/scan/totals")
@login_required
def scan_totals():
    venue = _gate_venue()
    response = jsonify(services.day_totals(venue.id, services.gate_day(venue.id).date))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/scan/walk-in")
@login_required
def staff_walk_in():
    venue = _gate_venue()
    form = StaffWalkInForm()
    if form.validate():
        try:
            walkins.record_walk_in(current_user, venue, persons=form.persons.data,
                                   audience_group=form.audience_group.data, gate=remembered_gate())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            flash(ngettext("%(num)d walk-in visitor counted.", "%(num)d walk-in visitors counted.", form.persons.data),
                  "success")
            return redirect(url_for("checkin.scan"))
    return _render_scanner(venue, walk_in_form=form, status=400)


@bp.post("/scan/walk-in/<int:checkin_id>/undo")
@login_required
def undo_staff_walk_in(checkin_id: int):
    _gate_venue()
    try:
        persons = walkins.undo_walk_in(current_user, checkin_id)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
    else:
        flash(ngettext("%(num)d walk-in visitor taken back.", "%(num)d walk-in visitors taken back.", persons),
              "success")
    return redirect(url_for("checkin.scan"))


# --- the manager's gate devices and poster ----------------------------------------------------------

def _managed_venue() -> Venue:
    authorize(services.can_manage_gates(current_user))
    venue = db.session.get(Venue, current_user.venue_id)
    if venue is None:
        abort(404)
    return venue


def _render_gates(venue: Venue, form: GateDeviceForm, *, secret: str | None = None, status: int = 200):
    response = make_response(render_template("checkin/gates.html", venue=venue, form=form, secret=secret,
                                              devices=tokens.gate_tokens(venue.id), revoke_form=RevokeForm(),
                                              now=utcnow()), status)
    response.headers["Cache-Control"] = "no-store"  # the new secret is shown once
    return response


@bp.route("/manage/gates", methods=["GET", "POST"])
@login_required
def gates():
    venue = _managed_venue()
    form = GateDeviceForm()
    if request.method == "GET":
        return _render_gates(venue, form)
    if form.validate():
        try:
            secret, _token = tokens.issue_gate_token(current_user, venue, name=form.name.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            return _render_gates(venue, GateDeviceForm(formdata=None), secret=secret, status=201)
    return _render_gates(venue, form, status=400)


@bp.post("/manage/gates/<int:token_id>/revoke")
@login_required
def revoke_gate(token_id: int):
    venue = _managed_venue()
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.venue_id == venue.id,
                                                     ApiToken.kind == TokenKind.GATE))
    if token is None:
        abort(404)
    if not RevokeForm().validate():
        abort(400)
    tokens.revoke_token(token)
    db.session.commit()
    flash(_("The device %(name)s can no longer check tickets in.", name=token.name), "success")
    return redirect(url_for("checkin.gates"))


def _walk_in_url(venue: Venue) -> str:
    # Printed and scanned by visitors' phones: the site's own address, not the Host this request named.
    return site_url(url_for("checkin.walk_in", venue_id=venue.id, token=walkins.daily_token(venue.id, local_today())))


@bp.get("/manage/poster")
@login_required
def poster():
    venue = _gate_venue()
    return render_template("checkin/poster.html", venue=venue, url=_walk_in_url(venue), today=local_today())


@bp.get("/manage/poster/qr.svg")
@login_required
def poster_qr():
    venue = _gate_venue()
    response = make_response(tickets.svg(_walk_in_url(venue), box_size=12))
    response.mimetype = "image/svg+xml"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- the visitor's walk-in --------------------------------------------------------------------------

def _poster_venue(venue_id: int, token: str) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        abort(404)
    if not walkins.token_is_valid(venue_id, token):
        abort(404)  # yesterday's poster, or a made-up link
    return venue


def _walker_key() -> str:
    """Rate-limit key of whoever sends the poster's form: the signed-in account, else the phone (its
    walk-in cookie, as the keyed hash a visit keeps), else the address. Many visitors share one
    address (the venue's Wi-Fi, a carrier's NAT); each phone has its own cookie."""
    if current_user.is_authenticated:
        return f"walker:user:{current_user.id}"
    venue_id, today = request.view_args["venue_id"], local_today()
    device = walkins.device_id_for(request.cookies.get(DEVICE_COOKIE), today)
    if device:
        return f"walker:device:{walkins.device_hash(device, venue_id, today)}"
    return f"walker:address:{get_remote_address()}"


def _venue_key() -> str:
    return f"walk-in-venue:{request.view_args['venue_id']}"


def _configured(name: str):
    return lambda: current_app.config[name]


@bp.route("/walk-in/<int:venue_id>/<token>", methods=["GET", "POST"])
# Each phone or account: a party counts once a day, so more than this is a script.
@limiter.limit(_configured("WALK_IN_LIMIT_PER_WALKER"), methods=["POST"], key_func=_walker_key)
# Each venue, whoever sends: a flood of made-up walk-ins stops at a rate no queue at a door reaches.
@limiter.shared_limit(_configured("WALK_IN_LIMIT_PER_VENUE"), scope="walk-in-venue", methods=["POST"],
                      key_func=_venue_key)
# Each address, a backstop far above a busy entrance's Wi-Fi; by the hour, never for the whole day.
@limiter.limit(_configured("WALK_IN_LIMIT_PER_ADDRESS"), methods=["POST"], key_func=get_remote_address)
def walk_in(venue_id: int, token: str):
    venue = _poster_venue(venue_id, token)
    today = local_today()
    device = walkins.device_id_for(request.cookies.get(DEVICE_COOKIE), today)
    new_device = device is None
    device = device or walkins.new_device_id(today)
    form = WalkInForm()
    visit, status = walkins.previous_walk_in(venue.id, today, device, current_user), 200
    counted_before = visit is not None  # this phone, or this account, registered earlier today
    # A signed-in visitor's ticket here today: admitted on it (also after it took their walk-in
    # over), to show it at the gate, or for later.
    ticket = walkins.ticket_today(current_user, venue.id) if visit is None or not visit.persons else None
    if visit is None and not (ticket and ticket.replaces_walk_in) and request.method == "POST":
        if form.validate():
            try:
                visit, new = walkins.record_walk_in(None, venue, persons=form.persons.data,
                                                    audience_group=form.audience_group.data, device=device,
                                                    visitor=current_user)
                counted_before = not new
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                apply_error(form, exc)
                status = 400 if exc.status == 400 else exc.status
        else:
            status = 400
    response = make_response(render_template("checkin/walk_in.html", venue=venue, form=form, visit=visit,
                                             counted_before=counted_before, room=walkins.room_left(venue, today),
                                             ticket=ticket, today=today, closed=walkins.closed_on(venue.id, today)),
                             status)
    if new_device:
        midnight = datetime.combine(today + timedelta(days=1), time(), LOCAL_TZ)
        response.set_cookie(DEVICE_COOKIE, device, expires=midnight,
                            max_age=max(0, int((midnight - datetime.now(LOCAL_TZ)).total_seconds())),
                            samesite="Lax", httponly=True, secure=request.is_secure)
    return response
