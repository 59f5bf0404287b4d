"""API tokens: issued, checked and revoked here. The secret is shown once; only its hash is kept."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import ApiToken, Role, TokenKind, User
from app.core.errors import DomainError
from app.core.time import utcnow
from app.extensions import db

USER_TOKEN_TTL = timedelta(days=30)
GATE_TOKEN_TTL = timedelta(days=365)
PREFIX = "sv_"
# Recording every use would make each API call a write; a coarse "last used" is enough.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_secret() -> tuple[str, str]:
    """A new bearer secret and the digest that is stored in its place."""
    secret = PREFIX + secrets.token_urlsafe(32)
    return secret, _digest(secret)


@dataclass(frozen=True)
class GateDevice:
    """Who is calling when a gate device's token is used: a scanner of one venue, not a person."""

    token_id: int
    venue_id: int
    name: str
    role = "gate_device"
    is_authenticated = True
    id = None


def issue_user_token(user: User, *, now: datetime | None = None) -> tuple[str, ApiToken]:
    now = now or utcnow()
    secret, digest = generate_secret()
    token = ApiToken(token_hash=digest, kind=TokenKind.USER, user_id=user.id, name="api",
                     created_by_id=user.id, expires_at=now + USER_TOKEN_TTL)
    db.session.add(token)
    db.session.flush()
    return secret, token


def issue_gate_token(manager: User, venue, *, name: str, now: datetime | None = None) -> tuple[str, ApiToken]:
    if manager.role != Role.VENUE_MANAGER or manager.venue_id != venue.id:
        raise DomainError("forbidden", _l("Only the venue's manager can add gate devices."), status=403)
    name = (name or "").strip()
    if not name:
        raise DomainError("name_required", _l("Give the device a name, for example 东门 2 号闸机."), field="name")
    now = now or utcnow()
    secret, digest = generate_secret()
    token = ApiToken(token_hash=digest, kind=TokenKind.GATE, venue_id=venue.id, name=name[:80],
                     created_by_id=manager.id, expires_at=now + GATE_TOKEN_TTL)
    db.session.add(token)
    db.session.flush()
    return secret, token


def revoke_token(token: ApiToken, *, now: datetime | None = None) -> None:
    token.revoked_at = token.revoked_at or now or utcnow()
    db.session.flush()


def gate_tokens(venue_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.venue_id == venue_id,
                                                          ApiToken.kind == TokenKind.GATE)
                                   .order_by(ApiToken.revoked_at.isnot(None), ApiToken.id.desc())))


def principal_for(secret: str, *, now: datetime | None = None) -> User | GateDevice | None:
    """The user or gate device a bearer secret belongs to, if it is valid now."""
    if not secret or not secret.startswith(PREFIX):
        return None
    now = now or utcnow()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now),
                           execution_options={"synchronize_session": False})
        db.session.commit()
    if token.kind == TokenKind.GATE:
        return GateDevice(token_id=token.id, venue_id=token.venue_id, name=token.name)
    user = token.user
    return user if user is not None and user.is_active else None
