"""The venue registry (登记注册) and accreditation (认定): who may do what, and doing it.

Every change of a venue's status goes through ``_move``, which checks the transition table and
records who did it. The public directory's search lives in ``app.venues.directory``.
"""
from __future__ import annotations

import enum
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import case, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import Role, User
from app.core.errors import DomainError, FieldErrors, Forbidden
from app.core.i18n import localized
from app.core.pagination import Page, paginate
from app.core.templating import local_date
from app.core.text import ONE_LINE, breaks_line, width_folded
from app.core.time import local_today, utcnow
from app.districts.models import District
from app.extensions import db
from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url
from app.scheduling import services as scheduling
from app.venues.directory import DirectoryFilters, parse_directory_filters, search_directory  # noqa: F401
from app.venues.models import (WITHDRAWAL_REASON_MAX, Accreditation, AccreditationLevel, Admission, OperatorKind,
                               Venue, VenueDistrictPeriod, VenueStatus, VenueStatusChange, VenueTheme, VenueType,
                               accredited_on, certificate_key, certificate_number)
from app.venues.themes import canonical_theme

S = VenueStatus
# The registration's life, by action: the states it may start from (None: not yet registered) and where it ends.
TRANSITIONS: dict[str, tuple[frozenset, VenueStatus]] = {
    "register": (frozenset({None}), S.DRAFT),
    "submit": (frozenset({S.DRAFT, S.REJECTED}), S.SUBMITTED),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
    "reject": (frozenset({S.SUBMITTED}), S.REJECTED),
    "suspend": (frozenset({S.APPROVED}), S.SUSPENDED),
    "reinstate": (frozenset({S.SUSPENDED}), S.APPROVED),
    # An approved venue that moves to another district: that district has not approved it.
    "relocate": (frozenset({S.APPROVED}), S.SUBMITTED),
}
REVIEW_ACTIONS = ("approve", "reject", "suspend", "reinstate")
# Every step is a person's (``_move`` and ``_note`` name them): one without an actor is one whose
# person has closed their account since (``erase_account`` clears the actor).
CLOSED_ACCOUNT = _l("a closed account")
THEME_SPLIT = re.compile(r"[,，、;；\n]+")
MAX_THEMES = 20
MAX_ID = 2**31 - 1
# Accreditation dates: certificates start from 1950 on, at most a year ahead, and run 30 years at most.
EARLIEST_ACCREDITATION = date(1950, 1, 1)
ACCREDITATION_MAX_YEARS = 30
# What the bookers of a suspended venue's cancelled visits read, in their language.
SUSPENDED_NOTICE = _l("The venue has been suspended by the science association and receives no visitors for now.")
PHONE_RE = re.compile(r"^[0-9+()\- ]{5,40}$")
# The profile's fields typed in ASCII (stored NFKC), and those that are one line of text.
CONTACT_FIELDS = ("contact_phone", "contact_email", "website")
ONE_LINE_FIELDS = ("name_zh", "name_en", "address_zh", "address_en", *CONTACT_FIELDS)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- Policy -------------------------------------------------------------------------------------

def _role(user):
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None


def can_manage_venue(user, venue: Venue) -> bool:
    return _role(user) == Role.VENUE_MANAGER and venue is not None and user.venue_id == venue.id


def can_register_venue(user) -> bool:
    return _role(user) == Role.VENUE_MANAGER and user.venue_id is None


def can_review_venue(user, venue: Venue) -> bool:
    role = _role(user)
    if role == Role.CITY_ADMIN:
        return True
    return role == Role.DISTRICT_ADMIN and user.district_code == venue.district_code


def can_accredit(user) -> bool:
    return _role(user) == Role.CITY_ADMIN


def can_view_venue(user, venue: Venue) -> bool:
    """Approved venues are public; the others only to their manager and reviewers."""
    return venue.status == VenueStatus.APPROVED or can_manage_venue(user, venue) or can_review_venue(user, venue)


def ever_registered():
    """A condition on ``Venue``: it has been on the register (approved) at some time, whatever its
    status now: approved, suspended, or back in review after a move. What was published about such a
    venue's past (attendance, events, reports) stays published; only approved venues are open now."""
    return Venue.status.in_((S.APPROVED, S.SUSPENDED)) | exists().where(
        VenueStatusChange.venue_id == Venue.id, VenueStatusChange.to_status == S.APPROVED)


def was_ever_registered(venue: Venue) -> bool:
    """``ever_registered`` for one loaded venue."""
    return venue.status in (S.APPROVED, S.SUSPENDED) or any(c.to_status == S.APPROVED for c in venue.status_changes)


def find_venue(venue_id: int) -> Venue | None:
    """The venue with this id, or None; ids beyond the database's integer range simply do not exist."""
    return db.session.get(Venue, venue_id) if 0 < venue_id <= MAX_ID else None


# --- The profile --------------------------------------------------------------------------------

def parse_themes(value) -> list[str]:
    """Themes typed as one text ("天文、物理; 地质") or given as a list, without repeats."""
    parts = THEME_SPLIT.split(value) if isinstance(value, str) else list(value or [])
    names, seen = [], set()
    for part in parts:
        name = canonical_theme(" ".join(str(part).split()))
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    if len(names) > MAX_THEMES:
        raise DomainError("too_many_themes", _l("Give at most %(n)d themes.", n=MAX_THEMES), field="themes")
    if any(len(n) > 80 for n in names):
        raise DomainError("theme_too_long", _l("Each theme can be at most 80 characters."), field="themes")
    return names


def _text(data, key: str) -> str:
    return (data.get(key) or "").replace("\x00", "").strip()


