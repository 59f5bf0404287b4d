"""Builders for test data. Each returns a committed row; pass keyword arguments to override."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from app.accounts.models import Role, User
from app.accounts.services import create_user
from app.core.time import utcnow
from app.extensions import db
from app.schools.models import School, SchoolKind
from app.venues.models import (Accreditation, AccreditationLevel, OperatorKind, Venue,
                               VenueStatus, VenueTheme, VenueType)

PASSWORD = "password123"
XUANWU, GULOU, JIANGNING = "320102", "320106", "320115"
_seq = itertools.count(1)


def school(**kw) -> School:
    n = next(_seq)
    row = School(name_zh=kw.pop("name_zh", f"测试小学{n}"), name_en=kw.pop("name_en", f"Test Primary {n}"),
                 kind=kw.pop("kind", SchoolKind.PRIMARY), district_code=kw.pop("district_code", XUANWU), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def venue(**kw) -> Venue:
    n = next(_seq)
    themes = kw.pop("themes", ["general science"])
    row = Venue(
        name_zh=kw.pop("name_zh", f"测试科技馆{n}"), name_en=kw.pop("name_en", f"Test Science Hall {n}"),
        venue_type=kw.pop("venue_type", VenueType.COMPREHENSIVE_MUSEUM),
        operator_kind=kw.pop("operator_kind", OperatorKind.GOVERNMENT),
        district_code=kw.pop("district_code", XUANWU),
        status=kw.pop("status", VenueStatus.APPROVED),
        address_zh=kw.pop("address_zh", f"测试路{n}号"), daily_capacity=kw.pop("daily_capacity", 1000),
        **kw,
    )
    row.themes = [VenueTheme(name=t) for t in themes]
    db.session.add(row)
    db.session.commit()
    return row


def user(role: Role | str = Role.CITIZEN, **kw) -> User:
    n = next(_seq)
    role = Role(role)
    verified = kw.pop("verified", True)
    if role == Role.TEACHER and "school" not in kw:
        kw["school"] = school()
    if role in (Role.VENUE_STAFF, Role.VENUE_MANAGER) and "venue" not in kw:
        kw["venue"] = venue()
    if role == Role.DISTRICT_ADMIN:
        kw.setdefault("district_code", XUANWU)
    row = create_user(email=kw.pop("email", f"{role.value}{n}@example.com"), password=kw.pop("password", PASSWORD),
                      name=kw.pop("name", f"User {n}"), role=role, phone=kw.pop("phone", f"1380000{n:04d}"),
                      consent=True, **kw)
    if role == Role.TEACHER and verified:
        row.verified_at = utcnow()
    db.session.commit()
    return row


def accreditation(venue: Venue, **kw) -> Accreditation:
    n = next(_seq)
    today = date.today()
    row = Accreditation(venue_id=venue.id, level=kw.pop("level", AccreditationLevel.CITY_BASE),
                        certificate_no=kw.pop("certificate_no", f"NJKP-{n:04d}"),
                        valid_from=kw.pop("valid_from", today - timedelta(days=365)),
                        valid_to=kw.pop("valid_to", today + timedelta(days=365)), **kw)
    db.session.add(row)
    db.session.commit()
    return row


def slot(venue: Venue | None = None, **kw):
    """A slot ``days_ahead`` days from today, 09:00–12:00 Asia/Shanghai unless told otherwise."""
    from datetime import datetime, time

    from app.core.time import from_local, local_today
    from app.scheduling.models import Audience, Slot

    venue = venue or globals()["venue"]()
    day = kw.pop("day", local_today() + timedelta(days=kw.pop("days_ahead", 2)))
    start = datetime.combine(day, kw.pop("start", time(9, 0)))
    end = datetime.combine(day, kw.pop("end", time(12, 0)))
    audience = Audience(kw.pop("audience", Audience.PUBLIC))
    row = Slot(venue_id=venue.id, starts_at=from_local(start), ends_at=from_local(end), local_date=day,
               audience=audience, admission=kw.pop("admission", "free"), capacity=kw.pop("capacity", 40),
               window_opens_days=kw.pop("window_opens_days", 30 if audience != Audience.PUBLIC else 7),
               window_closes_hours=kw.pop("window_closes_hours", 0), **kw)
    db.session.add(row)
    db.session.commit()
    return row
