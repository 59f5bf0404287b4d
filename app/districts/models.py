from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class District(db.Model):
    """A district (GB/T 2260 code) or Jiangbei New Area's directly administered area.

    Population and urbanisation are the 2019 statistics bureau figures the equity view divides by.
    """

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(80))
    kind: Mapped[str] = mapped_column(sa.String(20), default="district")
    population_10k: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 2))
    urbanization_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    note: Mapped[str] = mapped_column(sa.Text, default="")

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name_zh}>"
