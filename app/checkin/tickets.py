"""Ticket codes: what a visitor's QR holds, how it is signed and verified, and how it is drawn.

A code is ``SV`` followed by the base32 (RFC 4648, upper case, no padding) of 87 bytes:

====== ====== ==================================================================
bytes  size   meaning
====== ====== ==================================================================
0      1      format, 1
1–4    4      key id (the kid's 8 hex digits as bytes)
5–12   8      the booking's opaque reference (16 hex digits as bytes)
13–16  4      venue id, unsigned big-endian
17–18  2      the slot's local date, days since 2020-01-01
19–20  2      party size (seats)
21–22  2      ticket version (a changed or cancelled booking has a newer one)
23–86  64     Ed25519 signature of bytes 0–22
====== ====== ==================================================================

142 characters, all in the QR alphanumeric set: a version-6 QR at error correction M holds 154.
Nothing personal is in it. ``GET /api/v1/checkin-keys`` publishes the public keys by kid. Offline, a
gate can check the signature, the key, the venue and the date; the slot's times are not in the
code, so the window is judged when its scans are uploaded (at each scan's time).
"""
from __future__ import annotations

import base64
import io
import re
import struct
from dataclasses import dataclass
from datetime import date, timedelta

import qrcode
import qrcode.image.svg
from nacl.exceptions import BadSignatureError
from qrcode.image.pil import PilImage

from app.checkin import keys
from app.core.time import utcnow

PREFIX = "SV"
FORMAT = 1
EPOCH = date(2020, 1, 1)
_BODY = struct.Struct(">B4s8sIHHH")
SIGNATURE_BYTES = 64
CODE_BYTES = _BODY.size + SIGNATURE_BYTES
CODE_CHARS = -(-CODE_BYTES * 8 // 5)  # base32 characters after the prefix: 140
_BASE32 = re.compile(rf"[A-Z2-7]{{{CODE_CHARS}}}")
# RFC 4648's alphabet onto int()'s base-32 digits. base64.b32decode is pure Python and took a
# sixth of a verification; int() reads a power-of-two base in one linear pass in C.
_BASE32_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV")
MAX_INPUT = 300  # longer input is not looked at
_SPACES = re.compile(r"[\s\-]+")
_HEX16 = re.compile(r"^[0-9A-F]{16}$")


@dataclass(frozen=True)
class Claims:
    """What a verified code says."""

    kid: str
    reference: str
    venue_id: int
    local_date: date
    seats: int
    version: int


class CodeRefused(Exception):
    """A code that cannot be accepted: ``result`` is ``invalid_code`` or ``revoked_key``."""

    def __init__(self, result: str, reason: str, kid: str | None = None):
        super().__init__(reason)
        self.result, self.reason, self.kid = result, reason, kid


def normalise(text: str) -> str:
    """What a person or a scanner typed, without spaces or dashes, in upper case."""
    return _SPACES.sub("", text or "").upper()


def is_code(text: str) -> bool:
    return text.startswith(PREFIX) and len(text) > 40


def is_reference(text: str) -> bool:
    return bool(_HEX16.match(text))


def encode(claims: Claims, private_key) -> str:
    body = _BODY.pack(FORMAT, bytes.fromhex(claims.kid), bytes.fromhex(claims.reference), claims.venue_id,
                      (claims.local_date - EPOCH).days, claims.seats, claims.version & 0xFFFF)
    raw = body + private_key.sign(body)
    return PREFIX + base64.b32encode(raw).decode().rstrip("=")


def code_for_booking(booking) -> str:
    """The booking's current ticket code, signed with the active key (made on first use).

    Call it outside a write transaction on SQLite: a first-ever key is saved on its own connection.
    """
    kid, private_key = keys.signing_key()
    return encode(Claims(kid=kid, reference=booking.reference, venue_id=booking.venue_id,
                         local_date=booking.slot.local_date, seats=booking.seats, version=booking.ticket_version),
                  private_key)


def verify(text: str, *, now=None) -> Claims:
    """The claims of a genuine code; ``CodeRefused`` for anything else. ``text`` is normalised.

    The key is judged as it stood at ``now``, when the code was scanned (default: now): an offline
    gate's scan made before a revocation, or before a retired key's ``not_after``, still counts."""
    if not text.startswith(PREFIX) or len(text) > MAX_INPUT:
        raise CodeRefused("invalid_code", "malformed")
    raw = _decode(text[len(PREFIX):])
    if raw is None or raw[0] != FORMAT:
        raise CodeRefused("invalid_code", "malformed")
    body, signature = raw[:_BODY.size], raw[_BODY.size:]
    _, kid_bytes, reference, venue_id, days, seats, version = _BODY.unpack(body)
    kid = kid_bytes.hex()
    key = keys.info(kid)
    if key is None:
        raise CodeRefused("invalid_code", "unknown_key", kid)
    try:
        keys.verify_key(kid, key.public_key).verify(body, signature)
    except BadSignatureError:
        raise CodeRefused("invalid_code", "bad_signature", kid) from None
    now = now or utcnow()
    if key.revoked_at is not None and now >= key.revoked_at:
        raise CodeRefused("revoked_key", "revoked", kid)
    if key.not_after is not None and now > key.not_after:
        raise CodeRefused("revoked_key", "key_expired", kid)
    return Claims(kid=kid, reference=reference.hex().upper(), venue_id=venue_id,
                  local_date=EPOCH + timedelta(days=days), seats=seats, version=version)


def _decode(encoded: str) -> bytes | None:
    """The code's bytes from its base32 (without padding), or None if it is not exactly that.

    The last character carries pad bits after the bytes; an encoder writes them as zeros. Any
    other value is refused: otherwise 16 texts would verify as the same ticket, and a gate or an
    offline list keyed on the text would take an altered code for a new one."""
    if not _BASE32.fullmatch(encoded):
        return None
    pad_bits = CODE_CHARS * 5 - CODE_BYTES * 8
    number = int(encoded.translate(_BASE32_DIGITS), 32)
    if number & ((1 << pad_bits) - 1):
        return None
    return (number >> pad_bits).to_bytes(CODE_BYTES, "big")


def grouped(text: str, size: int = 4) -> str:
    """``A1B2C3D4`` as ``A1B2 C3D4``: easier to read aloud and to type."""
    return " ".join(text[i:i + size] for i in range(0, len(text), size))


# --- drawing --------------------------------------------------------------------------------------

def qr_code(text: str, *, box_size: int = 6) -> qrcode.QRCode:
    """The QR of ``text`` at error correction M, in alphanumeric mode when the text allows it."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(text, optimize=0)
    qr.make(fit=True)
    return qr


def png(text: str, *, box_size: int = 6) -> bytes:
    buffer = io.BytesIO()
    qr_code(text, box_size=box_size).make_image(image_factory=PilImage).save(buffer, format="PNG")
    return buffer.getvalue()


def svg(text: str, *, box_size: int = 10) -> bytes:
    buffer = io.BytesIO()
    qr_code(text, box_size=box_size).make_image(image_factory=qrcode.image.svg.SvgPathFillImage).save(buffer)
    return buffer.getvalue()
