"""Data for the benchmarks, inserted in bulk (the services are measured, not the seeding)."""
from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app.accounts.models import ApiToken, Role, TokenKind, User
from app.accounts.tokens import generate_secret
from app.core.time import from_local, local_today, utcnow
from app.extensions import db
from app.scheduling.models import Audience, Slot, SlotStatus
from app.venues.models import OperatorKind, Venue, VenueStatus, VenueType

XUANWU = "320102"


def venue(name: str = "基准测试科技馆", district: str = XUANWU) -> Venue:
    row = Venue(name_zh=name, name_en="Benchmark Science Hall", venue_type=VenueType.COMPREHENSIVE_MUSEUM,
                operator_kind=OperatorKind.GOVERNMENT, district_code=district, status=VenueStatus.APPROVED,
                daily_capacity=10000)
    db.session.add(row)
    db.session.flush()
    return row


def slot(venue_id: int, *, capacity: int, days_ahead: int = 2, start: time = time(9), end: time = time(12),
         audience: Audience = Audience.PUBLIC) -> Slot:
    day = local_today() + timedelta(days=days_ahead)
    row = Slot(venue_id=venue_id, starts_at=from_local(datetime.combine(day, start)),
               ends_at=from_local(datetime.combine(day, end)), local_date=day, audience=audience,
               admission="free", capacity=capacity, window_opens_days=7, window_closes_hours=0)
    db.session.add(row)
    db.session.flush()
    return row


def month_of_slots(venue_ids: list[int], days: int = 30) -> int:
    """A public morning and a mixed afternoon at each venue on each of the next ``days`` days, in bulk,
    as a month of published schedules leaves them: every fourth venue is closed on Saturdays and
    every fifth has its mornings fully booked. Returns how many slots."""
    today = local_today()
    rows = []
    for n, venue_id in enumerate(venue_ids):
        for ahead in range(1, days + 1):
            day = today + timedelta(days=ahead)
            if n % 4 == 0 and day.weekday() == 5:
                continue
            for audience, start, end, capacity in ((Audience.PUBLIC, time(9), time(12), 200),
                                                   (Audience.MIXED, time(13, 30), time(16, 30), 120)):
                taken = capacity if n % 5 == 0 and audience == Audience.PUBLIC else n % 7
                rows.append({"venue_id": venue_id, "starts_at": from_local(datetime.combine(day, start)),
                             "ends_at": from_local(datetime.combine(day, end)), "local_date": day,
                             "audience": audience, "admission": "free", "capacity": capacity, "taken": taken,
                             "partner_taken": 0, "reserved_seats": 0, "window_opens_days": 7,
                             "window_closes_hours": 0, "status": SlotStatus.OPEN, "note_zh": "", "note_en": "",
                             "created_at": utcnow()})
    db.session.execute(sa.insert(Slot), rows)
    return len(rows)


def users_with_tokens(count: int, role: Role = Role.CITIZEN, *, venue_id: int | None = None,
                      prefix: str = "bench") -> list[str]:
    """``count`` users, each with a bearer token; returns the secrets."""
    password_hash = generate_password_hash("unused", method="pbkdf2:sha256:1")
    now = utcnow()
    rows = [{"email": f"{prefix}{i}@bench.example.com", "password_hash": password_hash, "name": f"Bench {i}",
             "phone": "", "role": role, "venue_id": venue_id, "session_token": secrets.token_urlsafe(24),
             "elder_mode": False, "failed_logins": 0, "is_disabled": False, "created_at": now}
            for i in range(count)]
    ids = db.session.execute(sa.insert(User).returning(User.id), rows).scalars().all()
    secrets_, tokens = [], []
    for user_id in ids:
        secret, digest = generate_secret()
        secrets_.append(secret)
        tokens.append({"token_hash": digest, "kind": TokenKind.USER, "name": "bench", "user_id": user_id,
                       "expires_at": now + timedelta(days=1), "created_at": now})
    db.session.execute(sa.insert(ApiToken), tokens)
    return secrets_
