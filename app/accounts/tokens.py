"""API tokens: issued, checked and revoked here. The secret is shown once; only its hash is kept."""
from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import ApiToken, Role, TokenKind, User
from app.core.errors import DomainError
from app.core.text import one_spelling
from app.core.time import utcnow
from app.extensions import db

USER_TOKEN_TTL = timedelta(days=30)
GATE_TOKEN_TTL = timedelta(days=365)
PREFIX = "sv_"
# Recording every use would make each API call a write; a coarse "last used" is enough.
LAST_USED_RESOLUTION = timedelta(minutes=5)
# A valid token, once looked up, is believed for this long by the worker that looked it up (config
# API_TOKEN_CACHE_SECONDS; 0 turns the cache off). A gate scans many tickets a second and the
# token's row barely changes, so the look-up (a query, and an ORM object) is not repeated on every
# scan. Bounded staleness, per worker and per app: see ``principal_for``.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_MAX = 10_000


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
        raise DomainError("name_required", _l("Give the device a name, for example East gate 2."), field="name")
    now = now or utcnow()
    # One name, one device: the gate list and the scan records name it ("East Gate 2" is "east  gate 2").
    namesake = next((token for token in working_gate_tokens(venue.id, now)
                     if one_spelling(token.name).casefold() == one_spelling(name).casefold()), None)
    if namesake is not None:
        raise DomainError("device_name_taken", _l(
            "A device of this venue that can check tickets in is already called %(name)s. Give this one another "
            "name, or revoke that one first.", name=namesake.name), field="name", status=409)
    secret, digest = generate_secret()
    token = ApiToken(token_hash=digest, kind=TokenKind.GATE, venue_id=venue.id, name=name[:80],
                     created_by_id=manager.id, expires_at=now + GATE_TOKEN_TTL)
    db.session.add(token)
    db.session.flush()
    return secret, token


def revoke_token(token: ApiToken, *, now: datetime | None = None) -> None:
    token.revoked_at = token.revoked_at or now or utcnow()
    db.session.flush()
    _forget(token.token_hash)  # at once in this worker; in the others within TOKEN_CACHE_SECONDS


def personal_tokens(user: User, *, now: datetime | None = None) -> list[ApiToken]:
    """``user``'s API tokens that still hold (an app or script signed in through
    ``/api/v1/auth/token``), the most recently used first: listed with the person's signed-in devices."""
    return list(db.session.scalars(_personal_tokens(user, now or utcnow()).order_by(
        sa.func.coalesce(ApiToken.last_used_at, ApiToken.created_at).desc(), ApiToken.id.desc())))


def revoke_personal_tokens(user: User, *, token_id: int | None = None, now: datetime | None = None) -> int:
    """Revoke ``user``'s API tokens that still hold (only ``token_id``, if given). Returns how many."""
    now = now or utcnow()
    query = _personal_tokens(user, now)
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    revoked = list(db.session.scalars(query))
    for token in revoked:
        revoke_token(token, now=now)
    return len(revoked)


def _personal_tokens(user: User, now: datetime):
    return select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.kind == TokenKind.USER,
                                  ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)


def working_gate_tokens(venue_id: int, now: datetime) -> list[ApiToken]:
    """The venue's gate devices that can check tickets in: neither revoked nor expired."""
    return list(db.session.scalars(select(ApiToken).where(ApiToken.venue_id == venue_id,
                                                          ApiToken.kind == TokenKind.GATE,
                                                          ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)))


def gate_tokens(venue_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.venue_id == venue_id,
                                                          ApiToken.kind == TokenKind.GATE)
                                   .order_by(ApiToken.revoked_at.isnot(None), ApiToken.id.desc())))


def token_row(secret: str) -> ApiToken | None:
    """The stored token of a bearer secret, whatever its state (``principal_for`` says if it is valid)."""
    if not secret or not secret.startswith(PREFIX):
        return None
    return db.session.scalar(_token_by_digest(), {"digest": _digest(secret)})


@dataclass(frozen=True)
class Refusal:
    """Why a bearer secret is not accepted, for the 401 that says so: ``reason`` is ``token_unknown``,
    ``token_expired``, ``token_revoked`` or ``account_inactive``; ``at`` when it expired or was revoked."""

    reason: str
    kind: TokenKind | None = None
    at: datetime | None = None


