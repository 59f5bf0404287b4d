"""Jinja filters and globals shared by every template."""
from __future__ import annotations

from datetime import date, datetime

from babel.lists import format_list
from flask import Flask, request, url_for
from markupsafe import Markup, escape
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _

from app.core.i18n import current_language, localized
from app.core.time import to_local


# The widths a language writes a date in. ``full`` (2026年12月2日星期三 / Wednesday, December 2, 2026) is
# how a booker reads the day of their visit, on every page of it and in its emails alike.
DATE_WIDTHS = ("short", "medium", "long", "full")


def local_datetime(value: datetime | None, fmt: str | None = None) -> str:
    """A stored UTC timestamp as Asia/Shanghai wall-clock text: the date as the interface language
    writes it, in a width of ``DATE_WIDTHS`` (``medium`` unless told: 2026年5月1日 / May 1, 2026), and
    the time on the 24-hour clock; or in the pattern ``fmt``."""
    if value is None:
        return ""
    local = to_local(value)
    if fmt is None or fmt in DATE_WIDTHS:
        return f"{format_date(local.date(), fmt or 'medium')} {format_datetime(local, 'HH:mm')}"
    return format_datetime(local, fmt)


def local_date(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date as the interface language writes it, in a width of ``DATE_WIDTHS`` (``medium``: 2026年5月1日 /
    May 1, 2026), or in the pattern ``fmt``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return format_date(value, fmt)


def local_day(value: date | datetime | None, with_time: bool = False) -> Markup:
    """``local_date(value, 'full')`` for a page (with the time after it when ``with_time``), where a line
    may end between the date and the weekday, and inside one of them only if it alone is wider than the
    line: a language that writes them without spaces (2026年12月2日星期三) would otherwise break anywhere
    in large text on a phone, "2026年12月2日星|期三" (``.unbroken`` in app.css)."""
    if value is None:
        return Markup("")
    text = local_datetime(value, "full") if with_time else local_date(value, "full")
    weekday = local_date(value, "EEEE")
    head, found, tail = text.partition(weekday)
    if not found or " " in head or not head:  # English and the like already break at their spaces
        return escape(text)
    return Markup('<span class="unbroken">{}</span><wbr><span class="unbroken">{}</span>{}').format(head, weekday, tail)


def local_date_range(first: date, last: date) -> str:
    """A stretch of days as "first – last" (``local_date`` each), or the one day when they are the same."""
    if first == last:
        return local_date(first)
    return f"{local_date(first)} – {local_date(last)}"


def spoken_list(items) -> str:
    """Items joined as the interface language writes a list ("a, b and c" / "a、b和c")."""
    return format_list([str(item) for item in items], locale=get_locale() or "zh") if items else ""


def slot_hours(slot) -> str:
    """A slot's hours (stored ``starts_at``/``ends_at``) as "19:00–21:00", and "23:00–00:30 (next day)"
    for one that ends after midnight: every page that lists slot times writes them this way."""
    start, end = to_local(slot.starts_at), to_local(slot.ends_at)
    hours = f"{start:%H:%M}–{end:%H:%M}"
    if end.date() != start.date():
        hours += " " + _("(next day)")
    return hours


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (for language, mode and paging links)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint or "main.home", **(request.view_args or {}), **args)


def localized_text(obj, field: str):
    """``localized`` for the text of a page (not an attribute): Chinese shown on an English page, for
    want of the English, is marked as Chinese so that a screen reader speaks it as such (WCAG 3.1.2)."""
    lang = current_language()
    text = localized(obj, field, lang)
    if text and lang.startswith("en") and not getattr(obj, f"{field}_en", None):
        return Markup('<span lang="zh-CN">{}</span>').format(text)
    return text


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["local_day"] = local_day
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["localized_text"] = localized_text
    app.jinja_env.globals["local_date_range"] = local_date_range
    app.jinja_env.globals["slot_hours"] = slot_hours
    app.jinja_env.globals["spoken_list"] = spoken_list
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
