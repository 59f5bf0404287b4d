"""The people behind the accounts, as the administrators keep them: finding an account, suspending it,
reinstating it, and closing it for good.

The city admin (市科协) acts on every account. A district admin (区科协) already approves the venues,
schools and teachers of their district, so they also see and suspend or reinstate the teachers, venue
managers and gate staff of their district's schools and venues; closing an account cannot be undone and
stays with the city admin, as do citizens' and administrators' accounts.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from app.accounts.models import AccountStatus, Role, User, new_session_token, with_status
from app.accounts.staff import was_removed_from_staff
from app.accounts.tokens import revoke_personal_tokens
from app.core.errors import DomainError, Forbidden
from app.extensions import db
from app.notifications.services import paragraphs, queue_message
from app.privacy.models import PersonalDataAccess
from app.privacy.services import AccessAction, erase_account, record_access
from app.schools.models import School
from app.venues.models import Venue, VenueStatus

# The accounts a district admin keeps: those that act for one of the district's schools or venues.
DISTRICT_KEPT_ROLES = (Role.TEACHER, Role.VENUE_STAFF, Role.VENUE_MANAGER)
MAX_REASON_LENGTH = 200  # the access log's detail


class AccountAction(str, enum.Enum):
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    CLOSE = "close"


# --- who may -------------------------------------------------------------------------------------

def can_keep_accounts(user) -> bool:
    """The city admin and district admins open the people pages."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.CITY_ADMIN, Role.DISTRICT_ADMIN)


def _district_holder(person: User):
    """What gives an account its district: a district admin's own, a teacher's school, the venue of its
    staff or manager; None for citizens and the city admin."""
    return next((holder for holder in (person, person.school, person.venue)
                 if holder is not None and holder.district_code), None)


def district_code_of(person: User) -> str | None:
    holder = _district_holder(person)
    return holder.district_code if holder is not None else None


def district_of(person: User):
    holder = _district_holder(person)
    return holder.district if holder is not None else None


def can_see_account(admin, person: User) -> bool:
    if not can_keep_accounts(admin):
        return False
    if admin.role == Role.CITY_ADMIN:
        return True
    return person.role in DISTRICT_KEPT_ROLES and district_code_of(person) == admin.district_code


def can_close_accounts(admin) -> bool:
    return can_keep_accounts(admin) and admin.role == Role.CITY_ADMIN


# --- finding -------------------------------------------------------------------------------------

def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def accounts(admin: User, *, role: str | None = None, district_code: str | None = None,
             status: str | None = None, q: str | None = None) -> Select:
    """A select of the accounts ``admin`` may see, newest first, filtered by role, district, status
    and a piece of the name or email address."""
    school, venue = aliased(School), aliased(Venue)
    district = func.coalesce(User.district_code, school.district_code, venue.district_code)
    query = (select(User).outerjoin(school, User.school_id == school.id).outerjoin(venue, User.venue_id == venue.id)
             .options(selectinload(User.school), selectinload(User.venue), selectinload(User.district))
             .order_by(User.created_at.desc(), User.id.desc()))
    if admin.role != Role.CITY_ADMIN:
        query = query.where(User.role.in_(DISTRICT_KEPT_ROLES), district == admin.district_code)
    if role:
        query = query.where(User.role == Role(role))
    if district_code:
        query = query.where(district == district_code)
    if status:
        query = query.where(with_status(AccountStatus(status)))
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip().lower())}%"
        query = query.where(or_(func.lower(User.name).like(pattern, escape="\\"),
                                User.email.like(pattern, escape="\\")))
    return query


def roles_kept_by(admin: User) -> tuple[Role, ...]:
    return tuple(Role) if admin.role == Role.CITY_ADMIN else DISTRICT_KEPT_ROLES


@dataclass(frozen=True)
class AccountEvent:
    at: datetime
    actor_id: int | None
    actor_name: str | None  # None once the actor's own account is gone
    action: str
    detail: str


_HISTORY_ACTIONS = (AccessAction.SUSPEND_ACCOUNT, AccessAction.REINSTATE_ACCOUNT, AccessAction.ADD_VENUE_STAFF,
                    AccessAction.REMOVE_VENUE_STAFF, AccessAction.ADD_VENUE_MANAGER, AccessAction.RESEND_INVITATION,
                    AccessAction.WITHDRAW_INVITATION, AccessAction.INVITE_DISTRICT_ADMIN,
                    AccessAction.RESEND_DISTRICT_ADMIN_INVITATION)


