"""Adding a member of staff confirms the address the invitation went to, as stored: an address a
Chinese input method typed in full width (ｇａｔｅ@…) is shown as the plain address it became."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from app.notifications.models import OutboxMessage
from tests import factories


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


@pytest.fixture
def manager(auth):
    person = factories.user("venue_manager")
    auth.login(person.email)
    return person


def _flashes(client) -> list[str]:
    page = client.get("/manage/staff?lang=en").get_data(as_text=True)
    return re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)


@pytest.mark.parametrize("typed", ["ｇａｔｅ@example.com", "ＧＡＴＥ@example.com", "ｇａｔｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
                                   "  Gate@Example.com "])
def test_the_confirmation_shows_the_address_as_stored_and_written_to(client, manager, typed):
    response = client.post("/manage/staff?lang=en", data={"name": "门岗小王", "email": typed})
    assert response.status_code == 302
    assert db.session.scalar(select(User.email).where(User.name == "门岗小王")) == "gate@example.com"
    assert db.session.scalar(select(OutboxMessage.recipient).where(OutboxMessage.kind == "staff_invitation")) \
        == "gate@example.com"
    [said] = _flashes(client)
    assert "We have emailed gate@example.com about joining your staff." in said
    assert typed.strip() not in said
