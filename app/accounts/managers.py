"""A venue's managers, as the administrators keep them: who they are, and giving the venue a (new)
manager when its manager has left, or been suspended or closed.

Managers register themselves with their venue; this is how the city admin, or the district admin who
reviews the venue, adds one afterwards. A venue may have several managers.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.invitations import (check_invitation_open, queue_invitation, venue_name_for,
                                      withdraw_invitation)
from app.accounts.models import AccountStatus, Role, User, with_status
from app.accounts.services import _checked_email, _checked_name, create_user, user_by_email
from app.core.errors import DomainError, Forbidden
from app.core.time import utcnow
from app.extensions import db
from app.notifications.services import paragraphs, queue_message
from app.privacy.services import AccessAction, erase_account, record_access
from app.venues.services import can_review_venue

MANAGERS_TASKS = _l("You keep the venue's profile, publish its time slots, approve school bookings and manage its "
                    "gate staff.")


def can_add_venue_manager(admin, venue) -> bool:
    """Whoever reviews the venue (its district's admin, the city admin) gives it a manager."""
    return can_review_venue(admin, venue)


def venue_managers(venue_id: int) -> list[User]:
    """The venue's managers by name, suspended and invited ones too."""
    return list(db.session.scalars(select(User).where(User.role == Role.VENUE_MANAGER, User.venue_id == venue_id)
                                   .order_by(User.name, User.id)))


def warn_managers_once(candidates, model, sent_at: str, queue: Callable) -> int:
    """Email the active managers of each candidate's venue (``queue(row, manager)``) once per row of
    ``model``, however often a daily job runs this: the mark ``sent_at`` is set on the row, which is
    locked until the caller commits, so a run at the same time waits and then sees it. A venue without
    a manager yet is warned once one is appointed, if there is still time. Returns how many rows were
    warned of (those of venues with a manager)."""
    warned = 0
    for candidate in candidates:
        row = db.session.get(model, candidate.id, with_for_update=True, populate_existing=True)
        if row is None or getattr(row, sent_at) is not None:
            continue
        managers = active_venue_managers(row.venue_id)
        for manager in managers:
            queue(row, manager)
        if managers:
            setattr(row, sent_at, utcnow())
            warned += 1
    db.session.flush()
    return warned


def active_venue_managers(venue_id: int) -> list[User]:
    """The managers who look after the venue now: neither suspended nor invited without a password yet."""
    return list(db.session.scalars(select(User).where(User.role == Role.VENUE_MANAGER, User.venue_id == venue_id,
                                                      with_status(AccountStatus.ACTIVE))
                                   .order_by(User.name, User.id)))


def add_venue_manager(admin: User, venue, *, email: str, name: str, link_for: Callable[[str], str]) -> User:
    """Make the person with this email a manager of ``venue``; they are told by email.

    A new address gets a manager's account of this venue and an emailed link to choose its password
    (``link_for(token)`` makes it absolute); no password is ever shown or sent. A venue manager's
    account that has no venue yet (someone who signed up as a manager) takes this venue and keeps its
    password. Every other existing account is refused: a visitor's, teacher's, staff member's or
    official's account is never turned into a manager's by someone else, and a manager of another
    venue looks after that one.
    """
    if not can_add_venue_manager(admin, venue):
        raise Forbidden()
    email, name = _checked_email(email), _checked_name(name)
    person = user_by_email(email)
    if person is None:
        try:
            person = create_user(email=email, password=None, name=name, role=Role.VENUE_MANAGER, venue=venue)
        except IntegrityError:  # someone registered the address at the same moment
            raise _refused_existing() from None
        _invite(venue, person, link_for)
    elif person.role != Role.VENUE_MANAGER:
        raise _refused_existing()
    elif person.venue_id == venue.id:
        if person.account_status == AccountStatus.INVITED:
            raise DomainError("already_invited", _l(
                "%(name)s has been invited already and has not chosen a password yet. To email them the link "
                "again, choose \"Send the invitation again\" in the list of managers.", name=person.name),
                field="email")
        if person.is_disabled:
            raise DomainError("manager_suspended", _l(
                "%(name)s already manages this venue, but their account is suspended: reinstate it from "
                "their account page.", name=person.name), field="email")
        raise DomainError("already_manager", _l("%(name)s is already a manager of this venue.", name=person.name),
                          field="email")
    elif person.venue_id is not None:
        raise DomainError("manager_of_other_venue", _l(
            "This person manages another venue. A manager's account looks after one venue: add them with "
            "another email address."), field="email")
    elif person.is_disabled:
        raise DomainError("account_suspended", _l(
            "This venue manager's account is suspended. Reinstate it first if the person is to manage "
            "the venue."), field="email")
    else:
        person.venue_id = venue.id
        _tell_existing_manager(venue, person)
    record_access(admin, AccessAction.ADD_VENUE_MANAGER, person, detail=str(venue.id))
    db.session.flush()
    return person


def _invited_manager(admin: User, venue, person: User) -> None:
    if not can_add_venue_manager(admin, venue):
        raise Forbidden()
    if person.role != Role.VENUE_MANAGER or person.venue_id != venue.id:
        raise DomainError("not_manager", _l("This person is not a manager of this venue."), status=404)
    check_invitation_open(person)


def resend_manager_invitation(admin: User, venue, person: User, *, link_for: Callable[[str], str]) -> None:
    """Email an invited manager who has not chosen a password yet a new link (the earlier ones still work
    until they expire or a password is chosen)."""
    _invited_manager(admin, venue, person)
    _invite(venue, person, link_for)
    record_access(admin, AccessAction.RESEND_INVITATION, person, detail=str(venue.id))
    db.session.flush()


def withdraw_manager_invitation(admin: User, venue, person: User) -> None:
    """Take back the invitation of a manager who has not chosen a password yet: the account, made for the
    invitation and never used, is deleted (the address is free again). Told by email if the invitation
    may have reached them."""
    _invited_manager(admin, venue, person)
    record_access(admin, AccessAction.WITHDRAW_INVITATION, person, detail=str(venue.id))
    erase_account(person, keep_message=withdraw_invitation(person, venue_name_for(person, venue)))


def _refused_existing() -> DomainError:
    return DomainError("account_of_other_role", _l(
        "This email address already has a SciVisit account of another kind (for example a visitor's, a "
        "teacher's or a member of staff's). It cannot be made into a manager's account: add the person "
        "with their work email address."), field="email")


def _invite(venue, person: User, link_for: Callable[[str], str]) -> None:
    venue_name = venue_name_for(person, venue)
    queue_invitation(
        person, venue_name, kind="manager_invitation", link_for=link_for,
        subject=_l("You are now a manager of %(venue)s on SciVisit", venue=venue_name),
        added=paragraphs(
            _l("The science association has made you a manager of %(venue)s on SciVisit.", venue=venue_name),
            MANAGERS_TASKS),
    )


def _tell_existing_manager(venue, person: User) -> None:
    venue_name = venue_name_for(person, venue)
    queue_message(
        kind="manager_added", recipient=person.email, user=person,
        subject=_l("You are now a manager of %(venue)s on SciVisit", venue=venue_name),
        body=paragraphs(
            _l("Hello %(name)s,", name=person.name),
            _l("The science association has made you a manager of %(venue)s on SciVisit.", venue=venue_name),
            MANAGERS_TASKS,
            _l("Sign in with your email address and password as before."),
            _l("If you do not work at %(venue)s, tell the science association of your district.",
               venue=venue_name),
        ),
    )
