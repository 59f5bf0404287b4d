"""A program's title and curriculum link, and a closure's reason, are one line: a line break, tab or
other control character inside them is refused next to the field, in the manager's language, and
nothing already saved changes. A line break pasted at either end is simply trimmed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.scheduling.models import Closure, Program
from tests import factories

INJECTED = "X\r\nATTENDEE:mailto:evil@example.com\r\nY"


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def _program_form(**overrides) -> dict:
    data = {"kind": "guided_tour", "title_zh": "星空导览", "title_en": "Starry sky tour", "description_zh": "",
            "description_en": "", "grade_min": "0", "grade_max": "12", "curriculum_link": "", "language": "zh",
            "is_active": "y"}
    data.update(overrides)
    return data


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    return found.group(1) if found else ""


def _programs() -> list[tuple[str, str]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(select(Program.title_zh, Program.title_en).order_by(Program.id))]


@pytest.mark.parametrize("field,typed", [
    ("title_en", INJECTED), ("title_zh", "星空\n导览"), ("title_zh", "星空\t导览"), ("title_en", "Starry\u2028tour"),
    ("title_zh", "星空\x1b[31m导览"), ("curriculum_link", "https://example.org/a\r\nb"),
    ("curriculum_link", "https://example.org/\x07"),
])
def test_a_new_program_with_a_line_break_in_a_one_line_field_is_refused_next_to_it(client, manager, field, typed):
    response = client.post("/manage/programs/new?lang=en", data=_program_form(**{field: typed}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Keep this on one line, without line breaks, tabs or other control characters." in _field_error(page, field)
    assert "saved." not in page
    assert _programs() == []


def test_an_edit_putting_a_line_break_in_the_title_keeps_the_saved_program(client, manager):
    program = factories.program(manager.venue, title_zh="星空导览", title_en="Starry sky tour")
    response = client.post(f"/manage/programs/{program.id}/edit?lang=en",
                           data=_program_form(title_zh="新标题", title_en=INJECTED))
    assert response.status_code == 400
    assert "Keep this on one line" in _field_error(response.get_data(as_text=True), "title_en")
    assert _programs() == [("星空导览", "Starry sky tour")]


def test_a_title_saved_before_with_a_line_break_is_still_listed_and_kept_until_corrected(client, manager):
    program = factories.program(manager.venue, title_zh="旧标题", title_en="Old\ntitle")
    assert "旧标题" in client.get("/manage/programs").get_data(as_text=True)
    assert client.get(f"/manage/programs/{program.id}/edit").status_code == 200
    refused = client.post(f"/manage/programs/{program.id}/edit", data=_program_form(title_zh="旧标题",
                                                                                     title_en="Old\ntitle"))
    assert refused.status_code == 400 and _programs() == [("旧标题", "Old\ntitle")]
    corrected = client.post(f"/manage/programs/{program.id}/edit", data=_program_form(title_zh="旧标题",
                                                                                       title_en="Old title"))
    assert corrected.status_code == 302 and _programs() == [("旧标题", "Old title")]


def test_a_line_break_pasted_at_the_end_of_a_title_is_trimmed_and_the_program_saved(client, manager):
    response = client.post("/manage/programs/new?lang=en", data=_program_form(title_en="Starry sky tour\r\n"))
    assert response.status_code == 302
    assert _programs() == [("星空导览", "Starry sky tour")]


def test_a_programs_description_keeps_its_line_breaks(client, manager):
    response = client.post("/manage/programs/new", data=_program_form(description_zh="第一段\r\n第二段"))
    assert response.status_code == 302
    assert db.session.scalar(select(Program.description_zh)) == "第一段\n第二段"


@pytest.mark.parametrize("field", ["reason_zh", "reason_en"])
def test_a_closure_reason_with_a_line_break_is_refused_next_to_it(client, manager, field):
    day = factories.slot(manager.venue, days_ahead=2).local_date
    answers = {"starts_on": day.isoformat(), "reason_zh": "设备检修", "reason_en": "Maintenance", "confirmed": "yes"}
    answers[field] = "设备\r\nATTENDEE:mailto:evil@example.com"
    response = client.post("/manage/closures?lang=en", data=answers)
    assert response.status_code == 400
    assert "Keep this on one line" in _field_error(response.get_data(as_text=True), field)
    assert db.session.scalar(select(func.count(Closure.id))) == 0
