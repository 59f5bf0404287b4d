"""Bilingual content: ``name_zh`` / ``name_en`` fields with a fallback to Chinese."""
from __future__ import annotations

from flask_babel import get_locale


def current_language() -> str:
    try:
        return str(get_locale() or "zh")
    except RuntimeError:  # outside a request (CLI): Chinese, the default
        return "zh"


def in_reader_language(chinese: str, english: str) -> str:
    """A text kept in Chinese and, when it was given, in English: the reader's, else the Chinese."""
    return english if english and current_language().startswith("en") else chinese


def localized(obj, field: str, lang: str | None = None) -> str:
    """``obj.<field>_<lang>`` in the interface language, falling back to the Chinese text."""
    lang = lang or current_language()
    if lang.startswith("en"):
        value = getattr(obj, f"{field}_en", None)
        if value:
            return value
    return getattr(obj, f"{field}_zh", None) or ""
