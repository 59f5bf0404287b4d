"""A district's administrators (区科协), as the city admin keeps them: inviting one, and telling them
when work arrives in their district's queues.

Only the city admin gives a district an administrator: a district admin vouches for the district's
venues, schools and teachers, so nobody of the district makes another one.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.invitations import check_invitation_open, queue_invitation, withdraw_invitation
from app.accounts.models import AccountStatus, Role, User, with_status
from app.accounts.services import _checked_email, _checked_name, create_user, user_by_email
from app.core.errors import DomainError, Forbidden
from app.core.i18n import localized
from app.districts.models import District
from app.extensions import db
from app.notifications.services import paragraphs, queue_message, recipient_locale, site_url
from app.privacy.services import AccessAction, erase_account, record_access


def can_invite_district_admins(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.CITY_ADMIN


def district_admins() -> list[User]:
    """Every district's administrators, by district then name, invited and suspended ones too."""
    return list(db.session.scalars(select(User).where(User.role == Role.DISTRICT_ADMIN)
                                   .order_by(User.district_code, User.name, User.id)))


def active_district_admins(district_code: str) -> list[User]:
    """The district's administrators who act now: neither suspended nor invited without a password yet."""
    return list(db.session.scalars(select(User).where(User.role == Role.DISTRICT_ADMIN,
                                                      User.district_code == district_code,
                                                      with_status(AccountStatus.ACTIVE))
                                   .order_by(User.name, User.id)))


def _association(person: User, district: District):
    """Where a district admin works, in the language the person is written to."""
    return _l("the science association of %(district)s",
              district=localized(district, "name", recipient_locale(person)))


def invite_district_admin(admin: User, *, email: str, name: str, district_code: str,
                          link_for: Callable[[str], str]) -> User:
    """Make a new account of ``district_code``'s administrator for this address and email the person a
    link to choose its password (``link_for(token)`` makes it absolute). An address that already has
    an account is refused: no one's account is turned into an administrator's by someone else."""
    if not can_invite_district_admins(admin):
        raise Forbidden()
    district = db.session.get(District, district_code or "")
    if district is None:
        raise DomainError("unknown_district", _l("Choose the district."), field="district")
    email, name = _checked_email(email), _checked_name(name)
    person = user_by_email(email)
    if person is not None and person.role == Role.DISTRICT_ADMIN and person.account_status == AccountStatus.INVITED:
        raise DomainError("already_invited", _l(
            "%(name)s has been invited already and has not chosen a password yet. To email them the link "
            "again, choose \"Send the invitation again\" in the list of district administrators.",
            name=person.name), field="email")
    if person is not None:
        raise _refused_existing()
    try:
        person = create_user(email=email, password=None, name=name, role=Role.DISTRICT_ADMIN,
                             district_code=district.code)
    except IntegrityError:  # someone registered the address at the same moment
        raise _refused_existing() from None
    _invite(person, link_for)
    record_access(admin, AccessAction.INVITE_DISTRICT_ADMIN, person, detail=district.code)
    db.session.flush()
    return person


def _invited_district_admin(admin: User, person: User) -> None:
    if not can_invite_district_admins(admin):
        raise Forbidden()
    if person.role != Role.DISTRICT_ADMIN:
        raise DomainError("not_district_admin", _l("This person is not a district administrator."), status=404)
    check_invitation_open(person)


def resend_district_admin_invitation(admin: User, person: User, *, link_for: Callable[[str], str]) -> None:
    """Email an invited district admin who has not chosen a password yet a new link."""
    _invited_district_admin(admin, person)
    _invite(person, link_for)
    record_access(admin, AccessAction.RESEND_DISTRICT_ADMIN_INVITATION, person, detail=person.district_code)
    db.session.flush()


def withdraw_district_admin_invitation(admin: User, person: User) -> None:
    """Take back the invitation: the account, made for it and never used, is deleted (the address is
    free again). Told by email if the invitation may have reached them."""
    _invited_district_admin(admin, person)
    record_access(admin, AccessAction.WITHDRAW_DISTRICT_ADMIN_INVITATION, person, detail=person.district_code)
    erase_account(person, keep_message=withdraw_invitation(person, _association(person, person.district)))


def _refused_existing() -> DomainError:
    return DomainError("account_exists", _l(
        "This email address already has a SciVisit account. It cannot be made into a district "
        "administrator's account: invite the person with their work email address."), field="email")


def _invite(person: User, link_for: Callable[[str], str]) -> None:
    association = _association(person, person.district)
    queue_invitation(
        person, association, kind="district_admin_invitation", link_for=link_for,
        subject=_l("You are now an administrator of %(association)s on SciVisit", association=association),
        added=paragraphs(
            _l("The city science association has made you an administrator of %(association)s on SciVisit.",
               association=association),
            _l("You review the venues, schools and teachers of your district, and keep its accounts.")),
    )


# --- telling the district of work that arrives ---------------------------------------------------

def tell_district_admins(district_code: str, *, kind: str, write: Callable[[str], tuple], queue_path: str) -> None:
    """Email each of the district's active administrators, in their language, that something waits
    for them: ``write(locale)`` gives the (subject, first paragraph); the message ends with the link to
    the queue at ``queue_path``."""
    for admin in active_district_admins(district_code):
        subject, news = write(recipient_locale(admin))
        queue_message(kind=kind, recipient=admin.email, user=admin, subject=subject,
                      body=paragraphs(_l("Hello %(name)s,", name=admin.name), news,
                                      _l("It waits for you here:"), site_url(queue_path)))
