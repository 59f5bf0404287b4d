"""Accounts: who someone is, how they prove it, and what their role lets them act for."""
from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import UNUSABLE_HASH_PREFIX, Role, User
from app.accounts.sign_ins import end_this_sign_in, renew_session_token
from app.accounts.tokens import revoke_personal_tokens
from app.core.errors import DomainError, Forbidden
from app.core.time import utcnow
from app.districts.models import District
from app.extensions import db
from app.notifications.services import paragraphs, queue_message
from app.privacy.services import AccessAction, erase_account, record_access
from app.schools.models import School

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Deliberately loose: the form checks the address properly; this keeps junk out of the CLI import.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_NAME_LENGTH = 80
# The roles a person may choose for themselves; the others are given by an administrator.
SELF_REGISTERED_ROLES = (Role.CITIZEN, Role.TEACHER, Role.VENUE_MANAGER)


def normalize_email(email: str) -> str:
    """One spelling per address: NFKC makes an address typed in full width with a Chinese input method
    (ａｌｉｃｅ@ｅｘａｍｐｌｅ.com) and a composed or decomposed é the same address, as case and
    surrounding spaces already are. Migration e5b2c8d4f1a7 brought stored addresses to it."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def normalize_phone(phone: str) -> str:
    # NFKC: digits typed with a Chinese input method in full width (１３８…) are the same digits.
    return re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", phone or "")).removeprefix("+86")


def is_mobile(phone: str | None) -> bool:
    """A mainland 11-digit mobile number (spaces, dashes and +86 allowed around it)."""
    return bool(MOBILE_RE.match(normalize_phone(phone or "")))


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``: how a phone number is shown to anyone but its owner."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str | None) -> str:
    """``zhang.san@example.com`` → ``zh***@example.com``: an address shown to anyone but its owner
    (its length hidden too, and a long one no wider than a short one)."""
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at:
        local, domain = email, ""
    return local[:1 if len(local) <= 3 else 2] + "***" + at + domain


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def unusable_password_hash() -> str:
    """A stored hash no password matches (it is not ``method$salt$hash``): for an account whose
    owner chooses the password from an emailed link."""
    return UNUSABLE_HASH_PREFIX + secrets.token_urlsafe(16)


_dummy_hashes: dict[str | None, str] = {}


def _password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``, at the cost of exactly one hash verification
    whatever ``stored_hash`` is: no account, or one without a usable password, is checked against a
    dummy hash of the configured method (made once per process) and never matches. So the time of
    an answer does not tell whether an account exists."""
    if not stored_hash or stored_hash.startswith(UNUSABLE_HASH_PREFIX):
        method = current_app.config.get("PASSWORD_HASH_METHOD")
        if method not in _dummy_hashes:
            _dummy_hashes[method] = hash_password(secrets.token_urlsafe(16))
        check_password_hash(_dummy_hashes[method], password)
        return False
    return check_password_hash(stored_hash, password)


def validate_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError("weak_password",
                          _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field=field)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _checked_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise DomainError("invalid_email", _l("Enter a valid email address."), field="email")
    return email


def _email_taken() -> DomainError:
    return DomainError("email_taken", _l("An account with this email already exists."), field="email")


def _trimmed(text: str) -> str:
    """``text`` without the spaces and invisible format characters (zero-width space, byte-order mark,
    direction marks) at its ends: a name of only those would show as nothing on a booking."""
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end]


