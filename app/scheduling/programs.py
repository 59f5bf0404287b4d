"""Programs (活动/课程): what a visit offers. Managed by the venue's manager."""
from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.text import check_one_line
from app.core.time import utcnow
from app.events.services import check_event_dates
from app.events.themed_days import themed_day_by_key
from app.extensions import db
from app.scheduling.models import Program, ProgramKind, Slot, SlotStatus
from app.scheduling.services import clean, require_manager
from app.venues.models import Venue

# What a program says in one line: shown in lists, messages, tickets and calendar entries.
ONE_LINE_FIELDS = ("title_zh", "title_en", "curriculum_link")
# The languages a visit can be given in, with their names.
LANGUAGES = {"zh": _l("Chinese"), "en": _l("English"), "both": _l("Chinese and English")}


def _program_values(data: dict) -> dict:
    values = {
        "kind": data.get("kind"), "title_zh": clean(data.get("title_zh")), "title_en": clean(data.get("title_en")),
        "description_zh": clean(data.get("description_zh")), "description_en": clean(data.get("description_en")),
        "curriculum_link": clean(data.get("curriculum_link")), "language": data.get("language") or "zh",
        "is_active": bool(data.get("is_active", True)),
        # A program tied to a themed day is a themed event: listed on /events, counted in reports.
        "themed_day_key": clean(data.get("themed_day_key")) or None,
    }
    try:
        values["kind"] = ProgramKind(values["kind"])
    except ValueError:
        raise DomainError("invalid_program", _l("Choose what kind of visit this is."), field="kind") from None
    if not values["title_zh"]:
        raise DomainError("invalid_program", _l("Enter the title in Chinese."), field="title_zh")
    for field in ONE_LINE_FIELDS:
        check_one_line(values[field], field, "invalid_program")
    if len(values["title_zh"]) > 120 or len(values["title_en"]) > 200:
        field = "title_zh" if len(values["title_zh"]) > 120 else "title_en"
        raise DomainError("invalid_program", _l("This title is too long."), field=field)
    try:
        grade_min, grade_max = int(data.get("grade_min", 0)), int(data.get("grade_max", 12))
    except (TypeError, ValueError):
        raise DomainError("invalid_program", _l("Choose grades from kindergarten to 12."), field="grade_min") from None
    if not (0 <= grade_min <= 12 and 0 <= grade_max <= 12):
        raise DomainError("invalid_program", _l("Choose grades from kindergarten to 12."), field="grade_min")
    if grade_min > grade_max:
        raise DomainError("invalid_program", _l("The last grade cannot be below the first grade."),
                          field="grade_max")
    values["grade_min"], values["grade_max"] = grade_min, grade_max
    link = values["curriculum_link"]
    if link and (len(link) > 300 or not re.match(r"^https?://[^\s/]+\.[^\s]+$", link)):
        raise DomainError("invalid_program", _l("Enter a web address starting with http:// or https://."),
                          field="curriculum_link")
    if values["language"] not in LANGUAGES:
        raise DomainError("invalid_program", _l("Choose the language of the visit."), field="language")
    if values["themed_day_key"] is not None and themed_day_by_key(values["themed_day_key"]) is None:
        raise DomainError("invalid_program", _l("Choose one of the themed days listed."), field="themed_day_key")
    return values


def create_program(manager, venue: Venue, data: dict) -> Program:
    """Add a program (what a visit offers) to the venue."""
    require_manager(manager, venue)
    program = Program(venue_id=venue.id, **_program_values(data))
    db.session.add(program)
    db.session.flush()
    return program


def update_program(manager, program: Program, data: dict, *, themed_dates_confirmed: str | bool | None = None,
                   now: datetime | None = None) -> Program:
    """Change a program. Tied to another themed day, its open sessions still to come become that day's
    events: days outside its dates are confirmed first (``events.services.check_event_dates``, field
    ``themed_day_key``)."""
    require_manager(manager, program.venue)
    values = _program_values(data)
    if values["themed_day_key"] != program.themed_day_key:
        days = db.session.scalars(select(Slot.local_date).distinct().where(
            Slot.program_id == program.id, Slot.status == SlotStatus.OPEN, Slot.starts_at > (now or utcnow())))
        check_event_dates(values["themed_day_key"], list(days), confirmed=themed_dates_confirmed,
                          field="themed_day_key")
    for key, value in values.items():
        setattr(program, key, value)
    db.session.flush()
    return program


def venue_programs(venue: Venue, *, active_only: bool = False) -> list[Program]:
    query = select(Program).where(Program.venue_id == venue.id)
    if active_only:
        query = query.where(Program.is_active.is_(True))
    return list(db.session.scalars(query.order_by(Program.is_active.desc(), Program.title_zh, Program.id)))