def refusal(secret: str, *, now: datetime | None = None) -> Refusal:
    """Why ``principal_for`` refused ``secret``. Asked only on the way to a 401, never on a valid call.

    The holder of a secret may learn its state: it is theirs (an unknown secret learns nothing)."""
    token = token_row(secret)
    if token is None:
        return Refusal("token_unknown")
    if token.revoked_at is not None:
        return Refusal("token_revoked", token.kind, token.revoked_at)
    if token.expires_at <= (now or utcnow()):
        return Refusal("token_expired", token.kind, token.expires_at)
    if token.kind == TokenKind.USER and (token.user is None or not token.user.is_active):
        return Refusal("account_inactive", token.kind)
    return Refusal("token_unknown")


@dataclass(frozen=True)
class _Known:
    """A valid token as a worker remembers it; for a person's token, who it belongs to."""

    principal: GateDevice | None
    user_id: int | None
    session_token: str | None  # the user's at look-up time: rotated by a password change
    expires_at: datetime
    until: float  # time.monotonic() after which the row is read again


def _known_tokens() -> dict[str, _Known] | None:
    if _cache_seconds() <= 0:
        return None
    # On the app, not the module: each app (and each test's database) has its own.
    return current_app.extensions.setdefault("scivisit.api_tokens", {})


def _cache_seconds() -> float:
    return float(current_app.config.get("API_TOKEN_CACHE_SECONDS", TOKEN_CACHE_SECONDS))


def _forget(digest: str) -> None:
    known = current_app.extensions.get("scivisit.api_tokens")
    if known is not None:
        known.pop(digest, None)


def principal_for(secret: str, *, now: datetime | None = None) -> User | GateDevice | None:
    """The user or gate device a bearer secret belongs to, if it is valid now.

    A valid token is remembered by this worker for ``API_TOKEN_CACHE_SECONDS`` (5): within that
    time its row is not read again. What that can and cannot make stale:

    * revoking a gate device, or an app signed out from the person's devices page (``revoke_token``),
      takes effect at once in the worker that revoked it, and in every other worker within those 5
      seconds;
    * expiry is checked on every call, from the remembered ``expires_at``;
    * a person's token still loads the person on every call (by primary key), so a disabled or
      deleted account, or a changed role or venue, counts at once; a password change revokes the
      person's tokens and rotates their session token, which is compared here, so that counts at
      once too;
    * "last used" is written only when the row is read, at most every 5 seconds per worker: its
      resolution (``LAST_USED_RESOLUTION``, 5 minutes) is unchanged.

    Only valid tokens are remembered, so guessing secrets cannot fill the cache; and it is
    emptied when it reaches ``TOKEN_CACHE_MAX`` entries.
    """
    if not secret or not secret.startswith(PREFIX):
        return None
    now = now or utcnow()
    digest = _digest(secret)
    known_tokens = _known_tokens()
    known = known_tokens.get(digest) if known_tokens is not None else None
    if known is not None and time.monotonic() < known.until and now < known.expires_at:
        if known.principal is not None:
            return known.principal
        user = db.session.get(User, known.user_id)
        if user is not None and user.is_active and user.session_token == known.session_token:
            return user
        # Disabled, deleted, or the password changed: read the token's row again.
    if known is not None:
        known_tokens.pop(digest, None)  # read again below; remembered again only if still valid
    token = db.session.scalar(_token_by_digest(), {"digest": digest})
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    principal = GateDevice(token_id=token.id, venue_id=token.venue_id, name=token.name) \
        if token.kind == TokenKind.GATE else None
    user, expires_at = token.user, token.expires_at
    if principal is None and (user is None or not user.is_active):
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        _note_use(token.id, now)
    if known_tokens is not None:
        if len(known_tokens) >= TOKEN_CACHE_MAX:
            known_tokens.clear()
        person = user if principal is None else None  # a gate device is remembered whole
        known_tokens[digest] = _Known(principal, person.id if person else None,
                                      person.session_token if person else None, expires_at,
                                      time.monotonic() + _cache_seconds())
    return principal if principal is not None else user


def _note_use(token_id: int, now: datetime) -> None:
    """Write "last used" on a connection of its own, in autocommit: the note stays even if the
    request then fails, and the request's session keeps the token and person it loaded (committing
    the session would expire them and cost two more statements to read them again). One statement
    is its own transaction: one round trip, where BEGIN, UPDATE, COMMIT took three."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(_note_use_statement(), {"token_id": token_id, "now": now})


# Every API request runs these: built once per process, so SQLAlchemy neither builds nor keys them
# again (that cost about as much CPU as running them).

@functools.cache
def _token_by_digest():
    """The token with its person, in one statement."""
    return select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == sa.bindparam("digest"))


@functools.cache
def _note_use_statement():
    return (sa.update(ApiToken).where(ApiToken.id == sa.bindparam("token_id"))
            .values(last_used_at=sa.bindparam("now")))
