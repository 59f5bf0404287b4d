"""Paging of SQLAlchemy selects, shared by pages and the API."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.extensions import db

MAX_PAGE = 10_000  # far beyond any real list; keeps OFFSET inside every database's integer range


def page_number(args) -> int:
    """The ``page`` query argument as the page to show: 1 when absent or not a number, at most ``MAX_PAGE``."""
    return min(max(args.get("page", 1, type=int), 1), MAX_PAGE)


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(query: Select, page: int, per_page: int) -> Page:
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
