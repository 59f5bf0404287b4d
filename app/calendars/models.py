from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt
from app.extensions import db


class CalendarFeed(CreatedAt, db.Model):
    """A user's private calendar subscription. Only the SHA-256 of the secret URL token is kept,
    so a leaked database does not leak anyone's feed; resetting replaces the hash."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    user = relationship("User")