def account_history(person: User, limit: int = 20) -> list[AccountEvent]:
    """What administrators and managers did to this account, newest first (from the access log)."""
    actor = aliased(User)
    rows = db.session.execute(
        select(PersonalDataAccess.at, PersonalDataAccess.actor_id, actor.name, PersonalDataAccess.action,
               PersonalDataAccess.detail)
        .outerjoin(actor, actor.id == PersonalDataAccess.actor_id)
        .where(PersonalDataAccess.subject_user_id == person.id,
               PersonalDataAccess.action.in_([a.value for a in _HISTORY_ACTIONS]))
        .order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc()).limit(limit))
    return [AccountEvent(*row) for row in rows]


# --- the rules -----------------------------------------------------------------------------------

def suspended_by_admin(person: User) -> bool:
    """Whether an administrator's suspension holds this account: the latest suspend or reinstate in the
    access log is a suspension. It outlasts a venue removing the person from its staff, so only an
    administrator lifts it."""
    latest = db.session.scalar(
        select(PersonalDataAccess.action)
        .where(PersonalDataAccess.subject_user_id == person.id,
               PersonalDataAccess.action.in_([AccessAction.SUSPEND_ACCOUNT.value,
                                              AccessAction.REINSTATE_ACCOUNT.value]))
        .order_by(PersonalDataAccess.at.desc(), PersonalDataAccess.id.desc()).limit(1))
    return latest == AccessAction.SUSPEND_ACCOUNT.value


def venue_left_without_manager(person: User) -> Venue | None:
    """The approved venue that has no other active manager than ``person``: suspending or closing
    them leaves it without anyone to approve its school bookings or keep its slots. A manager invited
    who has not chosen a password yet does not count: they may never do."""
    if person.role != Role.VENUE_MANAGER or person.awaits_password or person.venue is None \
            or person.venue.status != VenueStatus.APPROVED:
        return None
    others = db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.VENUE_MANAGER, User.venue_id == person.venue_id, User.id != person.id,
        with_status(AccountStatus.ACTIVE)))
    return None if others else person.venue


def _active_city_admins(*, besides: User | None = None) -> int:
    query = select(func.count(User.id)).where(User.role == Role.CITY_ADMIN, User.is_disabled.is_(False))
    if besides is not None:
        query = query.where(User.id != besides.id)
    return db.session.scalar(query) or 0


def _last_city_admin() -> DomainError:
    return DomainError("last_city_admin", _l(
        "This is the last active city administrator's account. Make another city administrator first: "
        "without one, nobody can manage accounts, accreditations or themed days."), status=409)


def refusal(admin: User, person: User, action: AccountAction | str) -> DomainError | None:
    """Why ``admin`` may not do ``action`` to ``person``'s account, or None if they may."""
    action = AccountAction(action)
    if not can_see_account(admin, person) or (action == AccountAction.CLOSE and not can_close_accounts(admin)):
        return Forbidden()
    if person.id == admin.id:
        return DomainError("own_account", _l("You cannot suspend, reinstate or close your own account. Ask "
                                             "another city administrator."), status=409)
    if action == AccountAction.SUSPEND and person.is_disabled:
        return DomainError("already_suspended", _l("This account is already suspended."), status=409)
    if action == AccountAction.REINSTATE:
        if not person.is_disabled:
            return DomainError("not_suspended", _l("This account is not suspended."), status=409)
        if was_removed_from_staff(person) and not suspended_by_admin(person):
            # The venue closed a former employee's work account; only a venue brings it back.
            return DomainError("removed_from_staff", _l(
                "A venue removed this person from its staff, which closed the account. A venue manager "
                "adds them again from the venue's staff page; they then choose a new password."), status=409)
    if action in (AccountAction.SUSPEND, AccountAction.CLOSE) and person.role == Role.CITY_ADMIN \
            and not person.is_disabled and not _active_city_admins(besides=person):
        return _last_city_admin()
    return None


