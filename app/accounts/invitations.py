"""Inviting someone to a venue account made for them by someone else (a venue's staff, a venue's
manager): an e-mail with a link to choose their own password, so that no password is ever shown or sent."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.services import password_reset_token
from app.core.i18n import localized
from app.notifications.models import OutboxMessage
from app.notifications.services import paragraphs, queue_message, recipient_locale


def venue_name_for(person: User, venue) -> str:
    """The venue's name in the language the person is written to."""
    return localized(venue, "name", recipient_locale(person))


def queue_invitation(person: User, venue, *, kind: str, subject, added,
                     link_for: Callable[[str], str]) -> OutboxMessage:
    """Queue the invitation: ``added`` says who added the person to ``venue`` and what for; the rest
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
            _l("If you do not work at %(venue)s, ignore this message.", venue=venue_name_for(person, venue)),
        ),
    )
