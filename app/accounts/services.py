"""Accounts: who someone is, how they prove it, and what their role lets them act for."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import Role, User, new_session_token
from app.core.errors import DomainError
from app.core.time import utcnow
from app.extensions import db

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
MIN_PASSWORD_LENGTH = 8


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def normalize_phone(phone: str) -> str:
    return re.sub(r"[\s-]", "", phone or "").removeprefix("+86")


def mask_phone(phone: str | None) -> str:
    """``13812341234`` → ``138****1234``: how a phone number is shown to anyone but its owner."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 1)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    return generate_password_hash(password, method=method) if method else generate_password_hash(password)


def validate_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError("weak_password",
                          _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH), field=field)


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def load_user_by_session_token(token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == token))


def create_user(*, email: str, password: str, name: str, role: Role, phone: str = "",
                school=None, venue=None, district_code: str | None = None,
                verified_by: User | None = None, consent: bool = False) -> User:
    """Create an account. Raises ``DomainError`` for a taken email or an incomplete role."""
    email = normalize_email(email)
    phone = normalize_phone(phone)
    if user_by_email(email) is not None:
        raise DomainError("email_taken", _l("An account with this email already exists."), field="email")
    if phone and not MOBILE_RE.match(phone):
        raise DomainError("invalid_phone", _l("Enter an 11-digit mainland mobile number."), field="phone")
    validate_password(password)
    role = Role(role)
    if role == Role.TEACHER and school is None:
        raise DomainError("school_required", _l("Choose your school."), field="school_id")
    if role == Role.VENUE_STAFF and venue is None:
        raise DomainError("venue_required", _l("Staff belong to a venue."), field="venue_id")
    if role == Role.DISTRICT_ADMIN and not district_code:
        raise DomainError("district_required", _l("Choose the district."), field="district")
    user = User(
        email=email, password_hash=hash_password(password), name=name.strip(), phone=phone, role=role,
        school_id=school.id if school is not None and role == Role.TEACHER else None,
        venue_id=venue.id if venue is not None and role in (Role.VENUE_STAFF, Role.VENUE_MANAGER) else None,
        district_code=district_code if role == Role.DISTRICT_ADMIN else None,
        consent_at=utcnow() if consent else None,
    )
    if role == Role.TEACHER and verified_by is not None:
        user.verified_at, user.verified_by_id = utcnow(), verified_by.id
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to, or ``DomainError("invalid_credentials")``.

    Repeated failures lock the account for a while; the message never says whether an
    account exists, so the form cannot be used to discover who is registered.
    """
    config = current_app.config
    generic = DomainError("invalid_credentials", _l("Email or password is incorrect, or the account is "
                                                     "temporarily locked. Try again later or reset your "
                                                     "password."), status=401)
    user = user_by_email(email)
    now = utcnow()
    if user is None or user.is_disabled:
        check_password_hash(hash_password("timing-equaliser"), password or "")
        raise generic
    if user.locked_until and user.locked_until > now:
        raise generic
    if not check_password_hash(user.password_hash, password or ""):
        # Counted in the database with one UPDATE so that parallel workers add up.
        db.session.execute(
            User.__table__.update().where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
        )
        db.session.refresh(user)
        if user.failed_logins >= config["LOGIN_LOCKOUT_THRESHOLD"]:
            user.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
            user.failed_logins = 0
        db.session.commit()
        raise generic
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not check_password_hash(user.password_hash, current_password or ""):
        raise DomainError("wrong_password", _l("Your current password is not correct."),
                          field="current_password")
    validate_password(new_password, field="new_password")
    set_password(user, new_password)


def set_password(user: User, new_password: str) -> None:
    """Set a new password and end every other session of this user."""
    user.password_hash = hash_password(new_password)
    user.session_token = new_session_token()
    user.failed_logins = 0
    user.locked_until = None


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
