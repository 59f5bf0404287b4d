from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.extensions import db


class Role(LabelledEnum):
    CITIZEN = "citizen", _l("Citizen")
    TEACHER = "teacher", _l("Teacher")
    VENUE_STAFF = "venue_staff", _l("Venue staff")
    VENUE_MANAGER = "venue_manager", _l("Venue manager")
    DISTRICT_ADMIN = "district_admin", _l("District administrator")
    CITY_ADMIN = "city_admin", _l("City administrator")


class AccountStatus(LabelledEnum):
    ACTIVE = "active", _l("Active")
    # Made for the person by someone who invited them (a venue's staff or manager): nobody can sign in
    # to it until the person chooses a password from the emailed link.
    INVITED = "invited", _l("Invited, no password yet")
    SUSPENDED = "suspended", _l("Suspended")


# How a stored password hash begins when no password matches it (``services.unusable_password_hash``).
UNUSABLE_HASH_PREFIX = "!"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, CreatedAt, db.Model):
    """A person with one role. Only what the service needs: name, mobile, email."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role != 'teacher' OR school_id IS NOT NULL", name="teacher_has_school"),
        sa.CheckConstraint("role != 'venue_staff' OR venue_id IS NOT NULL", name="staff_has_venue"),
        sa.CheckConstraint(
            "role != 'district_admin' OR district_code IS NOT NULL", name="district_admin_has_district"
        ),
        # A deleted account's id is never given to someone else (SQLite would reuse the highest one):
        # logs that outlive an account name it by id. PostgreSQL's sequences never reuse ids.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    name: Mapped[str] = mapped_column(sa.String(80))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role), index=True)
    school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id"), index=True)
    venue_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("venues.id"), index=True
    )
    district_code: Mapped[str | None] = mapped_column(sa.ForeignKey("districts.code"))
    # A teacher acts for a school only once an admin has vouched for them.
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # A teacher who moved to another school (``school_moves``) awaits its district: when they moved, the
    # school they left, and when that district refused the move. A district's verification clears them.
    moved_school_at: Mapped[datetime | None]
    moved_from_school_id: Mapped[int | None] = mapped_column(sa.ForeignKey("schools.id", ondelete="SET NULL"))
    school_move_refused_at: Mapped[datetime | None]
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    elder_mode: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None]
    # Rotated on password change: every other session signed in with the old one ends.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token, unique=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    is_disabled: Mapped[bool] = mapped_column(default=False)

    school = relationship("School", foreign_keys=[school_id])
    moved_from_school = relationship("School", foreign_keys=[moved_from_school_id])
    venue = relationship("Venue", foreign_keys=[venue_id])
    district = relationship("District")

    # The secret of the sign-in (``SignIn``) this object was loaded or signed in with, for this request
    # only: never stored. Not a column, so a plain class attribute.
    sign_in_secret = None

    def get_id(self) -> str:
        # Flask-Login's id, kept in the session cookie: both halves must still hold. A new session token
        # (password change, staff removal) ends every sign-in of the person at once; ending one sign-in
        # (logging out there) ends only that browser's.
        return f"{self.session_token}.{self.sign_in_secret or ''}"

    @property
    def is_active(self) -> bool:
        return not self.is_disabled

    @hybrid_property
    def awaits_password(self) -> bool:
        """Invited (an account made for the person by someone else) and no password chosen yet: in SQL too."""
        return self.password_hash.startswith(UNUSABLE_HASH_PREFIX)

    @property
    def account_status(self) -> AccountStatus:
        if self.is_disabled:
            return AccountStatus.SUSPENDED
        return AccountStatus.INVITED if self.awaits_password else AccountStatus.ACTIVE

    @property
    def is_verified_teacher(self) -> bool:
        return self.role == Role.TEACHER and self.verified_at is not None

    @property
    def school_move_refused(self) -> bool:
        """A teacher whose new school's district did not confirm their move there (and nothing since)."""
        return self.role == Role.TEACHER and self.verified_at is None and self.school_move_refused_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN)

    @property
    def masked_phone(self) -> str:
        from app.accounts.services import mask_phone

        return mask_phone(self.phone)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


def with_status(status: AccountStatus):
    """The SQL condition that an account's ``account_status`` is ``status``."""
    if status == AccountStatus.SUSPENDED:
        return User.is_disabled.is_(True)
    invited = User.awaits_password
    return sa.and_(User.is_disabled.is_(False), invited if status == AccountStatus.INVITED else ~invited)


class TokenKind(LabelledEnum):
    USER = "user", _l("Personal API token")
    GATE = "gate", _l("Gate device")


class ApiToken(CreatedAt, db.Model):
    """A bearer credential for the API: a person's (from ``/api/v1/auth/token``) or a gate
    device's, scoped to one venue. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.CheckConstraint("kind != 'gate' OR venue_id IS NOT NULL", name="gate_has_venue"),
        sa.CheckConstraint("kind != 'user' OR user_id IS NOT NULL", name="user_token_has_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[TokenKind] = mapped_column(str_enum(TokenKind))
    name: Mapped[str] = mapped_column(sa.String(80), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user = relationship("User", foreign_keys=[user_id])
    venue = relationship("Venue")


class SignIn(CreatedAt, db.Model):
    """A person signed in in one browser: made at login, ended by logging out there, by the person from
    their list of signed-in devices, or by a new session token. The browser's cookie holds the secret;
    only its SHA-256 is kept. What the person is shown of the device is its browser and system, read
    coarsely from the User-Agent: never an address."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The person's session token when they signed in: a new one ends this sign-in too, also where the
    # code that rotated it deleted no rows (staff removal).
    session_token: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    browser: Mapped[str] = mapped_column(sa.String(20), default="")
    system: Mapped[str] = mapped_column(sa.String(20), default="")

    user = relationship("User")

    @property
    def device(self):
        if self.browser and self.system:
            return _l("%(browser)s on %(system)s", browser=self.browser, system=self.system)
        return self.browser or self.system or _l("Unknown browser")
