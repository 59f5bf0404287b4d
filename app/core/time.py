"""Time: stored in UTC (naive, the same on SQLite and PostgreSQL), shown in Asia/Shanghai."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every timestamp column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) datetime as an aware Asia/Shanghai datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(LOCAL_TZ)


def from_local(value: datetime) -> datetime:
    """A local wall-clock (naive, or aware in any zone) datetime as stored naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date and time ("2026-12-01T09:00", with or without seconds and offset; "Z" is
    UTC). A date alone raises ``ValueError`` like any other bad text: read as midnight, it is
    almost never what the sender meant."""
    text = text.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError("a time of day is needed")
    return datetime.fromisoformat(text)
