"""Inviting someone to an account made for them by someone else (a venue's staff, a venue's manager, a
district's administrator): an email with a link to choose their own password, so that no password is
ever shown or sent.

Until the person has chosen it the account is invited, not active (``User.account_status``): nobody can
sign in to it, and it does not count as one of the venue's managers or staff (or the district's
administrators). Whoever could invite the person sends the invitation again or withdraws it
(``managers.py``, ``staff.py``, ``district_admins.py``).

``workplace`` names where the person is invited to work (a venue, a district's science association),
in the language the person is written to."""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User, new_session_token
from app.accounts.services import password_reset_token
from app.core.errors import DomainError
from app.core.i18n import localized
from app.extensions import db
from app.notifications.models import OutboxMessage
from app.notifications.services import paragraphs, queue_message, recipient_locale

INVITATION_KINDS = ("staff_invitation", "manager_invitation", "district_admin_invitation")


def venue_name_for(person: User, venue) -> str:
    """The venue's name in the language the person is written to."""
    return localized(venue, "name", recipient_locale(person))


def queue_invitation(person: User, workplace, *, kind: str, subject, added,
                     link_for: Callable[[str], str]) -> OutboxMessage:
    """Queue the invitation: ``added`` says who added the person to ``workplace`` and what for; the rest
    (the set-password link, what to do when it has expired) is the same for everyone.
    ``link_for(token)`` makes the link absolute."""
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    return queue_message(
        kind=kind, recipient=person.email, user=person, subject=subject,
        body=paragraphs(
            _l("Hello %(name)s,", name=person.name),
            added,
            _l("Choose your password with this link within %(minutes)d minutes:", minutes=minutes),
            link_for(password_reset_token(person)),
            _l("If the link has expired, choose \"Forgot your password?\" on the login page and enter this "
               "email address: you will get a new link."),
            _l("If you do not work at %(venue)s, ignore this message.", venue=workplace),
        ),
    )


def check_invitation_open(person: User) -> None:
    """Refuse to send again or withdraw an invitation the person has accepted (chosen a password), or
    whose account an administrator has suspended meanwhile."""
    if person.is_disabled:
        raise DomainError("account_suspended", _l(
            "%(name)s's account is suspended: the invitation cannot be sent again or withdrawn. An "
            "administrator reinstates or closes the account.", name=person.name), status=409)
    if not person.awaits_password:
        raise DomainError("invitation_accepted", _l(
            "%(name)s has already chosen a password: the invitation was accepted.", name=person.name), status=409)


def withdraw_invitation(person: User, workplace) -> OutboxMessage | None:
    """Spend the invitation: its links stop working and the invitations still waiting to be sent are
    dropped. Returns the message telling the person, queued only if an invitation may have reached them."""
    mine = sa.and_(OutboxMessage.user_id == person.id, OutboxMessage.kind.in_(INVITATION_KINDS))
    waiting = sa.and_(OutboxMessage.sent_at.is_(None), OutboxMessage.claimed_at.is_(None))
    reached = db.session.scalar(sa.select(sa.exists().where(mine, ~waiting)))
    db.session.execute(sa.delete(OutboxMessage).where(mine, waiting), execution_options={"synchronize_session": False})
    person.session_token = new_session_token()  # the links are bound to it
    if not reached:
        return None
    return queue_message(
        kind="invitation_withdrawn", recipient=person.email, user=person,
        subject=_l("Your invitation to %(venue)s on SciVisit has been withdrawn", venue=workplace),
        body=paragraphs(
            _l("Hello %(name)s,", name=person.name),
            _l("The invitation to %(venue)s on SciVisit that we emailed you has been withdrawn: its link no "
               "longer works.", venue=workplace),
            _l("If you think this is a mistake, ask the person who invited you."),
        ),
    )
