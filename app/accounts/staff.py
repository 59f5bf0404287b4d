"""A venue's gate staff, as its manager keeps them: who they are, adding someone, removing someone who left."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.invitations import (check_invitation_open, queue_invitation, venue_name_for,
                                      withdraw_invitation)
from app.accounts.models import AccountStatus, Role, User, new_session_token
from app.accounts.services import _checked_email, _checked_name, create_user, unusable_password_hash, user_by_email
from app.accounts.tokens import revoke_personal_tokens
from app.core.errors import DomainError, Forbidden
from app.extensions import db
from app.notifications.services import paragraphs, queue_message
from app.privacy.models import PersonalDataAccess
from app.privacy.services import AccessAction, erase_account, record_access
from app.venues.services import can_manage_venue


def can_manage_staff(user, venue) -> bool:
    """Only the venue's own manager adds and removes its staff."""
    return can_manage_venue(user, venue)


@dataclass(frozen=True)
class StaffMember:
    user: User
    added_at: datetime


def venue_staff(venue_id: int) -> list[StaffMember]:
    """The venue's staff by name, each with when they were added: the latest "added" in the audit log,
    else when the account was made (staff created on the command line)."""
    added = (select(PersonalDataAccess.subject_user_id.label("user_id"),
                    func.max(PersonalDataAccess.at).label("at"))
             .where(PersonalDataAccess.action == AccessAction.ADD_VENUE_STAFF.value)
             .group_by(PersonalDataAccess.subject_user_id).subquery())
    rows = db.session.execute(
        select(User, func.coalesce(added.c.at, User.created_at))
        .outerjoin(added, added.c.user_id == User.id)
        .where(User.role == Role.VENUE_STAFF, User.venue_id == venue_id)
        .order_by(User.name, User.id))
    return [StaffMember(user, added_at) for user, added_at in rows]


def was_removed_from_staff(user: User) -> bool:
    """A closed account that a venue removed from its staff (and nothing has reopened since)."""
    if user.role != Role.CITIZEN or not user.is_disabled or user.venue_id is not None:
        return False
    return _ever_removed_from_staff(user)


def _ever_removed_from_staff(user: User) -> bool:
    return db.session.scalar(select(sa.exists().where(
        PersonalDataAccess.subject_user_id == user.id,
        PersonalDataAccess.action == AccessAction.REMOVE_VENUE_STAFF.value))) or False


# What closes a staff account, in the access log: its removal, or the withdrawal of the invitation a
# former member was sent back (``withdraw_staff_invitation`` closes the account again).
_CLOSING_ACTIONS = (AccessAction.REMOVE_VENUE_STAFF.value, AccessAction.WITHDRAW_INVITATION.value)


def accounts_closed_by_staff_removal_before(cutoff: datetime) -> list[int]:
    """Ids of the accounts closed by a venue removing the person from its staff (``was_removed_from_staff``)
    that have stayed closed since before ``cutoff``: the retention purge deletes them."""
    closed = (select(PersonalDataAccess.subject_user_id.label("user_id"), func.max(PersonalDataAccess.at).label("at"))
              .where(PersonalDataAccess.action.in_(_CLOSING_ACTIONS), PersonalDataAccess.subject_user_id.isnot(None))
              .group_by(PersonalDataAccess.subject_user_id).subquery())
    return list(db.session.scalars(
        select(User.id).join(closed, closed.c.user_id == User.id)
        .where(User.role == Role.CITIZEN, User.is_disabled.is_(True), User.venue_id.is_(None), closed.c.at < cutoff)
        .order_by(User.id)))


