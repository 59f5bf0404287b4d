"""A venue's booking rules (BookingRules), as its manager sets them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.bookings.models import BookingRules
from app.bookings.rules import DEFAULT_RULES
from app.core.errors import DomainError
from app.extensions import db
from app.scheduling.services import require_manager
from app.venues.models import Venue

# Each setting's allowed range: the form and the service check the same numbers.
RULE_LIMITS: dict[str, tuple[int, int]] = {
    "public_window_days": (1, 365), "public_cutoff_hours": (0, 720),
    "school_window_days": (1, 365), "school_cutoff_hours": (0, 720),
    "partner_early_days": (0, 90), "partner_reserved_pct": (0, 100),
    "party_limit": (1, 50), "group_min": (1, 1000), "group_max": (1, 1000),
    "students_per_adult": (1, 100), "kindergarten_students_per_adult": (1, 100),
    "cancel_cutoff_hours": (0, 720),
    "noshow_limit": (0, 50), "noshow_window_days": (1, 365), "noshow_block_days": (0, 365),
}


def save_booking_rules(manager, venue: Venue, values: dict) -> BookingRules:
    """Save the venue's booking rules (the row is created on the first save).

    A slot's own window and its partner reserve are copied onto it when it is published, so a change
    applies to slots published afterwards. The rest applies at once, to slots already published too:
    partner schools' early days and a class's window on a mixed slot (``rules.window_for`` reads them
    from the rules), and every other rule.
    """
    require_manager(manager, venue)
    clean = {}
    for name, (low, high) in RULE_LIMITS.items():
        value = values.get(name, DEFAULT_RULES[name])
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise DomainError("invalid_rules", _l("Enter a whole number from %(low)d to %(high)d.",
                                                  low=low, high=high), field=name)
        clean[name] = value
    if clean["group_min"] > clean["group_max"]:
        raise DomainError("invalid_rules", _l("The largest group cannot be smaller than the smallest group."),
                          field="group_max")
    for kind in ("public", "school"):
        if clean[f"{kind}_cutoff_hours"] >= clean[f"{kind}_window_days"] * 24:
            raise DomainError("invalid_rules", _l("Booking must close after it opens: make this smaller than "
                                                  "the booking window."), field=f"{kind}_cutoff_hours")
    clean["auto_confirm_groups"] = bool(values.get("auto_confirm_groups", False))
    rules = venue.booking_rules
    if rules is None:
        rules = venue.booking_rules = BookingRules(venue_id=venue.id)
    for name, value in clean.items():
        setattr(rules, name, value)
    db.session.flush()
    return rules
