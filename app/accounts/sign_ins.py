"""Sign-ins: a person signed in in one browser. Logging out ends that one; the person sees theirs and
ends the others; a new session token (password change, email change, staff removal) ends them all.

The session cookie holds ``"<session token>.<secret>"`` (``User.get_id``); only the SHA-256 of the
secret is kept (32 random bytes: a fast hash is enough, nothing can be guessed from it)."""
from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select

from app.accounts.models import SignIn, User, new_session_token
from app.accounts.tokens import revoke_personal_tokens
from app.core.time import utcnow
from app.extensions import db

# Writing "last seen" on every request would make every page a write (the gate and booking pages
# too); the list of devices only needs to say roughly when each was last used.
LAST_SEEN_RESOLUTION = timedelta(minutes=10)

# Coarse on purpose: the browser's and the system's names, never versions, models or addresses.
# The first match wins, so the names other User-Agents also carry ("Chrome", "Safari", "Mac OS X"
# in an iPhone's) come after the ones that contain them.
_BROWSERS = (("MicroMessenger", "WeChat"), ("QQBrowser", "QQ Browser"), ("UCBrowser", "UC Browser"),
             ("Edg", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS", "Firefox"),
             ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("HarmonyOS", "HarmonyOS"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Windows", "Windows"), ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Linux", "Linux"))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _first(user_agent: str, names) -> str:
    return next((name for marker, name in names if marker in user_agent), "")


def device_of(user_agent: str | None) -> tuple[str, str]:
    """(browser, system) named in a User-Agent, each ``""`` when not one of the common ones."""
    user_agent = re.sub(r"\s+", " ", user_agent or "")[:512]
    return _first(user_agent, _BROWSERS), _first(user_agent, _SYSTEMS)


def record_sign_in(user: User, *, user_agent: str = "", now: datetime | None = None) -> SignIn:
    """A new sign-in of ``user`` in one browser, lasting the session's lifetime. Its secret is set on
    ``user.sign_in_secret`` for ``login_user`` to put in the session. The person's own expired sign-ins
    are removed meanwhile (the privacy purge removes everyone's)."""
    now = now or utcnow()
    remove_expired_sign_ins(now, user=user)
    secret = secrets.token_urlsafe(32)
    browser, system = device_of(user_agent)
    row = SignIn(user_id=user.id, secret_hash=_digest(secret), session_token=user.session_token,
                 created_at=now, last_seen_at=now,
                 expires_at=now + current_app.config["PERMANENT_SESSION_LIFETIME"], browser=browser, system=system)
    db.session.add(row)
    db.session.flush()
    user.sign_in_secret = secret
    user.last_login_at = now  # also when registering signs the person in, not only the password form
    return row


def signed_in_user(session_id: str, *, now: datetime | None = None) -> User | None:
    """Flask-Login's user loader: the person whose sign-in the session names, if it is still valid
    (not ended, not expired, made under the person's current session token) and the account is
    not disabled. One statement; a second, at most every ``LAST_SEEN_RESOLUTION``, notes the use.

    A session from before sign-ins (the bare session token) names none: that browser signs in again."""
    session_token, _dot, secret = (session_id or "").partition(".")
    if not session_token or not secret:
        return None
    now = now or utcnow()
    row = db.session.execute(_signed_in_statement(),
                             {"token": session_token, "digest": _digest(secret), "now": now}).first()
    if row is None:
        return None
    user, sign_in_id, last_seen_at = row
    if last_seen_at < now - LAST_SEEN_RESOLUTION:
        _note_seen(sign_in_id, now)
    user.sign_in_secret = secret
    return user


def _note_seen(sign_in_id: int, now: datetime) -> None:
    """On a connection of its own, in autocommit: a request that writes nothing still notes it, and the
    request's session keeps the person it loaded (as ``tokens._note_use`` does for API tokens)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(_note_seen_statement(), {"sign_in_id": sign_in_id, "now": now})


# Every signed-in request runs the first: built once per process.

@functools.cache
def _signed_in_statement():
    return (select(User, SignIn.id, SignIn.last_seen_at)
            .join(SignIn, SignIn.user_id == User.id)
            .where(SignIn.secret_hash == sa.bindparam("digest"),
                   SignIn.session_token == User.session_token,
                   User.session_token == sa.bindparam("token"),
                   SignIn.expires_at > sa.bindparam("now"),
                   User.is_disabled.is_(False)))


@functools.cache
def _note_seen_statement():
    return sa.update(SignIn).where(SignIn.id == sa.bindparam("sign_in_id")).values(last_seen_at=sa.bindparam("now"))


def _is_this(user: User):
    """The condition that a row is the sign-in ``user`` was loaded with in this browser."""
    return SignIn.secret_hash == _digest(user.sign_in_secret) if user.sign_in_secret else sa.false()


def active_sign_ins(user: User, *, now: datetime | None = None) -> list[SignIn]:
    """``user``'s sign-ins that still hold: this browser's first (the one the person knows), then the
    others, the most recently used first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(SignIn).where(SignIn.user_id == user.id, SignIn.session_token == user.session_token,
                             SignIn.expires_at > now)
        .order_by(sa.case((_is_this(user), 0), else_=1), SignIn.last_seen_at.desc(), SignIn.id.desc())))


def is_this_sign_in(user: User, sign_in: SignIn) -> bool:
    return bool(user.sign_in_secret) and sign_in.secret_hash == _digest(user.sign_in_secret)


def end_this_sign_in(user: User) -> None:
    """Logging out: the sign-in of this browser ends, so a copy of its cookie is worth nothing."""
    db.session.execute(sa.delete(SignIn).where(SignIn.user_id == user.id, _is_this(user)))


def end_sign_in(user: User, sign_in_id: int) -> SignIn | None:
    """End one of ``user``'s own sign-ins; None if ``user`` has no sign-in of that id."""
    row = db.session.scalar(select(SignIn).where(SignIn.id == sign_in_id, SignIn.user_id == user.id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    return row


def end_other_sign_ins(user: User) -> tuple[int, int]:
    """"Sign out of all other devices": every sign-in of ``user`` but this browser's ends, and so does
    every API token of theirs (an app signed in with their password is another device). Returns how
    many sign-ins and how many tokens ended."""
    devices = db.session.execute(sa.delete(SignIn).where(SignIn.user_id == user.id, sa.not_(_is_this(user))),
                                 execution_options={"synchronize_session": False}).rowcount
    return devices, revoke_personal_tokens(user)


def renew_session_token(user: User, *, keep_this_sign_in: bool = False) -> None:
    """A new session token for ``user``: every sign-in ends, except, with ``keep_this_sign_in``, the
    browser asking (``user.sign_in_secret``), which goes on under the new token."""
    user.session_token = new_session_token()
    kept = _is_this(user) if keep_this_sign_in else sa.false()
    db.session.execute(sa.delete(SignIn).where(SignIn.user_id == user.id, sa.not_(kept)),
                       execution_options={"synchronize_session": False})
    db.session.execute(sa.update(SignIn).where(SignIn.user_id == user.id, kept)
                       .values(session_token=user.session_token), execution_options={"synchronize_session": False})


def remove_expired_sign_ins(now: datetime | None = None, *, user: User | None = None) -> int:
    """Delete sign-ins past their expiry (of ``user`` only, or everyone's)."""
    query = sa.delete(SignIn).where(SignIn.expires_at <= (now or utcnow()))
    if user is not None:
        query = query.where(SignIn.user_id == user.id)
    return db.session.execute(query, execution_options={"synchronize_session": False}).rowcount
