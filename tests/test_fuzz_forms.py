"""Every HTML form that takes a POST, sent junk by a user allowed to use it: never a 5xx.

The routes come from ``app.url_map`` (POST, outside ``/api/``), so a new form is fuzzed without
being listed here. Each is called as the role it is for, with ids of real rows in its URL, and a
form of random values (unicode, numbers, huge strings, empty; fields missing or unknown) under the
field names its GET page shows. Bounded: ``FORM_FUZZ_EXAMPLES`` per route (default 10).
"""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from app.accounts.models import Role
from app.checkin.walkins import daily_token
from app.core.time import local_today
from tests import factories
from tests.conftest import make_config

EXAMPLES = int(os.environ.get("FORM_FUZZ_EXAMPLES", "10"))
SKIP = {"/logout"}  # signs the fuzzing user out; it takes no fields


def _post_rules() -> list[str]:
    app = create_app(make_config("sqlite://"))
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if "POST" in r.methods and not r.rule.startswith("/api/") and r.rule not in SKIP)


RULES = _post_rules()

VALUES = st.one_of(
    st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=60),
    st.integers().map(str),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "2026-02-30", "25:61", "99999999999", "on", "y",
                     "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "١٢٣", "😀" * 50]),
    st.sampled_from([9, 3000, 20000]).map(lambda n: "字" * n),
)


def _role_for(rule: str) -> Role | None:
    if rule.startswith("/admin/"):
        return Role.CITY_ADMIN
    if rule.startswith(("/manage/", "/scan")):
        return Role.VENUE_MANAGER
    if rule.endswith("/headcount"):
        return Role.TEACHER
    if rule.startswith(("/bookings/", "/slots/", "/me/")) or rule.endswith("/book"):
        return Role.CITIZEN
    return None  # login, register, password reset, the walk-in poster: anyone


@pytest.fixture
def world(app):
    venue = factories.venue()
    manager = factories.user(Role.VENUE_MANAGER, venue=venue)
    slot = factories.slot(venue, audience="mixed", capacity=200, days_ahead=5)
    citizen, teacher = factories.user(Role.CITIZEN), factories.user(Role.TEACHER)
    booking = factories.booked_visit(slot, citizen, party_size=2)
    group = factories.booked_visit(slot, teacher, students=20, adults=2)
    pending_teacher = factories.user(Role.TEACHER, verified=False)
    program = factories.program(venue)
    factories.gate_token(venue)
    ids = {"booking_id": booking.id, "slot_id": slot.id, "venue_id": venue.id, "school_id": teacher.school_id,
           "user_id": pending_teacher.id, "program_id": program.id, "year": local_today().year,
           "action": "approve", "themed_day_id": 1, "token_id": 1, "partnership_id": 1,
           "token": daily_token(venue.id, local_today())}
    return {"ids": ids, "group_id": group.id,
            "emails": {Role.CITY_ADMIN: factories.user(Role.CITY_ADMIN).email, Role.VENUE_MANAGER: manager.email,
                       Role.TEACHER: teacher.email, Role.CITIZEN: citizen.email}}


def _url(rule: str, world) -> str:
    ids = dict(world["ids"])
    if rule.endswith("/headcount") or rule.startswith("/manage/bookings/"):
        ids["booking_id"] = world["group_id"]
    return re.sub(r"<(?:[^:>]+:)?([a-z_]+)(?:\([^)]*\))?>", lambda m: str(ids.get(m.group(1), 1)), rule)


def _field_names(client, url: str) -> list[str]:
    page = client.get(url)
    names = set(re.findall(r'name="([^"]+)"', page.get_data(as_text=True))) if page.status_code == 200 else set()
    return sorted((names - {"csrf_token"}) | {"reason", "code", "nonce", "email", "password", "capacity"})


@pytest.mark.parametrize("rule", RULES)
def test_a_form_sent_junk_never_gives_a_server_error(client, auth, world, rule):
    role = _role_for(rule)
    if role is not None:
        auth.login(world["emails"][role])
    url = _url(rule, world)
    names = _field_names(client, url)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize="FORM_FUZZ_EXAMPLES" not in os.environ,
              suppress_health_check=list(HealthCheck))
    @given(form=st.dictionaries(st.sampled_from(names) | st.text(max_size=8).filter(lambda s: "\x00" not in s),
                                VALUES, max_size=len(names) + 2))
    def fuzz(form):
        response = client.post(url, data=form)
        assert response.status_code < 500, (url, form, response.status_code)

    fuzz()