def _blank(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def _checked_name(name: str) -> str:
    name = _trimmed(name or "")
    if not name or len(name) > MAX_NAME_LENGTH:
        raise DomainError("invalid_name", _l("Enter a name of at most %(n)d characters.", n=MAX_NAME_LENGTH),
                          field="name")
    return name


def _checked_phone(phone: str, *, required: bool) -> str:
    phone = normalize_phone(phone)
    if (phone or required) and not MOBILE_RE.match(phone):
        raise DomainError("invalid_phone", _l("Enter an 11-digit mainland mobile number."), field="phone")
    return phone


def create_user(*, email: str, password: str | None, name: str, role: Role, phone: str = "",
                school=None, venue=None, district_code: str | None = None,
                verified_by: User | None = None, verified: bool = False, consent: bool = False) -> User:
    """Create an account. Raises ``DomainError`` for a taken email or an incomplete role.

    A teacher is verified at once when an administrator creates them (``verified_by``,
    or ``verified`` for the command line, where no admin account is acting). With ``password``
    None the account has no usable password until its owner sets one from a reset link.
    """
    email = _checked_email(email)
    if user_by_email(email) is not None:
        raise _email_taken()
    name = _checked_name(name)
    phone = _checked_phone(phone, required=False)
    if password is not None:
        validate_password(password)
    role = Role(role)
    if role == Role.TEACHER and school is None:
        raise DomainError("school_required", _l("Choose your school."), field="school_id")
    if role == Role.VENUE_STAFF and venue is None:
        raise DomainError("venue_required", _l("Staff belong to a venue."), field="venue_id")
    if role == Role.DISTRICT_ADMIN and not district_code:
        raise DomainError("district_required", _l("Choose the district."), field="district")
    # A venue, school or district the role does not take is refused, not dropped: an operator who
    # filled the column meant something by it (a wrong role, or a wrong row).
    if venue is not None and role not in (Role.VENUE_STAFF, Role.VENUE_MANAGER):
        raise DomainError("venue_not_for_role", _l("Only venue staff and managers belong to a venue."),
                          field="venue_id")
    if school is not None and role != Role.TEACHER:
        raise DomainError("school_not_for_role", _l("Only teachers belong to a school."), field="school_id")
    if district_code and role != Role.DISTRICT_ADMIN:
        raise DomainError("district_not_for_role", _l("Only district admins are given a district."),
                          field="district")
    user = User(
        email=email, name=name, phone=phone, role=role,
        password_hash=hash_password(password) if password is not None else unusable_password_hash(),
        school_id=school.id if school is not None else None,
        venue_id=venue.id if venue is not None else None,
        district_code=district_code,
        consent_at=utcnow() if consent else None,
    )
    if role == Role.TEACHER and (verified_by is not None or verified):
        user.verified_at = utcnow()
        user.verified_by_id = verified_by.id if verified_by is not None else None
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to, or ``DomainError("invalid_credentials")``.

    Repeated failures lock the account for a while; the message never says whether an
    account exists, so the form cannot be used to discover who is registered.
    """
    config = current_app.config
    # One answer for a typo and a lock alike, so that it says nothing of the account, yet tells a
    # person who keeps trying what happens and for how long, instead of hinting at a lock after one typo.
    generic = DomainError("invalid_credentials", _l("Email or password is incorrect. After %(tries)d wrong tries "
                                                     "in a row, signing in pauses for %(minutes)d minutes. Forgot "
                                                     "your password? You can set a new one.",
                                                     tries=config["LOGIN_LOCKOUT_THRESHOLD"],
                                                     minutes=config["LOGIN_LOCKOUT_MINUTES"]), status=401)
    user = user_by_email(email)
    now = utcnow()
    usable = user is not None and not user.is_disabled
    # Verified on every path, locked and unknown accounts too: each answer costs one verification.
    matches = _password_matches(user.password_hash if usable else None, password or "")
    if not usable:
        raise generic
    if _locked(user, now):
        raise generic
    if not matches:
        _count_wrong_password(user, now)
        db.session.commit()
        raise generic
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _locked(user: User, now) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _count_wrong_password(user: User, now) -> bool:
    """One more wrong password for ``user`` in a row; the ``LOGIN_LOCKOUT_THRESHOLD``-th locks the account
    for ``LOGIN_LOCKOUT_MINUTES``. Returns whether it locked. The one lockout rule of the login form and
    of every check of the current password."""
    config = current_app.config
    # Counted in the database with one UPDATE so that parallel workers add up.
    db.session.execute(
        User.__table__.update().where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins < config["LOGIN_LOCKOUT_THRESHOLD"]:
        return False
    user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    user.failed_logins = 0
    return True


class AccountLocked(DomainError):
    """A check of the current password refused because wrong passwords locked the account: the sign-in
    that asked has ended."""


def check_current_password(user: User, password: str | None, *, field: str = "current_password") -> None:
    """That the signed-in ``user`` typed their own password, before what only the owner may do (a new
    password or email address, deleting the account). Raises ``DomainError`` (at ``field``) if not.

    A session left open is a way to guess the password as good as the login form, so the login's rule
    holds: a wrong answer counts as a failed login, and a locked account answers no check, right or
    wrong. The sign-in asking when the account is or becomes locked ends (``AccountLocked``): whoever
    guesses at an unattended browser loses it; the owner can set a new password from a reset link.
    The count and the sign-out are committed here, since the caller rolls back on the error."""
    config = current_app.config
    now = utcnow()
    if not _locked(user, now) and _password_matches(user.password_hash, password or ""):
        user.failed_logins = 0
        return
    db.session.rollback()  # the caller's work is refused, not committed with the count
    if not _locked(user, now) and not _count_wrong_password(user, now):
        db.session.commit()
        raise DomainError("wrong_password", _l("Your current password is not correct. After %(tries)d wrong "
                                               "tries in a row, you are signed out and signing in pauses for "
                                               "%(minutes)d minutes.", tries=config["LOGIN_LOCKOUT_THRESHOLD"],
                                               minutes=config["LOGIN_LOCKOUT_MINUTES"]), field=field)
    end_this_sign_in(user)
    db.session.commit()
    raise AccountLocked("account_locked", _l("Your password was entered wrong too many times in a row, so you "
                                             "have been signed out and signing in pauses for %(minutes)d "
                                             "minutes. Forgot your password? You can set a new one.",
                                             minutes=config["LOGIN_LOCKOUT_MINUTES"]))


def change_password(user: User, current_password: str, new_password: str) -> None:
    """The person changes their own password: this browser stays signed in, every other one ends."""
    check_current_password(user, current_password)
    validate_password(new_password, field="new_password")
    set_password(user, new_password, keep_this_sign_in=True)


def set_password(user: User, new_password: str, *, keep_this_sign_in: bool = False) -> None:
    """Set a new password and end every session (but, with ``keep_this_sign_in``, the one ``user`` was
    loaded with in this browser) and every API token of this user."""
    user.password_hash = hash_password(new_password)
    renew_session_token(user, keep_this_sign_in=keep_this_sign_in)
    user.failed_logins = 0
    user.locked_until = None
    revoke_personal_tokens(user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    # Bound to the current session token: once the password changes, the link is spent.
    return _reset_serializer().dumps({"uid": user.id, "st": user.session_token})


def user_for_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.session_token != data.get("st"):
        return None
    return user


def remember_preferences(user: User, *, locale: str | None = None, mode: str | None = None) -> None:
    changed = False
    if locale and user.locale != locale:
        user.locale, changed = locale, True
    if mode and user.elder_mode != (mode == "elder"):
        user.elder_mode, changed = mode == "elder", True
    if changed:
        db.session.commit()


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


# --- Registration -------------------------------------------------------------------------------

def register_account(*, email: str, password: str, name: str, phone: str, role: Role | str,
                     school_id: int | None = None, consent: bool = False) -> User:
    """A person signs up for themselves as a citizen, a teacher or a venue manager.

    They must accept the privacy notice and give a mobile number; a teacher chooses an active
    school and stays unverified until the district (or the city) vouches for them.
    """
    try:
        role = Role(role)
    except ValueError:
        role = None
    if role not in SELF_REGISTERED_ROLES:
        raise DomainError("role_not_allowed", _l("Choose one of the listed roles."), field="role")
    if not consent:
        raise DomainError("consent_required", _l("Please agree to the privacy notice to register."),
                          field="consent")
    if not is_mobile(phone):
        raise DomainError("invalid_phone", _l("Enter an 11-digit mainland mobile number."), field="phone")
    school = None
    if role == Role.TEACHER:
        school = db.session.get(School, school_id) if school_id else None
        if school is None or not school.is_active:
            raise DomainError("school_required", _l("Choose your school."), field="school_id")
    user = create_user(email=email, password=password, name=name, phone=phone, role=role,
                       school=school, consent=True)
    if school is not None:
        _tell_district_of_teacher(user, school)
    return user


def _tell_district_of_teacher(teacher: User, school: School) -> None:
    """Email the admins of the school's district that a teacher waits for them to vouch for them."""
    from app.accounts.district_admins import tell_district_admins  # it imports this module
    from app.core.i18n import localized

    def write(locale: str) -> tuple:
        school_name = localized(school, "name", locale)
        return (_l("A teacher waits for verification: %(name)s, %(school)s", name=teacher.name, school=school_name),
                _l("%(name)s has registered as a teacher of %(school)s and waits for you to verify it.",
                   name=teacher.name, school=school_name))

    tell_district_admins(school.district_code, kind="teacher_registered", write=write, queue_path="/admin/teachers")


# --- Correcting one's own details ---------------------------------------------------------------

def phone_required(user: User) -> bool:
    """Those who register themselves give a mobile number and keep one; an account an administrator
    creates (gate staff, administrators) may have none."""
    return user.role in SELF_REGISTERED_ROLES


def correct_own_details(user: User, *, name: str, phone: str, email: str,
                        current_password: str | None = None) -> list[str]:
    """A person corrects their own name, mobile number and email, as the privacy notice promises,
    by registration's rules. Returns the fields that changed (``"name"``, ``"phone"``, ``"email"``).

    The email is the login: changing it takes the current password (asked before the new address is
    looked up, so the form cannot tell a stranger who is registered), ends the person's other sessions
    and any reset link sent to the old address, and tells the old address.
    """
    name = _checked_name(name)
    phone = _checked_phone(phone, required=phone_required(user))
    email = _checked_email(email)
    changed = [field for field, old, new in (("name", user.name, name), ("phone", user.phone, phone),
                                             ("email", user.email, email)) if old != new]
    user.name, user.phone = name, phone
    if "email" in changed:
        if not current_password:
            raise DomainError("password_required", _l("Enter your current password to change your email "
                                                      "address."), field="current_password")
        check_current_password(user, current_password)
        if user_by_email(email) is not None:
            raise _email_taken()
        _tell_old_address(user, email)
        user.email = email
        renew_session_token(user, keep_this_sign_in=True)
    try:
        db.session.flush()
    except IntegrityError:  # someone took the address at the same moment
        raise _email_taken() from None
    if changed:
        record_access(user, "correct_own_data", user, detail=", ".join(changed))
    return changed


def _tell_old_address(user: User, new_email: str) -> None:
    queue_message(
        kind="email_changed", recipient=user.email, user=user,
        subject=_l("Your SciVisit email address was changed"),
        body=paragraphs(
            _l("Hello %(name)s,", name=user.name),
            _l("The email address you log in to SciVisit with was changed to %(email)s. Messages about your "
               "bookings now go there.", email=new_email),
            _l("If you did not make this change, someone may know your password: tell us at once. The "
               "privacy notice on the SciVisit website says how to reach us."),
        ),
    )


# --- Password reset -----------------------------------------------------------------------------

def request_password_reset(email: str, link_for: Callable[[str], str]) -> None:
    """Queue a reset link for the account with this email, if there is one (silently nothing if not).

    ``link_for(token)`` makes the absolute link; the caller knows the site's address, the service
    does not.
    """
    user = user_by_email(email)
    if user is None or user.is_disabled:
        return
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    link = link_for(password_reset_token(user))
    queue_message(
        kind="password_reset", recipient=user.email, user=user,
        subject=_l("Reset your SciVisit password"),
        body=paragraphs(
            _l("Hello %(name)s,", name=user.name),
            _l("Someone (hopefully you) asked to reset the password of your SciVisit account. Open this "
               "link within %(minutes)d minutes to choose a new password:", minutes=minutes),
            link,
            _l("If you did not ask for this, ignore this message; your password stays the same."),
        ),
    )
    db.session.flush()


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link. The link works once: the new password spends it."""
    user = user_for_reset_token(token)
    if user is None or user.is_disabled:
        raise DomainError("invalid_reset_link", _l("This password reset link is invalid, has expired or "
                                                   "has already been used. Ask for a new one."))
    validate_password(new_password, field="password")
    set_password(user, new_password)
    db.session.flush()
    return user


# --- Teacher verification -----------------------------------------------------------------------

def can_review_teachers(user) -> bool:
    """District and city admins see the queue of teachers awaiting verification."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.DISTRICT_ADMIN,
                                                                            Role.CITY_ADMIN)


