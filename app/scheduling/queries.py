"""Reading the schedule where other domains need it, without the publishing rules' imports."""
from __future__ import annotations

from app.core.requests import MAX_ID
from app.extensions import db
from app.scheduling.models import Program


def active_program(venue_id: int, program_id) -> Program | None:
    """The venue's active program with this id, or ``None`` for any other value (another venue's,
    retired, unknown, not a whole number, or beyond the database's integers)."""
    if isinstance(program_id, bool):
        return None
    try:
        number = int(program_id)
    except (TypeError, ValueError):
        return None
    program = db.session.get(Program, number) if 0 < number <= MAX_ID else None
    return program if program is not None and program.venue_id == venue_id and program.is_active else None