def _check(admin: User, person: User, action: AccountAction) -> None:
    if person.role == Role.CITY_ADMIN:
        # Two city admins suspending each other at once: on PostgreSQL the second waits here for the
        # first and then sees its change (SQLite lets one writer in at a time; see _keep_a_city_admin).
        db.session.execute(select(User.id).where(User.role == Role.CITY_ADMIN).order_by(User.id).with_for_update())
    refused = refusal(admin, person, action)
    if refused is not None:
        raise refused


def _keep_a_city_admin(role: Role) -> None:
    """Checked again once the change is flushed, so inside the write: SQLite's reads before it may be stale."""
    if role == Role.CITY_ADMIN and not _active_city_admins():
        raise _last_city_admin()


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainError("reason_too_long", _l("Write at most %(n)d characters.", n=MAX_REASON_LENGTH),
                          field="reason")
    return reason


def _tell(person: User, kind: str, subject, reason: str, *parts):
    """Queue the email telling ``person`` what was done to their account: ``parts`` are its paragraphs
    after the greeting, the reason (when one was given) after the first of them."""
    if reason:
        parts = (parts[0], _l("Reason: %(reason)s", reason=reason), *parts[1:])
    return queue_message(kind=kind, recipient=person.email, user=person, subject=subject,
                         body=paragraphs(_l("Hello %(name)s,", name=person.name), *parts))


# --- acting --------------------------------------------------------------------------------------

def suspend_account(admin: User, person: User, reason: str = "") -> None:
    """Stop ``person`` from signing in, at once: every session and API token of theirs ends. Their
    bookings, and what they did for others, stay as they are; reinstating gives the account back."""
    _check(admin, person, AccountAction.SUSPEND)
    reason = _reason(reason)
    person.is_disabled = True
    person.session_token = new_session_token()
    revoke_personal_tokens(person)
    db.session.flush()
    _keep_a_city_admin(person.role)
    record_access(admin, AccessAction.SUSPEND_ACCOUNT, person, detail=reason)
    _tell(person, "account_suspended", _l("Your SciVisit account has been suspended"), reason,
          _l("Your SciVisit account has been suspended by the science association: you cannot sign in until "
             "it is reinstated. Your bookings are kept."),
          _l("If you think this is a mistake, contact the science association of your district or the city."))
    db.session.flush()


def reinstate_account(admin: User, person: User, reason: str = "") -> None:
    """Lift the suspension: ``person`` signs in again with their password (the sessions that suspension
    ended stay ended). A venue's former staff member stays closed until a venue adds them again."""
    _check(admin, person, AccountAction.REINSTATE)
    reason = _reason(reason)
    record_access(admin, AccessAction.REINSTATE_ACCOUNT, person, detail=reason)
    if was_removed_from_staff(person):
        # Suspended, then removed from a venue's staff: lifting the suspension lets a venue add them
        # again, but the account stays closed until one does (the person is told then).
        db.session.flush()
        return
    person.is_disabled, person.failed_logins, person.locked_until = False, 0, None
    _tell(person, "account_reinstated", _l("Your SciVisit account is active again"), reason,
          _l("Your SciVisit account has been reinstated: you can sign in again with your password. If you "
             "do not remember it, choose \"Forgot your password?\" on the login page."))
    db.session.flush()


def close_account(admin: User, person: User, reason: str = "") -> int:
    """Delete ``person``'s account by the one deletion rule (``erase_account``): their bookings stay
    only as anonymous counts. The person is told (with the reason, which is not kept). Returns the
    upcoming bookings cancelled."""
    _check(admin, person, AccountAction.CLOSE)
    reason = _reason(reason)
    message = _tell(
        person, "account_closed", _l("Your SciVisit account has been closed"), reason,
        _l("The science association has closed your SciVisit account. Your account and the details it held "
           "(name, mobile number, email address) have been deleted, and your upcoming bookings are "
           "cancelled. Past visits stay only as anonymous numbers in the statistics."),
        _l("If you think this is a mistake, contact the science association of your district or the city."))
    # The log keeps that an account of this role was closed, not whose (erase_account forgets that) nor
    # why: a reason often names the person.
    role = person.role
    record_access(admin, AccessAction.CLOSE_ACCOUNT, person, detail=role.value)
    cancelled = erase_account(person, keep_message=message)
    _keep_a_city_admin(role)
    return cancelled

