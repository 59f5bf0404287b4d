"""Names of venue themes in the interface language.

The themes the registry uses (the demo's and the city's usual ones) are stored by their English
name, whether typed in English or Chinese, and shown translated. Any other theme is stored and
shown as the manager typed it.
"""
from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.extensions import db
from app.venues.models import VenueTheme

KNOWN_THEMES = {
    "aerospace": _l("Aerospace"),
    "agricultural history": _l("Agricultural history"),
    "astronomy": _l("Astronomy"),
    "biology": _l("Biology"),
    "botany": _l("Botany"),
    "customs": _l("Customs"),
    "cycling": _l("Cycling"),
    "defence science": _l("Defence science"),
    "disaster prevention": _l("Disaster prevention"),
    "electricity and energy": _l("Electricity and energy"),
    "engineering": _l("Engineering"),
    "general science": _l("General science"),
    "geology": _l("Geology"),
    "geoscience": _l("Geoscience"),
    "history of science": _l("History of science"),
    "lasers and optics": _l("Lasers and optics"),
    "marine life": _l("Marine life"),
    "meteorology": _l("Meteorology"),
    "palaeoanthropology": _l("Palaeoanthropology"),
    "palaeontology": _l("Palaeontology"),
    "pharmacognosy": _l("Pharmacognosy"),
    "physics": _l("Physics"),
    "product safety": _l("Product safety"),
    "public safety education": _l("Public safety education"),
    "seismic engineering": _l("Seismic engineering"),
    "seismology": _l("Seismology"),
    "soil science": _l("Soil science"),
    "textile technology": _l("Textile technology"),
    "traditional chinese medicine": _l("Traditional Chinese medicine"),
}
_by_chinese_name: dict[str, str] = {}


def _key(name: str) -> str | None:
    key = " ".join(name.split()).lower()
    if key in KNOWN_THEMES:
        return key
    if not _by_chinese_name:
        with force_locale("zh"):
            _by_chinese_name.update({str(label): k for k, label in KNOWN_THEMES.items()})
    return _by_chinese_name.get(name.strip())


def canonical_theme(name: str) -> str:
    """How a typed theme is stored: a known theme by its key, whichever language it was typed in
    (so "天文" and "Astronomy" are one theme in filters and statistics), any other as typed."""
    return _key(name) or name


def stored_theme(typed: str) -> str | None:
    """The theme, as venues store it, that a filter's ``typed`` value names (a known theme in either
    language, any other as stored, case aside); None when no venue has ever had it."""
    canonical = canonical_theme(typed).lower()
    found = db.session.scalars(select(VenueTheme.name).distinct()
                               .where(func.lower(VenueTheme.name).in_({canonical, typed.lower()}))).all()
    return min(found, key=lambda name: (name.lower() != canonical, name), default=None)


def theme_label(name: str) -> str:
    """The theme's name in the interface language (as typed, when it is not a known theme)."""
    key = _key(name or "")
    return str(KNOWN_THEMES[key]) if key else name
