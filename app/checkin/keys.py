"""Ticket signing keys: private halves outside the database, public halves and lifecycle in it.

* Private keys come from ``TICKET_SIGNING_KEYS`` (environment: base64url Ed25519 seeds separated by
  commas) and from ``*.pem`` files in ``TICKET_KEY_DIR`` (default ``instance/ticket_keys``). Several
  app machines must see the same private keys (the environment variable, or a shared folder).
* The ``ticket_keys`` table says which key is active, when each was retired and until when its codes
  stay valid, and which are revoked. It is what every machine agrees on.
* When no key is active, one is made on first use: an unregistered key from the environment, else
  an unregistered file, else (only when no environment keys are configured) a new file.

Signing is done by ``cryptography`` (OpenSSL); verification, the gate's hot path, by PyNaCl
(libsodium), which verifies Ed25519 about twice as fast here. Both are the same Ed25519 (RFC 8032).

Caches, per app and process: verify keys by kid (immutable, kept for ever) and the table's
rows, re-read at most every ``CACHE_SECONDS``. So a revocation made on another machine applies
there within that time; in this process it applies at once.
"""
from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from nacl.signing import VerifyKey

from app.checkin.models import TicketKey
from app.core.time import utcnow
from app.extensions import db

ALGORITHM = "Ed25519"
CACHE_SECONDS = 5.0
# An unknown kid may be a key another machine just made: look again, but not on every forged scan.
UNKNOWN_KID_RELOAD_SECONDS = 1.0


class TicketKeyUnavailable(Exception):
    """No usable signing key (configuration problem, not the user's)."""


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kid_for(public: bytes) -> str:
    """A key's id: 4 bytes of the SHA-256 of its public key, as 8 hex digits."""
    return hashlib.sha256(public).hexdigest()[:8]


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    public_key: str
    created_at: datetime
    is_active: bool
    retired_at: datetime | None
    not_after: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.is_active else "retired"


class _Cache:
    def __init__(self):
        self.lock = threading.Lock()
        self.verify_keys: dict[str, VerifyKey] = {}
        self.private: dict[str, Ed25519PrivateKey] | None = None
        self.rows: dict[str, KeyInfo] = {}
        self.loaded_at = -1e9
        self.unknown_reload_at = -1e9


def _cache() -> _Cache:
    # On the app, not the module: each app (and each test's database) has its own view.
    cache = current_app.extensions.get("scivisit.ticket_keys")
    if cache is None:  # not setdefault(…, _Cache()): that would build a cache on every scan
        cache = current_app.extensions.setdefault("scivisit.ticket_keys", _Cache())
    return cache


def forget() -> None:
    """Drop the cached rows so the next look reads the table (after a rotation or revocation here)."""
    cache = _cache()
    cache.loaded_at = -1e9
    cache.private = None


# --- private keys (files and environment) ------------------------------------------------------------