def can_verify_teacher(admin, teacher: User) -> bool:
    """The city admin verifies any teacher; a district admin only teachers of their district's schools."""
    if not can_review_teachers(admin) or teacher.role != Role.TEACHER:
        return False
    if admin.role == Role.CITY_ADMIN:
        return True
    return teacher.school is not None and teacher.school.district_code == admin.district_code


def teachers_awaiting_verification(admin: User):
    """A select of the unverified, not rejected teachers this admin may verify, oldest first (a teacher
    whose move to another school was refused waits for nobody until they choose a school again)."""
    query = (
        select(User).join(School, User.school_id == School.id)
        .where(User.role == Role.TEACHER, User.verified_at.is_(None), User.is_disabled.is_(False),
               User.school_move_refused_at.is_(None))
        .order_by(User.created_at, User.id)
    )
    if admin.role != Role.CITY_ADMIN:
        query = query.where(School.district_code == admin.district_code)
    return query


def count_teachers_awaiting_verification(admin: User) -> int:
    query = teachers_awaiting_verification(admin).order_by(None).subquery()
    return db.session.scalar(select(func.count()).select_from(query)) or 0


def _check_pending(admin: User, teacher: User) -> None:
    if not can_verify_teacher(admin, teacher):
        raise Forbidden()
    if teacher.is_disabled:
        raise DomainError("teacher_rejected", _l("This teacher's registration was rejected."), status=409)
    if teacher.verified_at is not None:
        raise DomainError("already_verified", _l("This teacher is already verified."), status=409)