def _coordinate(value, low: int, high: int, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not low <= number <= high:
        raise DomainError("invalid_coordinate",
                          _l("Enter a number between %(low)d and %(high)d.", low=low, high=high), field=field)
    return number.quantize(Decimal("0.000001"))


def _grade(value, field: str) -> int:
    try:
        grade = int(value)
    except (TypeError, ValueError):
        grade = -1
    if not 0 <= grade <= 12:
        raise DomainError("invalid_grade", _l("Choose a grade from kindergarten to grade 12."), field=field)
    return grade


def _choice(enum_cls, value, field: str):
    try:
        return enum_cls(value)
    except ValueError:
        raise DomainError("invalid_choice", _l("Choose one of the options."), field=field) from None


def _clean_profile(data) -> dict:
    """Check a profile as a whole; returns the column values (and ``themes``) to store.

    Every fault is found in one pass and raised together as ``FieldErrors`` (first fault first, one
    per field), so a form marks them all on one submit.
    """
    problems: list[DomainError] = []

    def complain(code: str, message, field: str) -> None:
        # One complaint per field: a second about a value already refused (e.g. "give both
        # coordinates" after "not a number") would be about nothing.
        if all(p.field != field for p in problems):
            problems.append(DomainError(code, message, field=field))

    def read(parse, *args):
        """``parse(*args)``, or None with its complaint noted."""
        try:
            return parse(*args)
        except DomainError as exc:
            complain(exc.code, exc.message, exc.field)
            return None

    clean = {key: _text(data, key) for key in (
        "name_zh", "name_en", "address_zh", "address_en", "description_zh", "description_en",
        "discount_zh", "discount_en", "accessibility_zh", "accessibility_en",
        "contact_phone", "contact_email", "website")}
    for key in CONTACT_FIELDS:
        # A Chinese input method types digits and signs in full width (０２５－８４８０), as the form
        # already reads them in the capacity and the coordinates: kept as the digits they are.
        clean[key] = width_folded(clean[key]).strip()
    for key in ONE_LINE_FIELDS:
        if breaks_line(clean[key]):
            complain("not_one_line", ONE_LINE, key)
    if not clean["name_zh"]:
        complain("name_required", _l("Enter the venue's Chinese name."), "name_zh")
    if not clean["address_zh"]:
        complain("address_required", _l("Enter the venue's address."), "address_zh")
    clean["venue_type"] = read(_choice, VenueType, data.get("venue_type"), "venue_type")
    clean["operator_kind"] = read(_choice, OperatorKind, data.get("operator_kind"), "operator_kind")
    clean["admission"] = read(_choice, Admission, data.get("admission") or Admission.FREE, "admission")
    code = data.get("district_code")
    if not code or db.session.get(District, str(code)) is None:
        complain("invalid_district", _l("Choose the district."), "district_code")
    clean["district_code"] = str(code)

    if clean["admission"] == Admission.DISCOUNTED and not clean["discount_zh"]:
        complain("discount_required", _l("Describe the discount (who pays what)."), "discount_zh")
    if clean["admission"] == Admission.FREE:
        clean["discount_zh"] = clean["discount_en"] = ""

    clean["grade_min"] = read(_grade, data.get("grade_min", 0), "grade_min")
    clean["grade_max"] = read(_grade, data.get("grade_max", 12), "grade_max")
    if None not in (clean["grade_min"], clean["grade_max"]) and clean["grade_min"] > clean["grade_max"]:
        complain("grade_range", _l("The highest grade cannot be below the lowest grade."), "grade_max")

    clean["latitude"] = read(_coordinate, data.get("latitude"), -90, 90, "latitude")
    clean["longitude"] = read(_coordinate, data.get("longitude"), -180, 180, "longitude")
    if (clean["latitude"] is None) != (clean["longitude"] is None):
        missing = "latitude" if clean["latitude"] is None else "longitude"
        complain("coordinates_incomplete", _l("Give both latitude and longitude, or neither."), missing)

    opens, closes = data.get("opens_at"), data.get("closes_at")
    if (opens is None) != (closes is None):
        complain("hours_incomplete", _l("Give both the opening and the closing time, or neither."),
                 "closes_at" if closes is None else "opens_at")
    if isinstance(opens, time) and isinstance(closes, time) and opens >= closes:
        complain("hours_order", _l("The closing time must be after the opening time."), "closes_at")
    clean["opens_at"], clean["closes_at"] = opens, closes

    try:
        days = sorted({int(d) for d in (data.get("closed_weekdays") or [])})
    except (TypeError, ValueError):
        days = [0]
    if any(not 1 <= d <= 7 for d in days):
        complain("invalid_weekday", _l("Choose days from Monday to Sunday."), "closed_weekdays")
    clean["closed_weekdays"] = ",".join(str(d) for d in days)

    capacity = data.get("daily_capacity")
    if capacity is not None and not (isinstance(capacity, int) and 1 <= capacity <= 1_000_000):
        complain("invalid_capacity", _l("Enter a whole number from 1 to 1,000,000."), "daily_capacity")
    clean["daily_capacity"] = capacity

    if clean["website"] and not re.match(r"^https?://[^\s/]+", clean["website"], re.IGNORECASE):
        complain("invalid_website", _l("Enter a web address starting with http:// or https://."), "website")
    if clean["contact_email"] and not EMAIL_RE.match(clean["contact_email"]):
        complain("invalid_email", _l("Enter an email address like name@example.com."), "contact_email")
    if clean["contact_phone"] and not PHONE_RE.match(clean["contact_phone"]):
        complain("invalid_phone", _l("Enter a telephone number (digits, spaces, + - and brackets)."), "contact_phone")
    clean["themes"] = read(parse_themes, data.get("themes"))
    if problems:
        raise FieldErrors(problems)
    return clean


def check_profile(data) -> None:
    """Raise ``FieldErrors`` with every fault ``register_venue`` or ``update_venue`` would find in
    this profile; changes nothing. For a form refused by its own checks, to show the rest too."""
    _clean_profile(data)


def _apply_profile(venue: Venue, clean: dict) -> None:
    themes = clean.pop("themes")
    for key, value in clean.items():
        setattr(venue, key, value)
    # Keep the rows of themes that stay: deleting and re-adding a name would trip the unique key.
    existing = {t.name: t for t in venue.themes}
    venue.themes = [existing.get(name) or VenueTheme(name=name) for name in themes]


def register_venue(manager, data) -> Venue:
    """A venue manager registers their venue as a draft; it becomes the venue they manage."""
    if not can_register_venue(manager):
        raise _registered_already()
    clean = _clean_profile(data)
    venue = Venue()
    _apply_profile(venue, clean)
    db.session.add(venue)
    _move(venue, "register", manager)
    db.session.flush()
    # Claimed with one conditional UPDATE of the manager's row: of two saves at once (a double click)
    # the second finds a venue there and its own is rolled back with it.
    claimed = db.session.execute(update(User).where(User.id == manager.id, User.venue_id.is_(None))
                                 .values(venue_id=venue.id).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise _registered_already()
    manager.venue_id = venue.id
    return venue


def _registered_already() -> Forbidden:
    return Forbidden(_l("Only a venue manager without a venue can register one."))


@dataclass(frozen=True)
class Relocation:
    """A move of an approved venue to another district, which sends it back to review there."""

    venue: Venue
    old_district: District
    new_district: District


def relocation(venue: Venue, district_code) -> Relocation | None:
    """The move an edit to ``district_code`` makes of ``venue`` if it sends the venue back to review.

    Only an approved venue leaving its district goes back to review (the new district has not
    approved it); an edit that keeps the district, a venue not yet approved (a move costs it
    nothing) or a suspended one (it cannot move) give None, as does a district that does not exist.
    """
    if venue.status != S.APPROVED or not district_code or str(district_code) == venue.district_code:
        return None
    new_district = db.session.get(District, str(district_code))
    return Relocation(venue, venue.district, new_district) if new_district is not None else None


def move_needs_confirmation(manager, venue: Venue, data, confirmed_district=None) -> bool:
    """Whether saving this edit waits for the manager to confirm a move first; changes nothing.

    A move takes an approved venue out of the public directory until the new district approves it,
    so a mis-click in the district list must not do that: the manager confirms the move by naming
    the district it goes to (``confirmed_district``). The edit gets the same checks as
    ``update_venue`` first, so a confirmation is only asked for an edit that would save.
    """
    if not can_manage_venue(manager, venue):
        raise Forbidden()
    move = relocation(venue, _clean_profile(data)["district_code"])
    return move is not None and move.new_district.code != confirmed_district


def update_venue(manager, venue: Venue, data) -> Venue:
    """Profile edits keep the status, except a move to another district.

    A district admin approves the venues of their own district, so an approved venue that moves
    goes back to review by the new district (``submitted``: out of the public directory until that
    district approves it; the pages have the manager confirm that first, see
    ``move_needs_confirmation``); a suspended venue cannot move (its district lifts the suspension first).
    A new name needs no new review (the district approved the institution at its place, and a venue
    may be renamed, e.g. after a sponsor), but an approved or suspended venue's renaming is written
    in its registration history with the old name, so reviewers see what it was approved as.
    """
    if not can_manage_venue(manager, venue):
        raise Forbidden()
    clean = _clean_profile(data)
    moved = clean["district_code"] != venue.district_code
    if moved and venue.status == S.SUSPENDED:
        raise DomainError("suspended_cannot_move", _l("A suspended venue cannot move to another district. Ask your "
                                                      "district science association to lift the suspension "
                                                      "first."), field="district_code")
    move, old_name, old_district = relocation(venue, clean["district_code"]), venue.name_zh, venue.district_code
    _apply_profile(venue, clean)
    if moved:
        record_district_change(venue, old_district, local_today())
    renamed = venue.name_zh != old_name and venue.status in (S.APPROVED, S.SUSPENDED)
    if move is not None:
        _move(venue, "relocate", manager, *_change_note(move.old_district, old_name, venue))
        _tell_district_of_submission(venue)
    elif moved and venue.status == S.SUBMITTED:
        _tell_district_of_submission(venue)  # it now waits in the new district's queue, not the old one's
    elif renamed:
        _note(venue, manager, *_change_note(None, old_name, venue))
    db.session.flush()
    return venue


def _first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def record_district_change(venue: Venue, old_code: str, today: date) -> None:
    """Keep, for statistics, the district ``venue`` counted for until its move to ``venue.district_code``.

    A month counts for the district the venue was registered in on its first day
    (统计口径：以当月1日场馆登记所在区为准), so the move counts from the first of next month: the old
    district's period ends there. A second move in the same month keeps the period the month began
    in, or removes it when the venue is back in that district (for statistics it never moved)."""
    until = _first_of_next_month(today)
    same_month = db.session.scalar(select(VenueDistrictPeriod).where(VenueDistrictPeriod.venue_id == venue.id,
                                                                      VenueDistrictPeriod.until_day == until))
    if same_month is None:
        db.session.add(VenueDistrictPeriod(venue_id=venue.id, district_code=old_code, until_day=until))
    elif same_month.district_code == venue.district_code:
        db.session.delete(same_month)


def _change_note(old_district: District | None, old_name: str, venue: Venue) -> tuple[str, str]:
    """What changed, for the registration history, in Chinese and in English (the names as registered)."""
    new_district = db.session.get(District, venue.district_code)
    notes = []
    for lang in ("zh", "en"):
        parts = []
        with force_locale(lang):
            if old_district is not None:
                parts.append(str(_l("Moved from %(old)s to %(new)s; the new district reviews it.",
                                    old=localized(old_district, "name", lang),
                                    new=localized(new_district, "name", lang))))
            if venue.name_zh != old_name:
                parts.append(str(_l("Renamed from “%(old)s” to “%(new)s”.", old=old_name, new=venue.name_zh)))
        notes.append(" ".join(parts))
    return notes[0], notes[1]


# --- Status changes -----------------------------------------------------------------------------

def _move(venue: Venue, action: str, actor, reason: str = "", reason_en: str = "") -> VenueStatusChange:
    """The one way a venue changes status: checked against the table and recorded with who and why
    (``reason_en``: the site's own note in English)."""
    sources, target = TRANSITIONS[action]
    current = venue.status
    if current not in sources:
        raise _refused_move(venue, action)
    if venue.id is not None:
        # Claimed with one conditional UPDATE: of two steps at once (two reviewers, a double click)
        # the second waits for the first, finds the status changed and changes nothing.
        claimed = db.session.execute(update(Venue).where(Venue.id == venue.id, Venue.status == current)
                                     .values(status=target).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            db.session.expire(venue)
            raise _refused_move(venue, action)
    change = VenueStatusChange(from_status=current, to_status=target, actor=actor, reason=reason,
                               reason_en=reason_en)
    venue.status_changes.append(change)
    venue.status = target
    venue.status_reason, venue.status_reason_en = reason, reason_en
    return change


def _refused_move(venue: Venue, action: str) -> DomainError:
    """Why ``action`` cannot be taken on the venue as it stands: for a review decision, who changed it
    last (decided meanwhile, e.g. in another tab or by another reviewer)."""
    target = TRANSITIONS[action][1]
    if action not in REVIEW_ACTIONS:
        return DomainError("invalid_transition",
                           _l("A venue that is “%(current)s” cannot become “%(target)s”.",
                              current=venue.status.label if venue.status else "-", target=target.label))
    last = venue.status_changes[-1] if venue.status_changes else None
    who = last.actor.name if last is not None and last.actor is not None else CLOSED_ACCOUNT
    return DomainError("already_decided", _l("Nothing was changed: this venue is now “%(status)s” (last changed "
                                             "by %(who)s). Check it again before deciding.",
                                             status=venue.status.label, who=who), status=409)


def _note(venue: Venue, actor, reason: str, reason_en: str) -> VenueStatusChange:
    """A change of the registered facts that keeps the status, written in the history like a step."""
    change = VenueStatusChange(from_status=venue.status, to_status=venue.status, actor=actor, reason=reason,
                               reason_en=reason_en)
    venue.status_changes.append(change)
    return change


def _required_reason(reason) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Give a reason the venue manager can act on."), field="reason")
    if len(reason) > 2000:
        raise DomainError("reason_too_long", _l("Keep the reason under 2,000 characters."), field="reason")
    return reason


def check_decision(admin, venue: Venue, action: str) -> None:
    """Raise unless the admin may take this review decision now. One the venue's state no longer
    allows (decided meanwhile, e.g. in another tab) says where the venue stands."""
    if not can_review_venue(admin, venue):
        raise Forbidden()
    if venue.status not in TRANSITIONS[action][0]:
        raise _refused_move(venue, action)


def _reviewed(admin, venue: Venue, action: str, reason: str | None = None) -> Venue:
    """Take a review decision; ``reason`` is required when given (not ``None``). The venue's
    managers are told, except of a suspension (``suspend_venue`` tells them what it cancelled)."""
    check_decision(admin, venue, action)
    _move(venue, action, admin, "" if reason is None else _required_reason(reason))
    if action != "suspend":
        _tell_managers(venue, action)
    db.session.flush()
    return venue


def submit_venue(manager, venue: Venue) -> Venue:
    """Send a draft (or a fixed rejected venue) to the district for review."""
    if not can_manage_venue(manager, venue):
        raise Forbidden()
    _move(venue, "submit", manager)
    _tell_district_of_submission(venue)
    db.session.flush()
    return venue


def _tell_district_of_submission(venue: Venue) -> None:
    """Email the admins of the venue's district that it waits for their review (sent or moved there)."""
    from app.accounts.district_admins import tell_district_admins  # it imports the accounts, which import this

    def write(locale: str) -> tuple:
        name = localized(venue, "name", locale)
        return (_l("A venue waits for your review: %(venue)s", venue=name),
                _l("%(venue)s has been submitted for review by your district.", venue=name))

    tell_district_admins(venue.district_code, kind="venue_submitted", write=write, queue_path="/admin/venues")


def approve_venue(admin, venue: Venue) -> Venue:
    return _reviewed(admin, venue, "approve")


def reject_venue(admin, venue: Venue, reason: str) -> Venue:
    return _reviewed(admin, venue, "reject", reason or "")


def suspension_impact(admin, venue: Venue, reason: str, *, now: datetime | None = None) -> scheduling.ClosureImpact:
    """What ``suspend_venue`` with this reason would cancel, after the same checks; changes nothing."""
    check_decision(admin, venue, "suspend")
    _required_reason(reason)
    return scheduling.suspension_impact(venue, now or utcnow())


def suspend_venue(admin, venue: Venue, reason: str, *, now: datetime | None = None) -> scheduling.ClosureImpact:
    """Take the venue off the public register until it is reinstated, and close everything ahead:
    its upcoming visits are cancelled and each booker told (visits under way and admitted ones stay),
    so no ticket of it admits anyone. Its managers are told why. Returns what was cancelled."""
    _reviewed(admin, venue, "suspend", reason or "")
    # Kept on each booking in both languages, as a closure's reason is.
    cancelled = scheduling.close_everything_ahead(venue, *_in_both_languages(SUSPENDED_NOTICE), now or utcnow(),
                                                  SUSPENDED_NOTICE)
    _tell_managers(venue, "suspend", cancelled=cancelled)
    db.session.flush()
    return cancelled


def reinstate_venue(admin, venue: Venue) -> Venue:
    return _reviewed(admin, venue, "reinstate")


def _in_both_languages(text) -> tuple[str, str]:
    """A lazy text in Chinese and in English."""
    with force_locale("zh"):
        chinese = str(text)
    with force_locale("en"):
        return chinese, str(text)


def _tell_managers(venue: Venue, action: str, *, cancelled: scheduling.ClosureImpact | None = None) -> None:
    """Email the venue's active managers the review decision, each in their language, with the
    reason the reviewer gave (``venue.status_reason``) and what a suspension cancelled."""
    from app.accounts.managers import active_venue_managers  # it imports this module

    for manager in active_venue_managers(venue.id):
        name = localized(venue, "name", recipient_locale(manager))
        kind, subject, parts = _decision_message(action, name, venue.status_reason, cancelled)
        queue_message(kind=kind, recipient=manager.email, user=manager, subject=subject,
                      body=paragraphs(_l("Hello %(name)s,", name=manager.name), *parts, site_url("/manage/venue")))


def _decision_message(action: str, venue: str, reason: str,
                      cancelled: scheduling.ClosureImpact | None) -> tuple[str, LazyString, list]:
    """(kind, subject, paragraphs) of the message telling a manager of ``action`` on their venue; the
    last paragraph leads to the link to the venue's page."""
    if action == "approve":
        return "venue_approved", _l("Your venue is approved: %(venue)s", venue=venue), [
            _l("The registration of %(venue)s is approved. The venue now appears in the public directory, "
               "and visitors can book the slots you publish.", venue=venue),
            _l("Your venue's page:")]
    if action == "reject":
        return "venue_rejected", _l("Your venue registration was not approved: %(venue)s", venue=venue), [
            _l("The registration of %(venue)s was not approved. Reason: %(reason)s", venue=venue, reason=reason),
            _l("Correct the registration and submit it again:")]
    if action == "suspend":
        parts = [_l("%(venue)s has been suspended: it no longer appears in the public directory and cannot be "
                    "booked. Reason: %(reason)s", venue=venue, reason=reason)]
        if cancelled is not None:
            parts += _what_the_suspension_cancelled(cancelled)
        parts += [_l("When the problem is put right, ask the science association of your district to lift the "
                     "suspension."), _l("Your venue's page:")]
        return "venue_suspended", _l("Your venue is suspended: %(venue)s", venue=venue), parts
    return "venue_reinstated", _l("Your venue is reinstated: %(venue)s", venue=venue), [
        _l("%(venue)s is reinstated and appears in the public directory again.", venue=venue),
        _l("Slots and bookings cancelled by the suspension stay cancelled: publish new slots for visitors to "
           "book."),
        _l("Your venue's page:")]


def _what_the_suspension_cancelled(cancelled: scheduling.ClosureImpact) -> list:
    """The managers' account of ``close_everything_ahead``: what ended, and what stays open because
    someone has already been admitted to it."""
    parts = []
    if cancelled.slots and cancelled.bookings:
        parts.append(lazy_ngettext(
            "Its upcoming slots are cancelled, with %(num)d booking; the booker has been told.",
            "Its upcoming slots are cancelled, with %(num)d bookings; each booker has been told.",
            cancelled.bookings))
    elif cancelled.slots:
        parts.append(_l("Its upcoming slots are cancelled; none of them was booked."))
    elif cancelled.bookings:
        parts.append(lazy_ngettext(
            "%(num)d booking not yet admitted is cancelled; the booker has been told.",
            "%(num)d bookings not yet admitted are cancelled; each booker has been told.", cancelled.bookings))
    if cancelled.kept_open:
        parts.append(lazy_ngettext(
            "%(num)d slot stays open: someone had already been admitted to it, so that visit goes on.",
            "%(num)d slots stay open: someone had already been admitted to each, so those visits go on.",
            cancelled.kept_open))
    return parts


def allowed_decisions(admin, venue: Venue) -> list[str]:
    """The review actions the admin may take on the venue now, from the transition table."""
    if not can_review_venue(admin, venue):
        return []
    return [action for action in REVIEW_ACTIONS if venue.status in TRANSITIONS[action][0]]


def review_queue(admin, status: VenueStatus | None, page: int, per_page: int, *, q: str = "",
                 district_code: str | None = None) -> Page:
    """Venues an admin reviews: their district (city admin: all, or ``district_code``'s), optionally of
    one status, and matching each word of ``q`` as the directory's search does (name, address, theme).
    Those waiting for review come oldest submission first; the others latest change first."""
    from app.venues.directory import matches_word

    query = select(Venue).options(selectinload(Venue.district))
    if _role(admin) == Role.DISTRICT_ADMIN:
        query = query.where(Venue.district_code == admin.district_code)
    elif _role(admin) != Role.CITY_ADMIN:
        raise Forbidden()
    elif district_code:
        query = query.where(Venue.district_code == district_code)
    if status is not None:
        query = query.where(Venue.status == status)
    for word in dict.fromkeys(q.split()):
        query = query.where(matches_word(word))
    if status == S.SUBMITTED:
        # A queue: the venue waiting longest on top, not last on the last page.
        order = (func.coalesce(submitted_at(), Venue.updated_at).asc(), Venue.id.asc())
    else:
        order = (Venue.updated_at.desc(), Venue.id.desc())
    return paginate(query.order_by(*order), page, per_page)


def submitted_at():
    """When the venue was last sent to review (submitted, or moved to another district), as a
    correlated SQL expression: None for a venue never sent."""
    return (select(func.max(VenueStatusChange.created_at))
            .where(VenueStatusChange.venue_id == Venue.id, VenueStatusChange.to_status == S.SUBMITTED)
            .correlate(Venue).scalar_subquery())


# --- Accreditation ------------------------------------------------------------------------------

def record_accreditation(admin, venue: Venue, *, level, certificate_no: str,
                         valid_from: date | None, valid_to: date | None) -> Accreditation:
    """The city admin records an education-base accreditation of a venue on the register (a base is
    accredited among registered venues; a suspended one keeps and may gain titles); level + number is unique."""
    values = _checked_accreditation(admin, level, certificate_no, valid_from, valid_to)
    if not was_ever_registered(venue):
        raise DomainError("venue_not_registered", _l("Only a venue on the register is accredited: its registration "
                                                     "must be approved first."), status=409)
    with _unless_saved_meanwhile(values):
        accreditation = Accreditation(venue=venue, recorded_by=admin, **values)
        db.session.add(accreditation)
        db.session.flush()
        _check_one_certificate_at_a_time(accreditation)
    _tell_managers_of_accreditation(accreditation, "recorded")
    return accreditation


@contextmanager
def _unless_saved_meanwhile(values: dict, other_than: Accreditation | None = None):
    """Write the accreditation the block adds or changes, in a savepoint: the same level and number, in
    any case or width, saved by another request since ``_checked_accreditation`` looked (a double click,
    two corrections at once) meets the unique index on the certificate's key, and is refused as the
    duplicate it is, not as a server error."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        refusal = _duplicate_certificate(values["level"], values["certificate_no"], other_than=other_than)
        if refusal is None:
            raise
        raise refusal from None


def correct_accreditation(admin, accreditation: Accreditation, *, level, certificate_no: str,
                          valid_from: date | None, valid_to: date | None) -> Accreditation:
    """The city admin corrects a recorded accreditation (a mistyped number or date), under the same
    checks as recording it."""
    values = _checked_accreditation(admin, level, certificate_no, valid_from, valid_to, other_than=accreditation)
    with _unless_saved_meanwhile(values, other_than=accreditation):
        if values["valid_to"] != accreditation.valid_to:
            accreditation.expiry_notice_sent_at = None  # a new end: warned of again before it comes
        for name, value in values.items():
            setattr(accreditation, name, value)
        db.session.flush()
        _check_one_certificate_at_a_time(accreditation)
    _tell_managers_of_accreditation(accreditation, "corrected")
    return accreditation


def withdraw_accreditation(admin, accreditation: Accreditation, reason: str = "") -> None:
    """The city admin removes an accreditation recorded in error; ``reason``, what was wrong, is told
    to the venue's managers (the row goes: their email is where it is kept)."""
    _require_accreditor(admin)
    reason = " ".join((reason or "").replace("\x00", "").split())
    if len(reason) > WITHDRAWAL_REASON_MAX:
        raise DomainError("reason_too_long", _l("Say what was wrong in at most %(n)d characters.",
                                                n=WITHDRAWAL_REASON_MAX), field="reason")
    _tell_managers_of_accreditation(accreditation, "removed", reason=reason)
    db.session.delete(accreditation)
    db.session.flush()


def _tell_managers_of_accreditation(accreditation: Accreditation, action: str, reason: str = "") -> None:
    """Email the venue's active managers, each in their language, that the city admin ``recorded``,
    ``corrected`` or ``removed`` its accreditation, with the level, number and validity: a title the
    venue shows (or must stop showing) is not one it learns of by chance."""
    from app.accounts.managers import active_venue_managers  # it imports this module

    venue = accreditation.venue
    facts = {"level": accreditation.level.label, "number": accreditation.certificate_no,
             "valid_from": accreditation.valid_from.isoformat(), "valid_to": accreditation.valid_to.isoformat()}
    for manager in active_venue_managers(venue.id):
        name = localized(venue, "name", recipient_locale(manager))
        if action == "recorded":
            subject = _l("Your venue is accredited: %(venue)s", venue=name)
            parts = [_l("%(venue)s is accredited as a %(level)s, certificate No. %(number)s, valid from "
                        "%(valid_from)s to %(valid_to)s.", venue=name, **facts),
                     *_where_accreditation_shows(venue, name)]
        elif action == "corrected":
            subject = _l("Your venue's accreditation is corrected: %(venue)s", venue=name)
            parts = [_l("The city science association corrected the accreditation of %(venue)s. It now reads: "
                        "%(level)s, certificate No. %(number)s, valid from %(valid_from)s to %(valid_to)s.",
                        venue=name, **facts),
                     *_where_accreditation_shows(venue, name)]
        else:
            subject = _l("Your venue's accreditation is removed: %(venue)s", venue=name)
            parts = [_l("The city science association removed the accreditation of %(venue)s (%(level)s, "
                        "certificate No. %(number)s): it was recorded in error and no longer appears on the "
                        "venue's public page.", venue=name, **facts),
                     *([_l("What was wrong: %(reason)s", reason=reason)] if reason else []),
                     _l("If you think this is a mistake, contact the city science association. Your venue's "
                        "page:")]
        queue_message(kind=f"accreditation_{action}", recipient=manager.email, user=manager, subject=subject,
                      body=paragraphs(_l("Hello %(name)s,", name=manager.name), *parts,
                                      site_url(f"/venues/{venue.id}")))


def _where_accreditation_shows(venue: Venue, name: str) -> list:
    """The paragraphs, before the link to the venue's page, saying where the public sees a recorded
    accreditation: on that page, or there once the venue is public again (a suspended venue, or one
    back in review after a move, has no public page now)."""
    if venue.status == S.APPROVED:
        return [_l("The accreditation is shown on the venue's public page:")]
    if venue.status == S.SUSPENDED:
        shown = _l("%(venue)s is suspended, so its public page is not shown for now; the accreditation appears "
                   "there once the suspension is lifted.", venue=name)
    else:
        shown = _l("%(venue)s is not public while its registration awaits approval, so its public page is not "
                   "shown for now; the accreditation appears there once the registration is approved.", venue=name)
    return [shown, _l("Your venue's page:")]


def _require_accreditor(admin) -> None:
    if not can_accredit(admin):
        raise Forbidden(_l("Only the city administrator records accreditations."))


def _checked_accreditation(admin, level, certificate_no: str, valid_from: date | None, valid_to: date | None,
                           *, other_than: Accreditation | None = None) -> dict:
    _require_accreditor(admin)
    level = _choice(AccreditationLevel, level, "level")
    number = certificate_number(certificate_no)
    if not number or len(number) > 60:
        raise DomainError("certificate_required", _l("Enter the certificate number (up to 60 characters)."),
                          field="certificate_no")
    if valid_from is None:
        raise DomainError("date_required", _l("Enter a date."), field="valid_from")
    if valid_to is None:
        raise DomainError("date_required", _l("Enter a date."), field="valid_to")
    if valid_from < EARLIEST_ACCREDITATION or valid_from > _years_after(local_today(), 1):
        raise DomainError("date_out_of_range", _l("Enter a date from %(first)d up to one year from today.",
                                                  first=EARLIEST_ACCREDITATION.year), field="valid_from")
    if valid_from > valid_to:
        raise DomainError("date_order", _l("“Valid to” cannot be before “valid from”."), field="valid_to")
    if valid_to > _years_after(valid_from, ACCREDITATION_MAX_YEARS):
        raise DomainError("validity_too_long", _l("An accreditation runs %(n)d years at most: check the dates.",
                                                  n=ACCREDITATION_MAX_YEARS), field="valid_to")
    refusal = _duplicate_certificate(level, number, other_than=other_than)
    if refusal is not None:
        raise refusal
    return {"level": level, "certificate_no": number, "valid_from": valid_from, "valid_to": valid_to}


def _check_one_certificate_at_a_time(accreditation: Accreditation) -> None:
    """A venue holds one certificate of a level on any day: the register and the venue's page would
    otherwise show the title twice. A renewal starts after the earlier certificate ends; one that ended
    early has its end corrected first.

    Checked once ``accreditation`` is written, under a lock on the venue's row, so that two overlapping
    certificates recorded at once cannot both pass: on PostgreSQL the second to take the lock reads
    the first once committed (FOR NO KEY UPDATE: each INSERT holds a key-share lock on the venue's row,
    which FOR UPDATE would wait on, each for the other); on SQLite the first write held the single
    writer's lock."""
    db.session.execute(select(Venue.id).where(Venue.id == accreditation.venue_id).with_for_update(key_share=True))
    held = db.session.scalars(select(Accreditation).where(
        Accreditation.venue_id == accreditation.venue_id, Accreditation.level == accreditation.level,
        Accreditation.id != accreditation.id, Accreditation.valid_from <= accreditation.valid_to,
        Accreditation.valid_to >= accreditation.valid_from).order_by(Accreditation.valid_from).limit(1)).first()
    if held is not None:
        raise DomainError("overlapping_accreditation", _l(
            "The venue already holds this title for some of these days: certificate No. %(number)s, from %(start)s "
            "to %(end)s. A renewal starts after it ends; if it ended early, correct its dates first.",
            number=held.certificate_no, start=LazyString(local_date, held.valid_from),
            end=LazyString(local_date, held.valid_to)), field="valid_from", status=409)


def _duplicate_certificate(level: AccreditationLevel, number: str, *,
                           other_than: Accreditation | None = None) -> DomainError | None:
    """The refusal of a certificate of ``level`` already recorded under ``number`` in any case or width
    (``certificate_key``, unique per level in the database too), naming it as recorded; or None."""
    same = select(Accreditation.certificate_no).where(Accreditation.level == level,
                                                      Accreditation.certificate_key == certificate_key(number))
    if other_than is not None:
        same = same.where(Accreditation.id != other_than.id)
    recorded = db.session.scalars(same.limit(1)).first()
    if recorded is None:
        return None
    return DomainError("duplicate_certificate",
                       _l("A %(level)s with certificate number %(number)s is already recorded.",
                          level=level.label, number=recorded), field="certificate_no")


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def expiring_accreditations(today: date, days: int) -> list[Accreditation]:
    """Accreditations still valid today that end within ``days`` days, soonest first."""
    return list(db.session.scalars(
        select(Accreditation).options(selectinload(Accreditation.venue))
        .where(Accreditation.valid_to >= today, Accreditation.valid_to <= today + timedelta(days=days))
        .order_by(Accreditation.valid_to, Accreditation.id)))


# --- warning before an accreditation ends --------------------------------------------------------

EXPIRY_NOTICE_DAYS = 60
EXPIRY_NOTICE_KIND = "accreditation_expiring"


def ending_within_notice(today: date) -> tuple:
    """SQL conditions on ``Accreditation``: current on ``today`` and ending within ``EXPIRY_NOTICE_DAYS``
    days, their last day included: those whose managers are warned before they end."""
    return (Accreditation.valid_from <= today,
            Accreditation.valid_to.between(today, today + timedelta(days=EXPIRY_NOTICE_DAYS)))


def _renewed():
    """SQL on ``Accreditation``: an accreditation of the same venue and level runs later (a renewal the
    city admin has already recorded), so there is nothing to warn of."""
    later = aliased(Accreditation)
    return exists().where(later.venue_id == Accreditation.venue_id, later.level == Accreditation.level,
                          later.valid_to > Accreditation.valid_to)


def accreditations_ending_soon(today: date) -> list[Accreditation]:
    """Accreditations ending within the notice's window (``ending_within_notice``), not yet warned of,
    that nothing follows yet (``_renewed``)."""
    return list(db.session.scalars(
        select(Accreditation)
        .where(*ending_within_notice(today), Accreditation.expiry_notice_sent_at.is_(None), ~_renewed())
        .order_by(Accreditation.valid_to, Accreditation.id)))


class ExpiryNoticeState(str, enum.Enum):
    """Where the warning before an accreditation's end stands, for one within the notice's window."""

    WARNED = "warned"  # the venue's managers were emailed
    RENEWED = "renewed"  # a renewal is recorded: nothing to warn of
    NO_MANAGER = "no_manager"  # the venue has no active manager to email
    PENDING = "pending"  # the daily job has not run since the accreditation came into the window


@dataclass(frozen=True)
class ExpiryNotice:
    state: ExpiryNoticeState
    sent_at: datetime | None  # when the managers were warned (UTC), for WARNED


def expiry_notices(accreditations, today: date) -> dict[int, ExpiryNotice]:
    """For those of ``accreditations`` ending within the notice's window (``ending_within_notice``), by
    id: whether the daily job warned the venue's managers (``warn_of_expiring_accreditations``), and
    if not, why: a renewal is recorded, the venue has no active manager to warn, or the job has not
    run since. The others are left out. For the administrators' pages; changes nothing."""
    from app.accounts.managers import active_venue_managers  # it imports this module

    ids = [a.id for a in accreditations]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Accreditation.id, Accreditation.venue_id, Accreditation.expiry_notice_sent_at,
               _renewed().label("renewed"))
        .where(Accreditation.id.in_(ids), *ending_within_notice(today))).all()
    staffed: dict[int, bool] = {}
    notices = {}
    for row in rows:
        if row.expiry_notice_sent_at is not None:
            state = ExpiryNoticeState.WARNED
        elif row.renewed:
            state = ExpiryNoticeState.RENEWED
        else:
            if row.venue_id not in staffed:
                staffed[row.venue_id] = bool(active_venue_managers(row.venue_id))
            state = ExpiryNoticeState.PENDING if staffed[row.venue_id] else ExpiryNoticeState.NO_MANAGER
        notices[row.id] = ExpiryNotice(state, row.expiry_notice_sent_at)
    return notices


def warn_of_expiring_accreditations(today: date) -> int:
    """Email the active managers of each venue whose accreditation ends within ``EXPIRY_NOTICE_DAYS``
    days (``accreditations_ending_soon``), each in their language, once per accreditation however often
    this runs (``expiry_notice_sent_at``; a corrected end date clears it). Returns how many
    accreditations were warned of (those of venues with a manager)."""
    from app.accounts.managers import warn_managers_once  # it imports this module

    return warn_managers_once(accreditations_ending_soon(today), Accreditation, "expiry_notice_sent_at",
                              _queue_expiry_notice)


def _queue_expiry_notice(accreditation: Accreditation, manager) -> None:
    facts = {"venue": localized(accreditation.venue, "name", recipient_locale(manager)),
             "level": accreditation.level.label, "number": accreditation.certificate_no,
             "date": LazyString(local_date, accreditation.valid_to)}  # written in the recipient's language
    queue_message(
        kind=EXPIRY_NOTICE_KIND, recipient=manager.email, user=manager,
        subject=_l("Accreditation ends on %(date)s: %(venue)s", **facts),
        body=paragraphs(
            _l("Hello %(name)s,", name=manager.name),
            _l("The accreditation of %(venue)s as a %(level)s, certificate No. %(number)s, ends on %(date)s. After "
               "that day it is no longer shown on the venue's public page nor found among the education bases.",
               **facts),
            _l("Renewals are recorded by the city science association: to keep the title, ask them to renew it. "
               "Once they have recorded the renewal, your venue's page shows it."),
            _l("Your venue's accreditations:"),
            site_url("/manage/venue")))


def accreditation_register(page: int, per_page: int) -> Page:
    query = (select(Accreditation).options(selectinload(Accreditation.venue))
             .order_by(Accreditation.valid_to, Accreditation.id))
    return paginate(query, page, per_page)


# --- The home page ------------------------------------------------------------------------------

@dataclass
class DirectoryOverview:
    venue_count: int
    free_count: int
    district_count: int
    featured: list[Venue]


def directory_overview(featured: int = 4, today: date | None = None) -> DirectoryOverview:
    """What the home page shows: how many approved venues, how many free, how many districts, a few of them."""
    today = today or local_today()
    approved = Venue.status == VenueStatus.APPROVED
    venues, free, districts = db.session.execute(
        select(func.count(Venue.id),
               func.coalesce(func.sum(case((Venue.admission == Admission.FREE, 1), else_=0)), 0),
               func.count(func.distinct(Venue.district_code))).where(approved)).one()
    accredited = accredited_on(today)
    rows = db.session.scalars(
        select(Venue).where(approved)
        .options(selectinload(Venue.themes), selectinload(Venue.district), selectinload(Venue.accreditations))
        .order_by(case((accredited, 0), else_=1), Venue.id).limit(featured))
    return DirectoryOverview(int(venues), int(free), int(districts), list(rows))
