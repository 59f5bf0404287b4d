"""Paging of SQLAlchemy selects, shared by pages and the API."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, redirect
from sqlalchemy import Select, func, select

from app.core.templating import url_with
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

    @property
    def past_the_end(self) -> bool:
        return self.page > self.pages


def redirect_past_the_end(page: Page | None) -> None:
    """On a page of a list: a page number past its end (an old or shared link, a list that has
    shrunk) is sent to the last page, with the same filters, rather than shown empty as "page 99 of 2".
    The API answers such a page with no items instead (a client pages until ``items`` is empty)."""
    if page is not None and page.past_the_end:
        abort(redirect(url_with(page=str(page.pages) if page.pages > 1 else None)))


def paginate(query: Select, page: int, per_page: int, *, rows: bool = False) -> Page:
    """A page of ``query``'s first column, or with ``rows`` of its whole rows (a select of several entities)."""
    page = max(1, page)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = list(result) if rows else list(result.scalars())
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
