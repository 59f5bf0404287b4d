"""Reading districts; the list is small and read on almost every form."""
from __future__ import annotations

from sqlalchemy import select

from app.districts.models import District
from app.extensions import db


def all_districts() -> list[District]:
    return list(db.session.scalars(select(District).order_by(District.code)))


def district_choices(blank_label=None) -> list[tuple[str, str]]:
    from app.core.i18n import localized

    choices = [(d.code, localized(d, "name")) for d in all_districts()]
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


def district_in_view(user, asked: str | None) -> District | None:
    """The district whose venues or schools ``user`` sees: a district admin their own, whatever is asked;
    the city admin the one asked (None: every district's)."""
    from app.accounts.models import Role

    code = user.district_code if user.role == Role.DISTRICT_ADMIN else asked
    return db.session.get(District, code) if code else None
