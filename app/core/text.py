"""Text as people type it: one spelling of it, the words a search looks for, and what a one-line field
may hold. Shared by the venue registry, the directory, class bookings, gate devices, the forms that
read addresses, and the programs and closures of ``app.scheduling``."""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError

# Line breaks (Cc holds CR, LF, tab and NEL) and the line and paragraph separators.
_LINE_BREAKING = {"Cc", "Zl", "Zp"}
ONE_LINE = _l("Keep this on one line, without line breaks, tabs or other control characters.")


def one_spelling(value: str | None) -> str:
    """``value`` as one spelling: NFKC (a Chinese input method's full-width ``四年级２班`` is
    ``四年级2班``), every run of spaces as one, ends trimmed. Case-folded, it says whether two names
    are one (a class, a gate device)."""
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def width_folded(value):
    """A form filter: NFKC, so that an address a Chinese input method typed in full width (ｇａｔｅ＠…)
    is the ASCII it stands for before a check that reads it as typed."""
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


def search_text(value: str | None) -> str:
    """Words to look for as the person meant them: control and invisible format characters dropped
    (a zero-width space pasted with ``南京`` hides nothing), NFKC (a Chinese input method's full-width
    ``ＮＡＮＪＩＮＧ`` is ``NANJING``), every run of spaces as one."""
    # Dropped before NFKC, so that what they separated (a letter and its accent) composes.
    kept = "".join(c for c in value or "" if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    return one_spelling(kept)


def breaks_line(value: str | None) -> bool:
    """Whether ``value`` holds a line break, tab or other control character: in a one-line field (a
    title, a name) it would split the text wherever it is shown, a message, a list or a calendar entry."""
    return any(unicodedata.category(c) in _LINE_BREAKING for c in value or "")


def check_one_line(value: str | None, field: str, code: str = "not_one_line") -> None:
    """Raise ``DomainError`` (``ONE_LINE``, on ``field``) when ``value`` does not keep to one line."""
    if breaks_line(value):
        raise DomainError(code, ONE_LINE, field=field)
