from __future__ import annotations


import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import CreatedAt, LabelledEnum, str_enum
from app.extensions import db


class SchoolKind(LabelledEnum):
    KINDERGARTEN = "kindergarten", _l("Kindergarten")
    PRIMARY = "primary", _l("Primary school")
    JUNIOR = "junior", _l("Junior secondary school")
    SENIOR = "senior", _l("Senior secondary school")
    NINE_YEAR = "nine_year", _l("Nine-year school")
    VOCATIONAL = "vocational", _l("Vocational school")


class School(CreatedAt, db.Model):
    __tablename__ = "schools"
    __table_args__ = (sa.UniqueConstraint("district_code", "name_zh"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[SchoolKind] = mapped_column(str_enum(SchoolKind))
    district_code: Mapped[str] = mapped_column(sa.ForeignKey("districts.code"), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    district = relationship("District")

    def __repr__(self) -> str:
        return f"<School {self.id} {self.name_zh}>"