def key_dir() -> Path:
    configured = current_app.config.get("TICKET_KEY_DIR") or os.environ.get("TICKET_KEY_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "ticket_keys"


def _env_keys() -> list[Ed25519PrivateKey]:
    text = current_app.config.get("TICKET_SIGNING_KEYS") or os.environ.get("TICKET_SIGNING_KEYS") or ""
    return [Ed25519PrivateKey.from_private_bytes(unb64(part.strip())) for part in text.replace("\n", ",").split(",")
            if part.strip()]


def _file_keys() -> list[Ed25519PrivateKey]:
    folder = key_dir()
    if not folder.is_dir():
        return []
    keys = []
    for path in sorted(folder.glob("*.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if isinstance(key, Ed25519PrivateKey):
            keys.append(key)
    return keys


def private_keys() -> dict[str, Ed25519PrivateKey]:
    """Every private key this machine holds, by kid: the environment's first, then the folder's."""
    cache = _cache()
    if cache.private is None:
        found: dict[str, Ed25519PrivateKey] = {}
        for key in _env_keys() + _file_keys():
            found.setdefault(kid_for(public_raw(key)), key)
        cache.private = found
    return cache.private


def _write_new_key_file() -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    target = folder / f"{kid_for(public_raw(key))}.pem"
    temporary = folder / f".{target.name}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(temporary, target)  # atomic: another process never reads half a key
    _cache().private = None
    return key


# --- the shared table -----------------------------------------------------------------------------

def _load_rows() -> dict[str, KeyInfo]:
    rows = db.session.execute(sa.select(
        TicketKey.kid, TicketKey.public_key, TicketKey.created_at, TicketKey.is_active, TicketKey.retired_at,
        TicketKey.not_after, TicketKey.revoked_at)).all()
    return {row.kid: KeyInfo(*row) for row in rows}


def rows(*, fresh: bool = False) -> dict[str, KeyInfo]:
    """The table's rows by kid, at most ``CACHE_SECONDS`` old (or read now when ``fresh``)."""
    cache = _cache()
    now = time.monotonic()
    if fresh or now - cache.loaded_at > CACHE_SECONDS:
        loaded = _load_rows()
        with cache.lock:
            cache.rows, cache.loaded_at = loaded, now
    return cache.rows


def info(kid: str) -> KeyInfo | None:
    """A key's row; an unknown kid makes one early re-read (a key just made elsewhere)."""
    found = rows().get(kid)
    if found is None:
        cache = _cache()
        now = time.monotonic()
        if now - cache.unknown_reload_at > UNKNOWN_KID_RELOAD_SECONDS:
            cache.unknown_reload_at = now
            found = rows(fresh=True).get(kid)
    return found


def verify_key(kid: str, encoded: str) -> VerifyKey:
    """The key that checks codes signed by ``kid`` (``encoded``: its base64url public key)."""
    cache = _cache()
    key = cache.verify_keys.get(kid)
    if key is None:
        key = VerifyKey(unb64(encoded))
        cache.verify_keys[kid] = key
    return key


def public_pem(encoded: str) -> bytes:
    """A base64url public key as PEM (SubjectPublicKeyInfo), for tools that read only PEM."""
    return Ed25519PublicKey.from_public_bytes(unb64(encoded)).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def signing_key() -> tuple[str, Ed25519PrivateKey]:
    """The active key's kid and private key; a key is provisioned when none is active."""
    active = _active(rows())
    if active is None:
        active = _active(rows(fresh=True)) or provision()
    key = private_keys().get(active.kid)
    if key is None:
        _cache().private = None
        key = private_keys().get(active.kid)
    if key is None:
        raise TicketKeyUnavailable(f"the active ticket key {active.kid} is not on this machine: share "
                                   "TICKET_KEY_DIR or set TICKET_SIGNING_KEYS on every machine")
    return active.kid, key


def _active(found: dict[str, KeyInfo]) -> KeyInfo | None:
    return next((k for k in found.values() if k.is_active and k.revoked_at is None), None)


def _unregistered_key(registered: set[str]) -> Ed25519PrivateKey | None:
    for kid, key in private_keys().items():
        if kid not in registered:
            return key
    return None


def _new_private_key(registered: set[str]) -> Ed25519PrivateKey:
    key = _unregistered_key(registered)
    if key is not None:
        return key
    if _env_keys():
        # With keys from the environment every machine must hold the next one too: add it there.
        raise TicketKeyUnavailable("every key in TICKET_SIGNING_KEYS is already used: add a new one, then rotate")
    return _write_new_key_file()


def provision(*, now: datetime | None = None) -> KeyInfo:
    """Make a key active when none is, in its own transaction (a page may be what asked for it).

    Two machines doing this at once: the unique index on the active key lets one win; the
    other reads the winner's key.
    """
    now = now or utcnow()
    with db.engine.begin() as conn:
        registered = set(conn.scalars(sa.select(TicketKey.kid)))
        key = _new_private_key(registered)
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(TicketKey).values(
                    kid=kid_for(public_raw(key)), algorithm=ALGORITHM, public_key=b64(public_raw(key)),
                    created_at=now, is_active=True))
        except sa.exc.IntegrityError:
            pass  # another process made one first
    forget()
    active = _active(rows(fresh=True))
    if active is None:
        raise TicketKeyUnavailable("no active ticket key could be made")
    return active


def rotate(*, now: datetime | None = None) -> KeyInfo:
    """Make a new key active. The old one signs no more tickets; its codes stay valid until the
    last slot of a booking confirmed now has ended."""
    from app.bookings.models import Booking, BookingStatus
    from app.scheduling.models import Slot

    now = now or utcnow()
    with db.engine.begin() as conn:
        registered = set(conn.scalars(sa.select(TicketKey.kid)))
        key = _new_private_key(registered)
        last_end = conn.scalar(sa.select(sa.func.max(Slot.ends_at)).join(Booking, Booking.slot_id == Slot.id)
                               .where(Booking.status == BookingStatus.CONFIRMED))
        conn.execute(sa.update(TicketKey).where(TicketKey.is_active.is_(True)).values(
            is_active=False, retired_at=now, not_after=max(last_end or now, now)))
        conn.execute(sa.insert(TicketKey).values(
            kid=kid_for(public_raw(key)), algorithm=ALGORITHM, public_key=b64(public_raw(key)),
            created_at=now, is_active=True))
    forget()
    return rows(fresh=True)[kid_for(public_raw(key))]


def revoke(kid: str, *, now: datetime | None = None) -> KeyInfo | None:
    """Refuse every code a key signed that is scanned from now on (an offline gate's scans made
    before still count when uploaded). A revoked active key also stops signing; the next ticket
    provisions a new key."""
    now = now or utcnow()
    with db.engine.begin() as conn:
        changed = conn.execute(sa.update(TicketKey).where(TicketKey.kid == kid).values(
            revoked_at=sa.func.coalesce(TicketKey.revoked_at, now), is_active=False,
            retired_at=sa.func.coalesce(TicketKey.retired_at, now))).rowcount
    forget()
    return rows(fresh=True).get(kid) if changed else None
