"""Column helpers shared by the domain models."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.time import utcnow


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a translatable label: ``VenueType.GALLERY.label``."""

    def __new__(cls, value: str, label=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        return [(m.value, m.label) for m in cls]


def str_enum(enum_cls: type[enum.Enum], name: str | None = None) -> sa.Enum:
    """A Python enum stored as its value in a VARCHAR with a CHECK constraint.

    Non-native, so that SQLite and PostgreSQL hold the same thing and adding a member
    is a constraint change rather than an ``ALTER TYPE``.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


class CreatedAt:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