def add_venue_staff(manager: User, venue, *, email: str, name: str,
                    link_for: Callable[[str], str]) -> User | None:
    """Give ``venue``'s gate to the person with this email, who then chooses a password from an
    emailed link (``link_for(token)`` makes it absolute); no password is ever shown or sent.

    A new address gets a staff account of this venue. Someone a venue removed from its staff
    comes back (re-hired, or moving to this venue) with their old password void. Any other existing
    account stays as it is: a citizen's, teacher's or official's account is never turned into staff by
    someone else, staff of another venue must first be removed there, and an administrator's suspension
    holds until an administrator lifts it. Its owner is told by email why, and what to do; the manager
    is not (returns None), so that the form does not tell them who has an account, as password reset
    does not. Returns the member of staff otherwise.
    """
    if not can_manage_staff(manager, venue):
        raise Forbidden()
    email, name = _checked_email(email), _checked_name(name)
    person = user_by_email(email)
    if person is None:
        try:
            with db.session.begin_nested():
                person = create_user(email=email, password=None, name=name, role=Role.VENUE_STAFF, venue=venue)
        except (IntegrityError, DomainError) as error:
            # Someone registered the address at the same moment: refused by the unique index, or by
            # create_user's own look once their insert committed. Either way, an existing account.
            if isinstance(error, DomainError) and error.code != "email_taken":
                raise
            person = user_by_email(email)
            if person is None:
                raise
        else:
            return _added(manager, venue, person, link_for)
    # The venue's own staff are on its list already: saying so tells the manager nothing new.
    if person.role == Role.VENUE_STAFF and person.venue_id == venue.id:
        if person.account_status == AccountStatus.INVITED:
            raise DomainError("already_invited", _l(
                "%(name)s has been invited already and has not chosen a password yet. To email them the link "
                "again, choose \"Send the invitation again\" in the list of your staff.", name=person.name),
                field="email")
        raise DomainError("already_staff", _l("%(name)s is already on your staff.", name=person.name),
                          field="email")
    why_not = _why_not_staff(person)
    if why_not is not None:
        _tell_not_added(manager, venue, person, why_not)
        db.session.flush()
        return None
    person.role, person.venue_id, person.name = Role.VENUE_STAFF, venue.id, name
    person.is_disabled, person.failed_logins, person.locked_until = False, 0, None
    person.password_hash = unusable_password_hash()
    person.session_token = new_session_token()
    return _added(manager, venue, person, link_for)


def _added(manager: User, venue, person: User, link_for: Callable[[str], str]) -> User:
    record_access(manager, AccessAction.ADD_VENUE_STAFF, person, detail=str(venue.id))
    _invite(manager, venue, person, link_for)
    db.session.flush()
    return person


def _why_not_staff(person: User) -> str | None:
    """Why an existing account (not of this venue's staff) cannot join a venue's staff, or None for
    someone a venue removed from its staff, whom any venue may take on again."""
    if person.role == Role.VENUE_STAFF:
        return "staff_of_other_venue"
    if not was_removed_from_staff(person):
        return "account_of_other_role"
    from app.accounts.people import suspended_by_admin  # people.py imports this module

    return "account_suspended" if suspended_by_admin(person) else None


def _tell_not_added(manager: User, venue, person: User, why_not: str) -> None:
    """Tell the owner of an existing account that ``venue`` tried to add them to its staff, why it could
    not, and what to do: the manager is not told (``add_venue_staff``)."""
    venue_name = venue_name_for(person, venue)
    what_to_do = {
        "staff_of_other_venue": _l(
            "You are on the staff of another venue on SciVisit, and a member of staff works for one venue. If "
            "you now work at %(venue)s, ask the venue you are on the staff of to remove you from its staff "
            "first; %(venue)s can then add you again.", venue=venue_name),
        "account_suspended": _l(
            "Your account has been suspended by the science association, so it cannot be added to a venue's "
            "staff until the science association reinstates it. Contact the science association of your "
            "district or the city."),
        "account_of_other_role": _l(
            "This address already has a SciVisit account of another kind (for example a visitor's or a "
            "teacher's), which cannot be made into a staff account. If you work at %(venue)s, give them "
            "another email address, such as your work address, for your staff account.", venue=venue_name),
    }[why_not]
    queue_message(
        kind="staff_not_added", recipient=person.email, user=person,
        subject=_l("%(venue)s could not add you to its staff on SciVisit", venue=venue_name),
        body=paragraphs(
            _l("Hello %(name)s,", name=person.name),
            _l("%(manager)s of %(venue)s tried to add you to the venue's staff on SciVisit with this email "
               "address. Your account has not been changed.", manager=manager.name, venue=venue_name),
            what_to_do,
            _l("If you do not work at %(venue)s, ignore this message.", venue=venue_name),
        ),
    )


