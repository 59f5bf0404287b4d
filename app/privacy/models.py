from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow
from app.extensions import db


class PersonalDataAccess(db.Model):
    """One viewing or export of personal data: who (actor), whose (subject user or booking), what.

    The ids are plain integers, not foreign keys: the log must outlive the people and bookings it
    names (a deleted account leaves its id behind, which no longer leads to anyone)."""

    __tablename__ = "personal_data_access"
    __table_args__ = (
        sa.Index("ix_personal_data_access_actor_at", "actor_id", "at"),
        sa.Index("ix_personal_data_access_subject_at", "subject_user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40))
    subject_user_id: Mapped[int | None]
    booking_id: Mapped[int | None] = mapped_column(index=True)
    detail: Mapped[str] = mapped_column(sa.String(200), default="")
