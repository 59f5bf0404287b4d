"""The schools registry: who may manage which school, and the rules a school entry obeys."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from app.accounts.models import Role, User
from app.core.errors import DomainError
from app.core.pagination import Page
from app.districts.models import District
from app.extensions import db
from app.schools.models import School, SchoolKind

NAME_ZH_MAX, NAME_EN_MAX, ADDRESS_MAX = 120, 200, 200


# --- policy -----------------------------------------------------------------------------------

def can_manage_schools(user: User | None) -> bool:
    """May open the schools registry at all: district and city administrators."""
    return bool(user and user.is_authenticated and user.role in (Role.DISTRICT_ADMIN, Role.CITY_ADMIN))


def can_manage_school(user: User | None, school: School) -> bool:
    """The city admin manages every school; a district admin the schools of their district."""
    if not can_manage_schools(user):
        return False
    return user.role == Role.CITY_ADMIN or user.district_code == school.district_code


def can_add_school_in(user: User | None, district_code: str | None) -> bool:
    """The city admin adds schools anywhere; a district admin only in their own district."""
    if not can_manage_schools(user):
        return False
    return user.role == Role.CITY_ADMIN or (district_code is not None and user.district_code == district_code)


# --- reading ----------------------------------------------------------------------------------

def schools_page(admin: User, page: int, per_page: int, *, district_code: str | None = None,
                 kind: str | None = None, q: str | None = None) -> Page:
    """One page of the schools ``admin`` may manage, filtered, in the order of ``active_schools()``.

    Numbers in names sort as people count, which SQL cannot do on both databases: the names of
    the matching schools (a city's registry is a few thousand rows) are ordered here, then the
    page's schools are loaded."""
    ordered = sorted(db.session.execute(_matching(admin, district_code=district_code, kind=kind, q=q)),
                     key=_registry_order)
    ids = [row.id for row in ordered[(page - 1) * per_page:page * per_page]]
    by_id = {s.id: s for s in db.session.scalars(select(School).where(School.id.in_(ids)))} if ids else {}
    return Page(items=[by_id[i] for i in ids], page=page, per_page=per_page, total=len(ordered))


def _matching(admin: User, *, district_code: str | None, kind: str | None, q: str | None) -> Select:
    """What orders a school in the registry (id, district, name), for the schools that match."""
    query = select(School.id, School.district_code, School.name_zh)
    if admin.role != Role.CITY_ADMIN:
        query = query.where(School.district_code == admin.district_code)
    if district_code:
        query = query.where(School.district_code == district_code)
    if kind:
        query = query.where(School.kind == SchoolKind(kind))
    if q and q.strip():
        pattern = f"%{_escape_like(q.strip())}%"
        query = query.where(or_(School.name_zh.ilike(pattern, escape="\\"),
                                School.name_en.ilike(pattern, escape="\\")))
    return query


def active_schools() -> list[School]:
    """Schools a teacher can register with, by district code, then by Chinese name as people count
    (第2中学 before 第10中学)."""
    return sorted(db.session.scalars(select(School).where(School.is_active.is_(True))), key=_registry_order)


def _registry_order(school) -> tuple:
    return school.district_code, _counted_name(school.name_zh), school.id


registry_order = _registry_order  # the registry's order, for lists of schools elsewhere (equity)


def _counted_name(name: str) -> tuple:
    # Digits compare as numbers, the text between them as text.
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def active_school_choices() -> list[tuple[int, str]]:
    """``(id, "玄武区 · 学校名")`` pairs for a select field, in the order of ``active_schools()``."""
    from app.core.i18n import localized

    return [(s.id, f"{localized(s.district, 'name')} · {localized(s, 'name')}") for s in active_schools()]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- changing ---------------------------------------------------------------------------------

def create_school(admin: User, *, name_zh: str, kind: str, district_code: str, name_en: str = "",
                  address: str = "", is_active: bool = True) -> School:
    """Add a school to the registry. Raises ``DomainError`` (with the field) when a rule says no."""
    values = _clean(admin, name_zh=name_zh, name_en=name_en, kind=kind, district_code=district_code,
                    address=address)
    _ensure_unique_name(values["district_code"], values["name_zh"])
    school = School(**values, is_active=bool(is_active))
    db.session.add(school)
    db.session.flush()
    return school


def update_school(admin: User, school: School, *, name_zh: str, kind: str, district_code: str,
                  name_en: str = "", address: str = "", is_active: bool = True) -> School:
    """Change a school's entry; the same rules as ``create_school``, and the admin must manage it."""
    if not can_manage_school(admin, school):
        raise DomainError("forbidden", _l("You are not allowed to do this."), status=403)
    values = _clean(admin, name_zh=name_zh, name_en=name_en, kind=kind, district_code=district_code,
                    address=address)
    _ensure_unique_name(values["district_code"], values["name_zh"], except_id=school.id)
    for key, value in values.items():
        setattr(school, key, value)
    school.is_active = bool(is_active)
    db.session.flush()
    return school


def _clean(admin: User, *, name_zh, name_en, kind, district_code, address) -> dict:
    name_zh, name_en, address = (name_zh or "").strip(), (name_en or "").strip(), (address or "").strip()
    if not name_zh:
        raise DomainError("name_required", _l("Enter the school's Chinese name."), field="name_zh")
    if len(name_zh) > NAME_ZH_MAX:
        raise DomainError("name_too_long", _l("Use at most %(n)d characters.", n=NAME_ZH_MAX), field="name_zh")
    if len(name_en) > NAME_EN_MAX:
        raise DomainError("name_too_long", _l("Use at most %(n)d characters.", n=NAME_EN_MAX), field="name_en")
    if len(address) > ADDRESS_MAX:
        raise DomainError("address_too_long", _l("Use at most %(n)d characters.", n=ADDRESS_MAX),
                          field="address")
    try:
        kind = SchoolKind(kind)
    except ValueError:
        raise DomainError("invalid_kind", _l("Choose the kind of school."), field="kind") from None
    if not district_code or db.session.get(District, district_code) is None:
        raise DomainError("invalid_district", _l("Choose the district."), field="district_code")
    if not can_add_school_in(admin, district_code):
        raise DomainError("district_not_allowed",
                          _l("You can only manage schools in your own district."), field="district_code")
    return {"name_zh": name_zh, "name_en": name_en, "kind": kind, "district_code": district_code,
            "address": address}


def _comparable_name(name: str) -> str:
    # NFKC: （演示） typed with a Chinese input method and (演示) are the same name; so are
    # names that differ only in spaces.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).casefold()


def _ensure_unique_name(district_code: str, name_zh: str, except_id: int | None = None) -> None:
    query = select(School.name_zh).where(School.district_code == district_code)
    if except_id is not None:
        query = query.where(School.id != except_id)
    wanted = _comparable_name(name_zh)
    if any(_comparable_name(name) == wanted for name in db.session.scalars(query)):
        raise DomainError("duplicate_school",
                          _l("A school with this name is already registered in this district."),
                          field="name_zh")