def _invite(manager: User, venue, person: User, link_for: Callable[[str], str]) -> None:
    venue_name = venue_name_for(person, venue)
    queue_invitation(
        person, venue_name, kind="staff_invitation", link_for=link_for,
        subject=_l("You have been added to the staff of %(venue)s on SciVisit", venue=venue_name),
        added=_l("%(manager)s has added you to the staff of %(venue)s on SciVisit: you can check visitors' "
                 "tickets in at the gate.", manager=manager.name, venue=venue_name),
    )


def _check_staff_member(manager: User, venue, person: User) -> None:
    if not can_manage_staff(manager, venue):
        raise Forbidden()
    if person.role != Role.VENUE_STAFF or person.venue_id != venue.id:
        raise DomainError("not_staff", _l("This person is not on your staff."), status=404)


def resend_staff_invitation(manager: User, venue, person: User, *, link_for: Callable[[str], str]) -> None:
    """Email a member of staff who has not chosen a password yet a new link (the earlier ones still work
    until they expire or a password is chosen)."""
    _check_staff_member(manager, venue, person)
    check_invitation_open(person)
    _invite(manager, venue, person, link_for)
    record_access(manager, AccessAction.RESEND_INVITATION, person, detail=str(venue.id))
    db.session.flush()


def withdraw_staff_invitation(manager: User, venue, person: User) -> None:
    """Take back the invitation of a member of staff who has not chosen a password yet. An account made
    for the invitation, never used, is deleted (the address is free again); a former member of staff
    invited back is closed again as their removal left it. Told by email if the invitation may have
    reached them."""
    _check_staff_member(manager, venue, person)
    check_invitation_open(person)
    record_access(manager, AccessAction.WITHDRAW_INVITATION, person, detail=str(venue.id))
    told = withdraw_invitation(person, venue_name_for(person, venue))
    if _ever_removed_from_staff(person):
        person.role, person.venue_id, person.is_disabled = Role.CITIZEN, None, True
        db.session.flush()
    else:
        erase_account(person, keep_message=told)


def remove_venue_staff(manager: User, venue, person: User) -> None:
    """Take ``venue``'s gate away from ``person`` at once: the account loses the venue and is closed
    (signed out everywhere, API tokens revoked). The check-ins they recorded keep naming them until the
    retention purge deletes the closed account (``privacy.purge.delete_closed_accounts``).

    The account becomes a closed citizen account: the database keeps staff tied to a venue, and a
    former employee's work account must not go on as a usable account of its own. A suspended member
    may be removed too; an administrator's suspension stays on the account (``suspended_by_admin``).
    """
    _check_staff_member(manager, venue, person)
    person.role, person.venue_id, person.is_disabled = Role.CITIZEN, None, True
    person.session_token = new_session_token()
    revoke_personal_tokens(person)
    record_access(manager, AccessAction.REMOVE_VENUE_STAFF, person, detail=str(venue.id))
    venue_name = venue_name_for(person, venue)
    queue_message(
        kind="staff_removed", recipient=person.email, user=person,
        subject=_l("Your access to %(venue)s on SciVisit has ended", venue=venue_name),
        body=paragraphs(
            _l("Hello %(name)s,", name=person.name),
            _l("%(venue)s has removed you from its staff on SciVisit. Your account is closed: you can no "
               "longer sign in or check tickets in.", venue=venue_name),
            _l("If you think this is a mistake, contact %(venue)s.", venue=venue_name),
        ),
    )
    db.session.flush()
