"""Every route, called as every role: who may, and who gets 401/403/404 or the login page.

The world has two districts (玄武, 鼓楼), a venue in each (X, Y) with its manager and staff, a school in
each (A, B) with a verified teacher, their admins, the city admin and a citizen. Each route names the
actors who may use it; everyone else must be refused without seeing data. A route missing from
``ROUTES`` fails ``test_every_route_is_in_the_matrix``: new routes must say who may use them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.bookings.models import Partnership
from app.core.time import local_today
from app.extensions import db
from tests import factories

XUANWU, GULOU = "320102", "320106"
ACTORS = ("anonymous", "citizen", "teacher_a", "teacher_b", "staff_x", "manager_x", "staff_y", "manager_y",
          "admin_a", "admin_b", "city")
USERS = ACTORS[1:]
ADMINS = ("admin_a", "admin_b", "city")
MANAGERS = ("manager_x", "manager_y")
GATE = ("staff_x", "manager_x", "staff_y", "manager_y")
BOOKERS = ("citizen", "teacher_a", "teacher_b")
EVERYONE = ACTORS
X_VIEWERS = ("staff_x", "manager_x", "admin_a", "city")  # may see venue X's bookings


@dataclass
class World:
    ids: dict
    users: dict
    tokens: dict


@pytest.fixture
def world(app) -> World:
    from app.checkin import walkins

    venue_x = factories.venue(district_code=XUANWU, name_zh="X馆")
    venue_y = factories.venue(district_code=GULOU, name_zh="Y馆")
    school_a = factories.school(district_code=XUANWU)
    school_b = factories.school(district_code=GULOU)
    users = {
        "citizen": factories.user("citizen"),
        "teacher_a": factories.user("teacher", school=school_a),
        "teacher_b": factories.user("teacher", school=school_b),
        "staff_x": factories.user("venue_staff", venue=venue_x),
        "manager_x": factories.user("venue_manager", venue=venue_x),
        "staff_y": factories.user("venue_staff", venue=venue_y),
        "manager_y": factories.user("venue_manager", venue=venue_y),
        "admin_a": factories.user("district_admin", district_code=XUANWU),
        "admin_b": factories.user("district_admin", district_code=GULOU),
        "city": factories.user("city_admin"),
    }
    unverified = factories.user("teacher", school=school_a, verified=False)
    public_slot = factories.slot(venue_x, capacity=50)
    school_slot = factories.slot(venue_x, audience="school", days_ahead=10, capacity=100)
    citizen_booking = factories.booked_visit(public_slot, users["citizen"])
    class_booking = factories.booked_visit(school_slot, users["teacher_a"])
    program = factories.program(venue_x)
    partnership = Partnership(venue_id=venue_x.id, school_id=school_a.id, valid_from=local_today(),
                              valid_to=local_today() + timedelta(days=365))
    db.session.add(partnership)
    db.session.commit()
    factories.gate_token(venue_x)
    from app.accounts.models import ApiToken, TokenKind
    gate = db.session.scalar(db.select(ApiToken).where(ApiToken.kind == TokenKind.GATE))
    from app.events.models import ThemedDay
    themed = ThemedDay(key="matrix_day", name_zh="测试主题日", rule_kind="fixed", rule="05-12")
    db.session.add(themed)
    db.session.commit()
    accreditation = factories.accreditation(venue_x)
    from app.scheduling.models import Closure
    closure = Closure(venue_id=venue_x.id, starts_on=local_today() + timedelta(days=40),
                      ends_on=local_today() + timedelta(days=40), reason_zh="矩阵测试闭馆")
    db.session.add(closure)
    db.session.commit()
    ids = {
        "venue_x": venue_x.id, "venue_y": venue_y.id, "school_a": school_a.id, "teacher_unverified": unverified.id,
        "public_slot": public_slot.id, "citizen_booking": citizen_booking.id, "class_booking": class_booking.id,
        "program": program.id, "partnership": partnership.id, "accreditation": accreditation.id, "gate_token": gate.id, "themed_day": themed.id,
        "year": local_today().year, "citizen_email": users["citizen"].email, "walk_in_token": walkins.daily_token(venue_x.id, local_today()),
    }
    ids["closure"] = closure.id
    from app.core.time import utcnow
    from app.stats.models import ReportSubmission
    # Venue X's report of last year, filed (before figures were kept: none are needed here).
    db.session.add(ReportSubmission(venue_id=venue_x.id, year=local_today().year - 1, text="", submitted_at=utcnow()))
    ids["filed_year"] = local_today().year - 1
    from app.scheduling.models import Schedule
    schedule = Schedule(venue_id=venue_x.id, starts_on=local_today() + timedelta(days=50),
                        ends_on=local_today() + timedelta(days=56), weekdays="1,2,3,4,5,6,7", sessions="09:00-12:00",
                        capacity=40, audience="public", admission="free")
    db.session.add(schedule)
    db.session.commit()
    ids["schedule"] = schedule.id
    ids["staff_x"] = users["staff_x"].id
    # A group staff X added at the gate just now: only they may take it back.
    ids["staff_walk_in"] = walkins.record_walk_in(users["staff_x"], venue_x, persons=3, audience_group="adult")[0].id
    db.session.commit()
    ids["manager_x"] = users["manager_x"].id
    ids["admin_a"] = users["admin_a"].id
    from app.notifications.models import OutboxMessage
    ids["outbox_message"] = db.session.scalar(db.select(OutboxMessage.id).order_by(OutboxMessage.id).limit(1))
    from app.accounts.sign_ins import record_sign_in
    ids["citizen_sign_in"] = record_sign_in(users["citizen"]).id  # the citizen, signed in on another device
    from app.accounts.tokens import issue_user_token
    ids["citizen_app"] = issue_user_token(users["citizen"])[1].id  # an app using the citizen's account
    db.session.commit()
    tokens = {name: factories.user_token(person) for name, person in users.items()}
    return World(ids=ids, users=users, tokens=tokens)


# (method, url template, actors allowed). Templates use the world's ids.
ROUTES = [
    ("GET", "/", EVERYONE),
    ("GET", "/healthz", EVERYONE),
    ("GET", "/privacy", EVERYONE),
    ("GET", "/login", EVERYONE),
    ("POST", "/login", EVERYONE),
    ("GET", "/register", EVERYONE),
    ("POST", "/register", EVERYONE),
    ("POST", "/logout", EVERYONE),
    ("GET", "/password/forgot", EVERYONE),
    ("POST", "/password/forgot", EVERYONE),
    ("GET", "/password/reset/not-a-token", EVERYONE),
    ("POST", "/password/reset/not-a-token", EVERYONE),
    ("GET", "/venues", EVERYONE),
    ("GET", "/venues/{venue_x}", EVERYONE),
    ("GET", "/venues/{venue_x}/availability", EVERYONE),
    ("GET", "/venues/{venue_x}/calendar.ics", EVERYONE),
    ("GET", "/venues/{venue_x}/reports/{filed_year}", EVERYONE),  # a filed annual report, read only
    ("GET", "/events", EVERYONE),
    ("GET", "/events/calendar.ics", EVERYONE),
    ("GET", "/stats", EVERYONE),
    ("GET", "/stats/equity", EVERYONE),
    ("GET", "/stats/equity.csv", EVERYONE),
    ("GET", "/stats/data/months.json", EVERYONE),
    ("GET", "/open-data/", EVERYONE),
    ("GET", "/open-data/attendance-daily.csv", EVERYONE),
    ("GET", "/open-data/datapackage.json", EVERYONE),
    ("GET", "/walk-in/{venue_x}/{walk_in_token}", EVERYONE),
    ("POST", "/walk-in/{venue_x}/{walk_in_token}", EVERYONE),
    ("GET", "/calendar/not-a-real-token.ics", ()),  # a secret URL: unknown tokens are not found for anyone
    # Signed-in people
    ("GET", "/me", USERS),
    ("GET", "/me/bookings", USERS),
    ("GET", "/me/calendar", USERS),
    ("POST", "/me/calendar", USERS),
    ("GET", "/me/data", USERS),
    ("POST", "/me/data", USERS),
    ("GET", "/me/delete", USERS),
    ("POST", "/me/delete", BOOKERS),
    ("GET", "/me/password", USERS),
    ("POST", "/me/password", USERS),
    ("GET", "/me/sessions", USERS),
    ("POST", "/me/sessions/end-others", USERS),
    ("POST", "/me/sessions/{citizen_sign_in}/end", ("citizen",)),  # only one's own: 404 for anyone else
    ("POST", "/me/api-tokens/{citizen_app}/revoke", ("citizen",)),  # likewise
    ("GET", "/slots/{public_slot}/book", BOOKERS),
    ("POST", "/slots/{public_slot}/book", BOOKERS),
    ("GET", "/venues/{venue_x}/book", ("citizen",)),  # elder mode's step-by-step booking
    ("POST", "/venues/{venue_x}/book", ("citizen",)),
    ("GET", "/bookings/{citizen_booking}", ("citizen", *X_VIEWERS)),
    ("GET", "/bookings/{citizen_booking}/calendar.ics", ("citizen", *X_VIEWERS)),
    ("GET", "/bookings/{citizen_booking}/cancel", ("citizen",)),  # asks before cancelling
    ("POST", "/bookings/{citizen_booking}/cancel", ("citizen",)),
    ("GET", "/bookings/{class_booking}/slip", ("teacher_a", *X_VIEWERS)),
    ("POST", "/bookings/{class_booking}/headcount", ("teacher_a",)),
    # Venue managers (the URLs without ids act on the manager's own venue)
    ("GET", "/manage/venue", MANAGERS),
    ("POST", "/manage/venue", MANAGERS),
    ("POST", "/manage/venue/submit", MANAGERS),
    ("GET", "/manage/bookings", MANAGERS),
    ("POST", "/manage/bookings/{class_booking}/approve", ("manager_x",)),
    ("GET", "/manage/bookings/{class_booking}/decline", ("manager_x",)),
    ("POST", "/manage/bookings/{class_booking}/decline", ("manager_x",)),
    ("GET", "/manage/partners", MANAGERS),
    ("POST", "/manage/partners", MANAGERS),
    ("POST", "/manage/partners/{partnership}/renew", ("manager_x",)),
    ("POST", "/manage/partners/{partnership}/end", ("manager_x",)),
    ("GET", "/manage/programs", MANAGERS),
    ("GET", "/manage/programs/new", MANAGERS),
    ("POST", "/manage/programs/new", MANAGERS),
    ("GET", "/manage/programs/{program}/edit", ("manager_x",)),
    ("POST", "/manage/programs/{program}/edit", ("manager_x",)),
    ("GET", "/manage/slots", MANAGERS),
    ("GET", "/manage/slots/new", MANAGERS),
    ("POST", "/manage/slots/new", MANAGERS),
    ("POST", "/manage/slots/capacity", MANAGERS),
    ("GET", "/manage/slots/{public_slot}", ("manager_x",)),
    ("POST", "/manage/slots/{public_slot}/capacity", ("manager_x",)),
    ("POST", "/manage/slots/{public_slot}/cancel", ("manager_x",)),
    ("POST", "/manage/slots/{public_slot}/edit", ("manager_x",)),
    ("GET", "/manage/schedules/new", MANAGERS),
    ("POST", "/manage/schedules/new", MANAGERS),
    ("GET", "/manage/schedules/{schedule}/withdraw", ("manager_x",)),
    ("POST", "/manage/schedules/{schedule}/withdraw", ("manager_x",)),
    ("GET", "/manage/closures", MANAGERS),
    ("POST", "/manage/closures", MANAGERS),
    ("POST", "/manage/closures/{closure}/remove", ("manager_x",)),
    ("GET", "/manage/rules", MANAGERS),
    ("POST", "/manage/rules", MANAGERS),
    ("GET", "/manage/gates", MANAGERS),
    ("POST", "/manage/gates", MANAGERS),
    ("POST", "/manage/gates/{gate_token}/revoke", ("manager_x",)),
    ("GET", "/manage/staff", MANAGERS),
    ("POST", "/manage/staff", MANAGERS),
    ("GET", "/manage/staff/{staff_x}/remove", ("manager_x",)),
    ("POST", "/manage/staff/{staff_x}/remove", ("manager_x",)),
    ("POST", "/manage/staff/{staff_x}/invitation", ("manager_x",)),  # staff_x has a password: said, not done
    ("POST", "/manage/staff/{staff_x}/invitation/withdraw", ("manager_x",)),
    ("GET", "/manage/poster", GATE),  # staff at the door print the walk-in poster too
    ("GET", "/manage/poster/qr.svg", GATE),
    ("GET", "/manage/reports", MANAGERS),
    ("GET", "/manage/reports/{year}", MANAGERS),
    ("GET", "/manage/reports/{year}.xlsx", MANAGERS),
    ("POST", "/manage/reports/{year}/text", MANAGERS),
    ("POST", "/manage/reports/{year}/submit", MANAGERS),
    ("GET", "/manage/evaluation", MANAGERS),
    ("GET", "/manage/evaluation/{year}", MANAGERS),  # their own venue's: no URL names another's
    # Gate
    ("GET", "/scan", GATE),
    ("POST", "/scan", GATE),
    ("POST", "/scan/group", GATE),
    ("GET", "/scan/totals", GATE),
    ("POST", "/scan/walk-in", GATE),
    ("POST", "/scan/walk-in/{staff_walk_in}/undo", ("staff_x",)),  # its recorder's, no one else's
    # Administrators
    ("GET", "/admin/teachers", ADMINS),
    ("GET", "/admin/privacy/access-log", ("city",)),
    ("GET", "/admin/mail", ("city",)),  # the site's undelivered email is the city's to deal with
    ("POST", "/admin/mail/{outbox_message}/send-again", ("city",)),
    ("POST", "/admin/mail/{outbox_message}/dismiss", ("city",)),
    ("POST", "/admin/mail/selected/send-again", ("city",)),
    ("POST", "/admin/mail/selected/dismiss", ("city",)),
    ("GET", "/admin/mail/send-again-all", ("city",)),
    ("POST", "/admin/mail/send-again-all", ("city",)),
    ("POST", "/admin/teachers/{teacher_unverified}/verify", ("admin_a", "city")),
    ("GET", "/admin/teachers/{teacher_unverified}/reject", ("admin_a", "city")),
    ("POST", "/admin/teachers/{teacher_unverified}/reject", ("admin_a", "city")),
    ("GET", "/admin/people", ADMINS),  # a district admin sees their district's teachers, managers and staff
    ("GET", "/admin/people/{staff_x}", ("admin_a", "city")),
    ("POST", "/admin/people/{staff_x}/suspend", ("admin_a", "city")),
    ("POST", "/admin/people/{staff_x}/reinstate", ("admin_a", "city")),
    ("GET", "/admin/people/{staff_x}/close", ("city",)),  # closing for good is the city's
    ("POST", "/admin/people/{staff_x}/close", ("city",)),
    ("GET", "/admin/district-admins", ("city",)),  # only the city gives a district an administrator
    ("POST", "/admin/district-admins", ("city",)),
    ("POST", "/admin/district-admins/{admin_a}/invitation", ("city",)),  # admin_a has a password: said, not done
    ("POST", "/admin/district-admins/{admin_a}/invitation/withdraw", ("city",)),
    ("GET", "/admin/schools", ADMINS),
    ("GET", "/admin/schools/new", ADMINS),
    ("POST", "/admin/schools/new", ADMINS),
    ("GET", "/admin/schools/{school_a}/edit", ("admin_a", "city")),
    ("POST", "/admin/schools/{school_a}/edit", ("admin_a", "city")),
    ("GET", "/admin/venues", ADMINS),
    ("GET", "/admin/venues/{venue_x}", ("admin_a", "city")),
    ("POST", "/admin/venues/{venue_x}/suspend", ("admin_a", "city")),
    ("POST", "/admin/venues/{venue_x}/managers", ("admin_a", "city")),  # whoever reviews the venue
    ("POST", "/admin/venues/{venue_x}/managers/{manager_x}/invitation", ("admin_a", "city")),
    ("POST", "/admin/venues/{venue_x}/managers/{manager_x}/invitation/withdraw", ("admin_a", "city")),
    ("POST", "/admin/venues/{venue_x}/accreditations", ("city",)),
    ("GET", "/admin/accreditations", ("city",)),
    ("GET", "/admin/accreditations/{accreditation}/edit", ("city",)),
    ("POST", "/admin/accreditations/{accreditation}/edit", ("city",)),
    ("POST", "/admin/accreditations/{accreditation}/withdraw", ("city",)),
    ("GET", "/admin/themed-days", ("city",)),
    ("GET", "/admin/themed-days/{themed_day}", ("city",)),
    ("POST", "/admin/themed-days/{themed_day}", ("city",)),
    ("GET", "/admin/equity", ADMINS),
    ("GET", "/admin/partnerships", ADMINS),  # each district admin sees their own district's agreements
    ("GET", "/admin/equity/schools.csv", ADMINS),  # each district admin gets their own district's schools
    ("GET", "/admin/reports", ADMINS),
    ("GET", "/admin/reports.csv", ADMINS),  # each district admin gets their own district's list
    ("POST", "/admin/reports/remind", ADMINS),  # each district admin reminds their own district's venues
    ("GET", "/admin/reports/{venue_x}/{year}", ("admin_a", "city")),
    ("GET", "/admin/reports/{venue_x}/{year}.xlsx", ("admin_a", "city")),
    ("POST", "/admin/reports/{venue_x}/{year}/return", ("city",)),
    ("GET", "/admin/evaluation", ADMINS),  # a district admin reads their district's, read only
    ("POST", "/admin/evaluation", ("city",)),
    ("GET", "/admin/evaluation.csv", ADMINS),
    ("GET", "/admin/evaluation/{year}/publish", ("city",)),  # only the city admin publishes the yearly review
    ("POST", "/admin/evaluation/{year}/publish", ("city",)),
    # API (bearer tokens)
    ("POST", "/api/v1/auth/token", EVERYONE),
    ("GET", "/api/v1/auth/token", USERS),  # the token sent: each person's own
    ("DELETE", "/api/v1/auth/token", USERS),
    ("GET", "/api/v1/openapi.json", EVERYONE),
    ("GET", "/api/v1/venues", EVERYONE),
    ("GET", "/api/v1/venues/{venue_x}", EVERYONE),
    ("GET", "/api/v1/venues/{venue_x}/slots", EVERYONE),
    ("POST", "/api/v1/venues/{venue_x}/slots", ("manager_x",)),
    ("GET", "/api/v1/checkin-keys", EVERYONE),
    ("GET", "/api/v1/stats/summary", EVERYONE),
    ("GET", "/api/v1/bookings", USERS),
    ("POST", "/api/v1/bookings", BOOKERS),
    ("GET", "/api/v1/bookings/{citizen_booking}", ("citizen", *X_VIEWERS)),
    ("POST", "/api/v1/bookings/{citizen_booking}/cancel", ("citizen",)),
    ("GET", "/api/v1/bookings/{citizen_booking}/ticket.png", ("citizen", "staff_x", "manager_x")),
    ("GET", "/api/v1/bookings/{citizen_booking}/ticket.svg", ("citizen", "staff_x", "manager_x")),
    ("POST", "/api/v1/checkins", GATE),
    ("POST", "/api/v1/checkins/batch", GATE),
    ("GET", "/me/profile", USERS),  # each person edits only themselves: no id in the URL
    ("POST", "/me/profile", USERS),
    ("GET", "/me/school", ("teacher_a", "teacher_b")),  # a teacher moving to another school: their own account
    ("POST", "/me/school", ("teacher_a", "teacher_b")),
]

# JSON bodies for API writes: valid enough that refusals cannot hide behind validation errors.
BODIES = {
    "/api/v1/venues/{venue_x}/slots": {"start": "{tomorrow}T09:00", "end": "{tomorrow}T11:00", "capacity": 10,
                                       "audience": "public"},
    "/api/v1/bookings": {"slot_id": "{public_slot}", "party_size": 1},
    "/api/v1/checkins": {"code": "NOT-A-CODE"},
    "/api/v1/checkins/batch": {"scans": []},
    "/api/v1/auth/token": {"email": "{citizen_email}", "password": "password123"},
}


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(tomorrow=(local_today() + timedelta(days=1)).isoformat(), **ids)
        return int(filled) if value.startswith("{") and filled.isdigit() else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(client, world: World, actor: str, method: str, template: str):
    url = template.format(**world.ids)
    is_api = url.startswith("/api/")
    headers = {}
    if actor != "anonymous":
        if is_api:
            headers["Authorization"] = f"Bearer {world.tokens[actor]}"
        else:
            with client.session_transaction() as session:
                session["_user_id"] = factories.session_id(world.users[actor])
                session["_fresh"] = True
    kwargs = {"headers": headers}
    if method == "POST" and is_api:
        kwargs["json"] = _fill(BODIES.get(template, {}), world.ids)
    return client.open(url, method=method, **kwargs)


def _refused(response, actor: str, is_api: bool) -> bool:
    if actor == "anonymous" and not is_api:
        return response.status_code == 302 and "/login" in response.headers.get("Location", "") \
            or response.status_code in (403, 404)
    return response.status_code in (401, 403, 404)


@pytest.mark.parametrize("method,template,allowed", ROUTES, ids=[f"{m} {t}" for m, t, _ in ROUTES])
def test_route_as_every_actor(app, world, method, template, allowed):
    problems = []
    for actor in ACTORS:
        client = app.test_client()
        response = _call(client, world, actor, method, template)
        assert response.status_code < 500, f"{actor}: server error on {method} {template}"
        refused = _refused(response, actor, template.startswith("/api/"))
        if actor in allowed and refused:
            problems.append(f"{actor} should be allowed, got {response.status_code}")
        if actor not in allowed and not refused:
            problems.append(f"{actor} should be refused, got {response.status_code}")
    assert not problems, f"{method} {template}: " + "; ".join(problems)


def test_every_route_is_in_the_matrix(app):
    covered = set()
    for method, template, _ in ROUTES:
        covered.add((method, template))
    import re

    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        pattern = re.sub(r"<(?:[^:>]+:)?[^>]+>", "{x}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if not any(m == method and re.sub(r"\{[^}]+\}", "{x}", t) == pattern for m, t in covered):
                if not any(m == method and re.fullmatch(re.sub(r"\\\{x\\\}", r"[^/]+", re.escape(pattern)), t)
                           for m, t in covered):
                    missing.append(f"{method} {rule.rule}")
    assert not missing, "routes with no row in the authorization matrix: " + ", ".join(sorted(missing))