def verify_teacher(admin: User, teacher: User) -> None:
    """Vouch that the teacher teaches at their school: they may then book for classes."""
    _check_pending(admin, teacher)
    teacher.verified_at = utcnow()
    teacher.verified_by_id = admin.id
    # A move they made (``school_moves``) is settled: they wait for, and were refused by, no one.
    teacher.moved_school_at = teacher.moved_from_school_id = teacher.school_move_refused_at = None
    queue_message(
        kind="teacher_verified", recipient=teacher.email, user=teacher,
        subject=_l("Your SciVisit teacher account is verified"),
        body=paragraphs(
            _l("Hello %(name)s,", name=teacher.name),
            _l("Your teacher account has been verified. You can now book class visits on SciVisit."),
        ),
    )
    db.session.flush()


def reject_teacher(admin: User, teacher: User, reason: str) -> None:
    """Refuse a teacher's registration: the person is told why, and the account with everything the
    person gave is deleted (``erase_account``, the same rule as their own deletion), so that they can
    register again with the same address instead of being locked out of data nobody can reach.
    A teacher who moved from another school keeps their account: the move is refused (``refuse_move``)."""
    from app.accounts import school_moves  # it imports this module

    _check_pending(admin, teacher)
    if school_moves.move_refused(teacher):
        # Out of the queue until they choose a school again; their account is not a registration to reject.
        raise DomainError("move_already_refused", _l("This teacher's move was already refused. They have been "
                                                     "told, and choose their school again."), status=409)
    if school_moves.awaits_after_move(teacher):
        school_moves.refuse_move(admin, teacher, reason)
        return
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", _l("Give the reason, so the person knows what to do."),
                          field="reason")
    message = queue_message(
        kind="teacher_rejected", recipient=teacher.email, user=teacher,
        subject=_l("Your SciVisit teacher registration was not accepted"),
        body=paragraphs(
            _l("Hello %(name)s,", name=teacher.name),
            _l("Your registration as a teacher was not accepted. Reason: %(reason)s", reason=reason),
            _l("Your account and the details you gave (name, mobile number, email address and school) have "
               "been deleted. You are welcome to register again with the same email address."),
            _l("If you think this is a mistake, contact your district's science association."),
        ),
    )
    record_access(admin, AccessAction.REJECT_TEACHER, teacher)
    erase_account(teacher, keep_message=message)


# --- Command line helpers -----------------------------------------------------------------------

def find_district(value: str) -> District | None:
    """A district by its code or its Chinese (or English) name, as administrators write either."""
    value = (value or "").strip()
    if not value:
        return None
    return db.session.scalar(select(District).where(
        (District.code == value) | (District.name_zh == value) | (func.lower(District.name_en) == value.lower())
    ))
