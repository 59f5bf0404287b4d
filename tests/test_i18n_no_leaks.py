"""Every page a person sees, in Chinese and in English, shows only that language.

Each role's pages (and the public ones, and a few error states) are rendered with ``?lang=zh`` and
``?lang=en`` over one world of bilingual data, and their visible text is read with a real HTML
parser: text nodes (not scripts, styles or form-field values) and the attributes people see or
hear (``title``, ``alt``, ``aria-label``, ``placeholder``, button values, the scanner's
``data-msg-*`` words).

* A Chinese page may show no English word, except the few in ``ALLOWED_ON_ZH`` (each says why),
  machine names inside ``<code>``, codes marked ``translate="no"`` (a ticket's code), email
  addresses, links, codes that contain a digit, and data this test created in one language only
  (people's names, class names, gate names, booking references).
* An English page may show no Chinese character, except the language switch's own "中文" and the
  same one-language data. The world is bilingual everywhere, so a fallback to Chinese cannot hide
  a missing ``localized()``: Chinese on an English page is a leak.

Emails, calendar files, the annual report's XLSX and the open-data downloads are checked too (the
open-data column names are machine names that stay the same in both languages, as the spec names
them; the data dictionary on /open-data/ explains them in the interface language). A failure lists
each page with its leaking strings.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.models import ApiToken, User
from app.bookings import services as booking_services
from app.bookings.models import Booking, Partnership
from app.checkin import tickets, walkins
from app.core.time import local_today
from app.events.models import ThemedDay
from app.extensions import db
from app.scheduling.models import Closure, Program, Slot
from app.schools.models import School
from app.stats import rebuild
from app.venues.models import Admission, Venue, VenueStatus
from tests import factories

XUANWU = factories.XUANWU

# --- what may appear in the other language, and why -------------------------------------------------

# English words a Chinese page may show. Keep it short: each entry is a name or a unit that Chinese
# text uses as it is.
ALLOWED_ON_ZH = {
    "CSV": "a file format's name", "JSON": "a file format's name", "XLSX": "a file format's name",
    "ics": "the calendar file's extension (.ics)",
    "UTF": "the text encoding's name (UTF-8)", "BOM": "part of the encoding's name (带 BOM 的 UTF-8)",
    "Excel": "a program's name", "API": "the word Chinese developers use (API 令牌, the footer's API link)",
    "Frictionless": "the name of the open standard datapackage.json follows",
    "CC": "the licence's own short name (CC BY 4.0)", "BY": "the licence's own short name (CC BY 4.0)",
    "e": "科普e站, the official Chinese name of a venue type",
    "Cookie": "the word Chinese privacy notices use (Cookie 政策)", "IP": "IP 地址 is how Chinese says IP address",
}
# Text that may stand as it is on a page of either language.
ALWAYS_ALLOWED = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # email addresses
    re.compile(r"https?://\S*"),  # links, and the schemes a form asks for
]
LANGUAGE_SWITCH = {"zh": "English", "en": "中文"}
CJK = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’_-]*")
# Attributes people see (tooltips, placeholders) or hear (screen readers), and the words the gate
# scanner's script shows.
SPOKEN_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "aria-description", "aria-roledescription"}
BUTTON_TYPES = {"submit", "button", "reset"}
# Elements whose content is not interface text: code and machine names; what a person typed.
# Elements marked translate="no" (ticket codes) are skipped too.
SKIPPED = {"script", "style", "template", "code", "textarea"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The strings a person reads or hears on a page, each with the language its element declares."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None, bool]] = []  # (tag, lang attribute, skipped)
        self.strings: list[tuple[str, str | None]] = []

    def _lang(self) -> str | None:
        return next((lang for _tag, lang, _skip in reversed(self.stack) if lang), None)

    def _skipping(self) -> bool:
        return any(skip for _tag, _lang, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        if not self._skipping():
            here = lang or self._lang()
            for name, value in attrs.items():
                if value and (name in SPOKEN_ATTRIBUTES or name.startswith("data-msg-")):
                    self.strings.append((value, here))
            if tag == "input" and attrs.get("type") in BUTTON_TYPES and attrs.get("value"):
                self.strings.append((attrs["value"], here))
        if tag not in VOID:
            self.stack.append((tag, lang, tag in SKIPPED or attrs.get("translate") == "no"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self._skipping() and data.strip():
            self.strings.append((" ".join(data.split()), self._lang()))


def visible_strings(html: str) -> list[tuple[str, str | None]]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.strings


def _strip(text: str, data: list[str]) -> str:
    for pattern in ALWAYS_ALLOWED:
        text = pattern.sub(" ", text)
    for value in data:
        text = text.replace(value, " ")
    return text


def leaks_in_text(text: str, lang: str, data: list[str]) -> list[str]:
    """The words of ``text`` in the wrong language for a ``lang`` page (empty when it is clean)."""
    text = _strip(text, data)
    if lang == "en":
        return CJK.findall(text)
    return [w for w in WORD.findall(text) if not any(c.isdigit() for c in w) and w not in ALLOWED_ON_ZH
            and re.search(r"[A-Za-z]", w)]


def leaks_in_page(html: str, lang: str, data: list[str]) -> list[str]:
    found = []
    for text, declared in visible_strings(html):
        if text == LANGUAGE_SWITCH[lang] and declared == ("en" if lang == "zh" else "zh-CN"):
            continue
        if leaks_in_text(text, lang, data):
            found.append(text[:160])
    return list(dict.fromkeys(found))


def test_the_checker_finds_english_on_chinese_pages_and_chinese_on_english_pages():
    html = ('<html lang="zh-CN"><head><title>场馆 Venues</title><style>p{}</style></head><body>'
            '<a lang="en" href="?lang=en">English</a><p title="Book now">预约</p>'
            '<input type="submit" value="Save"><input name="q" value="typed by a person">'
            '<code>venue_id</code><p>下载 CSV 文件，邮件 a.b@example.org，编号 3FA2B1C4</p>'
            '<p translate="no">SVAE QXYZ</p><img alt="Ticket"><p data-msg-ok="Checked in">好</p>'
            '<script>var x = "Hello";</script></body></html>')
    assert leaks_in_page(html, "zh", []) == ["场馆 Venues", "Book now", "Save", "Ticket", "Checked in"]
    html_en = '<p>Venues</p><a lang="zh-CN" href="?lang=zh">中文</a><p>Book at 南京科技馆</p><p>李华</p>'
    assert leaks_in_page(html_en, "en", ["李华"]) == ["Book at 南京科技馆"]


# --- the world -----------------------------------------------------------------------------------------

@dataclass
class World:
    ids: dict
    users: dict[str, User]
    # One-language data this test made (names people typed): allowed on pages of either language.
    data: list[str] = field(default_factory=list)


def _bilingual_everywhere() -> None:
    """Give every Chinese text of the content an English one, so an English page never falls back."""
    columns = {Venue: ("name", "address", "description", "accessibility", "discount"), School: ("name",),
               Program: ("title", "description"), Closure: ("reason",), Slot: ("note",), ThemedDay: ("name",)}
    for model, fields in columns.items():
        for row in db.session.scalars(select(model)):
            for name in fields:
                if getattr(row, f"{name}_zh") and not getattr(row, f"{name}_en"):
                    setattr(row, f"{name}_en", f"English {name} of {model.__name__.lower()} {row.id}")
    db.session.commit()


def _one_language_data() -> list[str]:
    """Strings people typed in one language: names, class names, gate names, codes."""
    values = set(db.session.scalars(select(User.name)))
    values |= set(db.session.scalars(select(Booking.class_name).where(Booking.class_name.isnot(None))))
    references = set(db.session.scalars(select(Booking.reference)))
    values |= references | {tickets.grouped(r) for r in references}  # and as people read them: F265 E231 …
    values |= set(db.session.scalars(select(ApiToken.name).where(ApiToken.name.isnot(None))))
    return sorted((v for v in values if v), key=len, reverse=True)


@pytest.fixture
def world(app) -> World:
    scenario = factories.stats_scenario()  # past visits: the dashboards and reports have figures
    today = local_today()
    venue = factories.venue(
        district_code=XUANWU, name_zh="紫金山科技馆", name_en="Purple Mountain Science Hall", themes=["astronomy"],
        address_zh="中山门外1号", address_en="1 Outside Zhongshan Gate", description_zh="一座天文科普馆。",
        description_en="An astronomy hall.", accessibility_zh="有无障碍坡道", accessibility_en="Step-free access",
        opens_at=time(9), closes_at=time(17), closed_weekdays="1", contact_phone="025-8480 0000",
        contact_email="info@example.org", website="https://example.org", admission=Admission.DISCOUNTED,
        discount_zh="老人半价", discount_en="Half price for seniors", latitude=32.05, longitude=118.84)
    factories.accreditation(venue)
    school = factories.school(district_code=XUANWU, name_zh="玄武区实验小学", name_en="Xuanwu Experimental Primary")
    users = {
        "citizen": factories.user("citizen", name="李华"),
        "teacher": factories.user("teacher", school=school, name="王老师"),
        "venue_staff": factories.user("venue_staff", venue=venue, name="张明"),
        "venue_manager": factories.user("venue_manager", venue=venue, name="陈静"),
        "district_admin": factories.user("district_admin", district_code=XUANWU, name="刘洋"),
        "city_admin": factories.user("city_admin", name="赵敏"),
    }
    unverified = factories.user("teacher", school=school, verified=False, name="孙丽")
    draft = factories.venue(status=VenueStatus.DRAFT, name_zh="新建科普馆", name_en="New Science Corner")
    users["draft_manager"] = factories.user("venue_manager", venue=draft, name="黄磊")
    users["unverified_teacher"] = unverified
    program = factories.program(venue, title_zh="星空导览", title_en="Tour of the night sky",
                                description_zh="看星星。", description_en="Looking at stars.")
    themed = ThemedDay(key="science_week", name_zh="科技活动周", name_en="Science and Technology Week",
                       rule_kind="fixed", rule=f"{today:%m-%d}..{today + timedelta(days=6):%m-%d}")
    db.session.add(themed)
    db.session.commit()
    event = factories.program(venue, title_zh="科技周开放日", title_en="Science Week open day",
                              themed_day_key="science_week")
    public_slot = factories.slot(venue, capacity=50, program_id=program.id)
    school_slot = factories.slot(venue, audience="school", days_ahead=10, capacity=100, program_id=program.id)
    factories.slot(venue, days_ahead=3, capacity=30, program_id=event.id)
    citizen_booking = factories.booked_visit(public_slot, users["citizen"])
    class_booking = factories.booked_visit(school_slot, users["teacher"], class_name="四年级2班")
    approved_class = factories.confirmed_visit(
        factories.slot(venue, audience="school", days_ahead=12, capacity=100), users["teacher"], class_name="五年级1班")
    # A visit already made, and one cancelled: the lists show every state.
    factories.admitted_visit(factories.slot_at(venue, starts_in=-timedelta(days=3)), users["citizen"])
    cancelled = factories.booked_visit(factories.slot(venue, days_ahead=4), users["citizen"])
    booking_services.cancel_booking(users["citizen"], cancelled)
    spare_public = factories.slot(venue, days_ahead=5, capacity=20)
    spare_school = factories.slot(venue, audience="school", days_ahead=14, capacity=100)
    partnership = Partnership(venue_id=venue.id, school_id=school.id, valid_from=today,
                              valid_to=today + timedelta(days=365))
    closure = Closure(venue_id=venue.id, starts_on=today + timedelta(days=40), ends_on=today + timedelta(days=41),
                      reason_zh="设备检修", reason_en="Maintenance")
    db.session.add_all([partnership, closure])
    db.session.commit()
    factories.gate_token(venue, name="东门闸机")
    rebuild.rebuild_all()
    db.session.commit()
    _bilingual_everywhere()
    ids = {
        "venue": venue.id, "venue_a": scenario["a"].id, "school": school.id, "teacher_unverified": unverified.id,
        "public_slot": public_slot.id, "school_slot": school_slot.id, "citizen_booking": citizen_booking.id,
        "class_booking": class_booking.id, "approved_class": approved_class.id, "program": program.id,
        "themed_day": themed.id, "year": scenario["day_a"].year, "last_year": today.year - 1,
        "walk_in_token": walkins.daily_token(venue.id, today), "spare_public": spare_public.id,
        "spare_school": spare_school.id, "today": today.isoformat(),
        "next_month": (today + timedelta(days=60)).isoformat(),
        "citizen_email": users["citizen"].email, "password": factories.PASSWORD, "draft": draft.id,
    }
    return World(ids=ids, users=users, data=_one_language_data())


def _sign_in(client, user: User | None) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = factories.session_id(user)
            session["_fresh"] = True


# --- the pages -------------------------------------------------------------------------------------

# (who, path, expected status). "public" pages are seen signed out.
PAGES = {
    "public": [
        ("/", 200), ("/venues", 200), ("/venues?q=nothing-matches-this", 200), ("/venues?grade=99", 400),
        ("/venues?per_page=1&page=2", 200), ("/events?page=2", 200),
        ("/venues/{venue}", 200), ("/venues/{venue}/availability", 200), ("/events", 200), ("/stats", 200),
        ("/stats/equity", 200), ("/open-data/", 200), ("/login", 200), ("/register", 200), ("/privacy", 200),
        ("/password/forgot", 200), ("/password/reset/not-a-token", 400),
        ("/walk-in/{venue}/{walk_in_token}", 200), ("/no-such-page", 404), ("/me", 302), ("/logout", 405),
    ],
    "citizen": [
        ("/me", 200), ("/me/bookings", 200), ("/me/calendar", 200), ("/me/data", 200), ("/me/delete", 200),
        ("/me/password", 200), ("/me/sessions", 200), ("/slots/{public_slot}/book", 200),
        ("/bookings/{citizen_booking}", 200), ("/bookings/{citizen_booking}/cancel", 200),
        ("/venues/{venue}", 200), ("/admin/venues", 403),
    ],
    "teacher": [
        ("/me", 200), ("/me/bookings", 200), ("/slots/{school_slot}/book", 200), ("/bookings/{class_booking}", 200),
        ("/bookings/{approved_class}", 200), ("/bookings/{approved_class}/slip", 200),
        ("/bookings/{approved_class}/cancel", 200),
    ],
    "unverified_teacher": [("/me", 200), ("/me/bookings", 200), ("/slots/{school_slot}/book", 200)],
    "venue_staff": [("/me", 200), ("/scan", 200), ("/manage/poster", 200)],
    "draft_manager": [("/me", 200), ("/manage/venue", 200), ("/venues/{draft}", 200), ("/manage/slots", 200)],
    "venue_manager": [
        ("/me", 200), ("/manage/venue", 200), ("/manage/bookings", 200),
        ("/manage/bookings/{class_booking}/decline", 200), ("/manage/partners", 200), ("/manage/programs", 200),
        ("/manage/programs/new", 200), ("/manage/programs/{program}/edit", 200), ("/manage/slots", 200),
        ("/manage/slots/new", 200), ("/manage/slots/{public_slot}", 200), ("/manage/schedules/new", 200),
        ("/manage/closures", 200), ("/manage/rules", 200), ("/manage/gates", 200), ("/manage/poster", 200),
        ("/manage/reports/{last_year}", 200), ("/manage/evaluation/{last_year}", 200),
        ("/bookings/{citizen_booking}", 200),
    ],
    "district_admin": [
        ("/me", 200), ("/admin/teachers", 200), ("/admin/teachers/{teacher_unverified}/reject", 200),
        ("/admin/schools", 200), ("/admin/schools/new", 200), ("/admin/schools/{school}/edit", 200),
        ("/admin/venues", 200), ("/admin/venues/{venue}", 200), ("/admin/equity", 200), ("/admin/reports", 200),
        ("/admin/reports?year={year}", 200), ("/admin/reports/{venue}/{last_year}", 200),
        ("/admin/evaluation?year={last_year}", 200),
    ],
    "city_admin": [
        ("/me", 200), ("/admin/venues", 200), ("/admin/venues/{venue_a}", 200), ("/admin/accreditations", 200),
        ("/admin/themed-days", 200), ("/admin/themed-days/{themed_day}", 200), ("/admin/evaluation", 200),
        ("/admin/evaluation?year={year}", 200), ("/admin/privacy/access-log", 200),
        ("/admin/reports/{venue_a}/{year}", 200), ("/admin/schools", 200), ("/admin/teachers", 200),
    ],
}


def _get(client, path: str, lang: str, mode: str = "standard", **kw):
    sep = "&" if "?" in path else "?"
    return client.get(f"{path}{sep}lang={lang}&mode={mode}", **kw)


def _report(problems: dict[str, list[str]]) -> str:
    lines = []
    for page, strings in problems.items():
        lines.append(page)
        lines.extend(f"    {s!r}" for s in strings)
    return "strings in the wrong language:\n" + "\n".join(lines)


@pytest.mark.parametrize("mode", ["standard", "elder"])
@pytest.mark.parametrize("who", list(PAGES))
def test_every_page_of_a_role_speaks_one_language(app, world, who, mode):
    problems: dict[str, list[str]] = {}
    for lang in ("zh", "en"):
        client = app.test_client()
        _sign_in(client, world.users.get(who))
        for template, status in PAGES[who]:
            path = template.format(**world.ids)
            response = _get(client, path, lang, mode, follow_redirects=True)
            expected = 200 if status == 302 else status  # a redirect is followed to the page it names
            assert response.status_code == expected, f"{who} {path}: {response.status_code}, expected {expected}"
            leaks = leaks_in_page(response.get_data(as_text=True), lang, world.data)
            if leaks:
                problems[f"[{lang}, {mode}] {who} GET {response.request.path}"] = leaks
    assert not problems, _report(problems)


# --- error states: forms posted with bad input ---------------------------------------------------------

# (who, path, form data). Each answers the form again with its errors.
BAD_POSTS = [
    ("public", "/register", {}),
    ("public", "/register", {"email": "not-an-email", "password": "short", "name": "", "phone": "12",
                             "role": "citizen"}),
    ("public", "/login", {"email": "nobody@example.com", "password": "wrong-password"}),
    ("public", "/password/forgot", {"email": ""}),
    ("citizen", "/slots/{public_slot}/book", {"party_size": "99"}),
    ("citizen", "/me/password", {"current_password": "wrong", "new_password": "x", "confirm": "y"}),
    ("teacher", "/slots/{school_slot}/book", {"students": "0", "adults": "0", "grade": "20", "class_name": ""}),
    ("venue_manager", "/manage/venue", {"name_zh": "", "latitude": "north", "opens_at": "25:99"}),
    ("venue_manager", "/manage/slots/new", {"date": "not-a-date", "starts_at": "x", "capacity": "-1"}),
    ("venue_manager", "/manage/schedules/new", {"starts_on": "2020-13-40", "sessions": "nonsense"}),
    ("venue_manager", "/manage/programs/new", {"title_zh": ""}),
    ("venue_manager", "/manage/closures", {"starts_on": "", "reason_zh": ""}),
    ("venue_manager", "/manage/rules", {"max_party_size": "abc"}),
    ("venue_manager", "/manage/partners", {"school_id": "abc"}),
    ("venue_manager", "/manage/gates", {"name": ""}),
    ("venue_manager", "/manage/bookings/{class_booking}/decline", {"reason": ""}),
    ("district_admin", "/admin/schools/new", {"name_zh": "", "kind": "nonsense"}),
    ("district_admin", "/admin/teachers/{teacher_unverified}/reject", {"reason": ""}),
    ("city_admin", "/admin/themed-days/{themed_day}", {"year": "abc", "starts_on": "x"}),
    ("city_admin", "/admin/evaluation", {"visits": "-5"}),
]


def test_forms_posted_with_bad_input_answer_in_one_language(app, world):
    problems: dict[str, list[str]] = {}
    for lang in ("zh", "en"):  # a form sent without its CSRF token (an old tab, say) is refused
        response = app.test_client().post(f"/login?lang={lang}", data={"email": "a@example.org", "password": "x"})
        assert response.status_code == 400
        leaks = leaks_in_page(response.get_data(as_text=True), lang, world.data)
        if leaks:
            problems[f"[{lang}] POST /login without a CSRF token"] = leaks
    app.config["WTF_CSRF_ENABLED"] = False
    for lang in ("zh", "en"):
        for who, template, data in BAD_POSTS:
            client = app.test_client()
            _sign_in(client, world.users.get(who))
            path = template.format(**world.ids)
            response = client.post(f"{path}?lang={lang}", data=data)
            assert response.status_code < 500, f"{who} POST {path}: {response.status_code}"
            if response.status_code in (302, 303):
                response = client.get(response.headers["Location"])
            leaks = leaks_in_page(response.get_data(as_text=True), lang, world.data)
            if leaks:
                problems[f"[{lang}] {who} POST {path} {data}"] = leaks
    assert not problems, _report(problems)


# --- actions that succeed: the page after them, with its notice ------------------------------------------

# (who, path, form data): each is posted once, in order, then its redirect followed. Typed data is
# in Chinese with no English, or in numbers, so that it is allowed on pages of both languages.
ACTIONS = [
    ("public", "/login", {"email": "{citizen_email}", "password": "{password}"}),
    ("public", "/register", {"role": "citizen", "name": "吴芳", "phone": "13900001111", "email": "new@example.org",
                             "password": "a-long-password-1", "confirm": "a-long-password-1", "consent": "y"}),
    ("public", "/password/forgot", {"email": "{citizen_email}"}),
    ("public", "/walk-in/{venue}/{walk_in_token}", {"persons": "2", "audience_group": "adult"}),
    ("citizen", "/slots/{spare_public}/book", {"party_size": "1", "request_key": "k-1"}),
    ("citizen", "/bookings/{citizen_booking}/cancel", {}),
    ("citizen", "/me/calendar", {}),
    ("citizen", "/logout", {}),
    ("teacher", "/slots/{spare_school}/book", {"class_name": "五年级3班", "grade": "5", "students": "20",
                                               "adults": "2", "request_key": "k-2"}),
    ("teacher", "/bookings/{approved_class}/headcount", {"students": "10", "adults": "2"}),
    ("venue_manager", "/manage/bookings/{class_booking}/approve", {}),
    ("venue_manager", "/manage/gates", {"name": "西门闸机"}),
    ("venue_manager", "/manage/slots/{public_slot}/capacity", {"capacity": "60"}),
    ("venue_manager", "/manage/closures", {"starts_on": "{next_month}", "ends_on": "{next_month}",
                                           "reason_zh": "检修", "reason_en": "Repairs"}),
    ("venue_manager", "/manage/venue/submit", {}),
    ("venue_manager", "/manage/programs/new", {"kind": "lab_session", "title_zh": "化学实验", "title_en": "Chemistry lab",
                                               "grade_min": "3", "grade_max": "9", "language": "zh", "is_active": "y"}),
    ("venue_staff", "/scan", {"code": "NOT-A-CODE"}),
    ("venue_staff", "/scan/walk-in", {"persons": "3", "audience_group": "senior"}),
    ("district_admin", "/admin/teachers/{teacher_unverified}/verify", {}),
    ("district_admin", "/admin/venues/{venue}/suspend", {"suspend-reason": "2026"}),
    ("district_admin", "/admin/schools/new", {"name_zh": "玄武区第二小学", "name_en": "Xuanwu No. 2 Primary",
                                              "kind": "primary", "district_code": XUANWU, "is_active": "y"}),
    ("city_admin", "/admin/venues/{venue_a}/accreditations", {"level": "city_base", "certificate_no": "NJ-2026-9",
                                                              "valid_from": "{today}", "valid_to": "{next_month}"}),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_what_a_person_sees_after_an_action_speaks_one_language(app, world, lang):
    app.config["WTF_CSRF_ENABLED"] = False
    data = world.data + ["吴芳", "五年级3班", "西门闸机", "检修", "Repairs" if lang == "zh" else "检修"]
    problems = {}
    for who, template, form in ACTIONS:
        client = app.test_client()
        _sign_in(client, world.users.get(who))
        path = template.format(**world.ids)
        response = client.post(f"{path}?lang={lang}", data={k: v.format(**world.ids) for k, v in form.items()},
                               follow_redirects=True)
        assert response.status_code < 500, f"{who} POST {path}: {response.status_code}"
        # With what the action itself created: a booking's number (hex, "ECBA" at times) is data.
        leaks = leaks_in_page(response.get_data(as_text=True), lang, data + _one_language_data())
        if leaks:
            problems[f"[{lang}] {who} POST {path} → {response.request.path}"] = leaks
    assert not problems, _report(problems)


def test_form_validation_messages_are_the_catalogs_not_wtforms_own(app, world):
    """WTForms' bundled Chinese says "无效的 Email 地址" and leaves some messages untranslated."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    page = client.post("/register?lang=zh", data={"email": "not-an-email"}).get_data(as_text=True)
    assert "电子邮箱地址无效" in page and "Email 地址" not in page
    _sign_in(client, world.users["teacher"])
    unbooked = factories.slot(audience="school", days_ahead=10, capacity=100)  # a time it offers a form for
    path = f"/slots/{unbooked.id}/book?lang=zh"
    page = client.post(path, data={"class_name": "一班", "grade": "4", "students": "0", "adults": "2"}).get_data(
        as_text=True)
    assert "应在 1 至 1000 之间" in page and "数值大小必须介于" not in page


# --- emails -------------------------------------------------------------------------------------------

def _all_emails(world: World, lang: str) -> list[tuple[str, str]]:
    """Every kind of email SciVisit sends, written for a person whose language is ``lang``:
    ``(kind, subject + body + calendar summary and description)``."""
    from app.accounts import services as accounts
    from app.bookings.notify import EVENTS, render_email
    from app.notifications.models import OutboxMessage

    for user in db.session.scalars(select(User)):
        user.locale = lang
    db.session.commit()
    messages = []
    closure = db.session.scalars(select(Closure)).first()
    with force_locale(lang):
        for booking_id in (world.ids["citizen_booking"], world.ids["class_booking"]):
            booking = db.session.get(Booking, booking_id)
            booking.decline_reason = booking.cancel_reason = "已满 / full"
            for event in EVENTS:
                subject, body, ics = render_email(booking, event, closure if event == "closure" else None)
                messages.append((f"booking_{event} ({booking.kind.value})", f"{subject}\n{body}\n{_ics_texts(ics)}"))
            db.session.rollback()
    admin = world.users["district_admin"]
    accounts.request_password_reset(world.users["citizen"].email, lambda token: f"https://example.org/r/{token}")
    unverified = db.session.get(User, world.ids["teacher_unverified"])
    accounts.verify_teacher(admin, unverified)
    other = factories.user("teacher", school=unverified.school, verified=False, name="周老师")
    other.locale = lang
    accounts.reject_teacher(admin, other, "学校名称不符 / wrong school")
    db.session.commit()
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.booking_id.is_(None))):
        messages.append((message.kind, f"{message.subject}\n{message.body}"))
    return messages


def _ics_texts(ics: str) -> str:
    """The SUMMARY, DESCRIPTION and LOCATION of every event of a calendar, unfolded and unescaped."""
    unfolded = re.sub(r"\r?\n[ \t]", "", ics)
    texts = []
    for line in unfolded.splitlines():
        name, _sep, value = line.partition(":")
        if name.split(";")[0] in ("SUMMARY", "DESCRIPTION", "LOCATION", "X-WR-CALNAME"):
            texts.append(re.sub(r"\\([,;\\])", r"\1", value).replace("\\n", "\n").replace("\\N", "\n"))
    return "\n".join(texts)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_emails_speak_the_recipients_language(app, world, lang):
    # Reasons typed by people are data: both languages, allowed in both.
    data = world.data + ["已满 / full", "学校名称不符 / wrong school", "周老师"]
    problems = {}
    emails = _all_emails(world, lang)
    assert {"password_reset", "teacher_verified", "teacher_rejected"} <= {kind for kind, _text in emails}
    for kind, text in emails:
        leaking = [line for line in text.splitlines() if leaks_in_text(line, lang, data)]
        if leaking:
            problems[f"[{lang}] email {kind}"] = leaking
    assert not problems, _report(problems)


# --- calendar files ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_calendar_entries_speak_the_interface_language(app, world, lang):
    client = app.test_client()
    _sign_in(client, world.users["citizen"])
    problems = {}
    for path in ("/bookings/{citizen_booking}/calendar.ics", "/venues/{venue}/calendar.ics", "/events/calendar.ics"):
        url = path.format(**world.ids)
        response = _get(client, url, lang)
        assert response.status_code == 200, url
        texts = _ics_texts(response.get_data(as_text=True))
        assert texts.strip(), f"{url}: no texts"
        leaking = [line for line in texts.splitlines() if leaks_in_text(line, lang, world.data)]
        if leaking:
            problems[f"[{lang}] GET {url}"] = leaking
    # A calendar program fetches the private feed with no cookie: it speaks its owner's language.
    from app.calendars import services as calendar_services

    citizen = world.users["citizen"]
    citizen.locale = lang
    token = calendar_services.issue_feed_token(citizen)
    db.session.commit()
    texts = _ics_texts(app.test_client().get(f"/calendar/{token}.ics").get_data(as_text=True))
    assert "SUMMARY" not in texts and texts.strip()
    leaking = [line for line in texts.splitlines() if leaks_in_text(line, lang, world.data)]
    if leaking:
        problems[f"[{lang}] the private feed of a person who reads {lang}"] = leaking
    assert not problems, _report(problems)


# --- spreadsheets ------------------------------------------------------------------------------------

def _workbook_strings(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    strings = []
    for sheet in book.worksheets:
        strings.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            strings.extend(v for v in row if isinstance(v, str))
    return strings


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_annual_report_spreadsheet_speaks_the_interface_language(app, world, lang):
    client = app.test_client()
    _sign_in(client, world.users["city_admin"])
    problems = {}
    for year in (world.ids["year"], world.ids["last_year"]):
        url = f"/admin/reports/{world.ids['venue_a']}/{year}.xlsx"
        response = _get(client, url, lang)
        assert response.status_code == 200
        leaking = [s for s in _workbook_strings(response.data) if leaks_in_text(s, lang, world.data)]
        if leaking:
            problems[f"[{lang}] GET {url}"] = leaking
    assert not problems, _report(problems)


def test_open_data_column_names_are_the_same_machine_names_in_both_languages(app, world):
    """The spec names the columns (``date, venue_id, venue, district, visits``): programs read them, so
    they never change with the language; the data dictionary on /open-data/ explains them in both."""
    from app.stats.opendata import DATASETS

    client = app.test_client()
    for dataset in DATASETS:
        for lang in ("zh", "en"):
            csv_text = _get(client, f"/open-data/{dataset.name}.csv", lang).get_data(as_text=True)
            assert next(csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))) == dataset.header
            book = load_workbook(io.BytesIO(_get(client, f"/open-data/{dataset.name}.xlsx", lang).data),
                                 read_only=True)
            assert [c for c in next(book.active.iter_rows(values_only=True))] == dataset.header


@pytest.mark.parametrize("lang, meaning, other", [("zh", "入馆日期（北京时间）", "Day of the visit"),
                                                  ("en", "Day of the visit", "入馆日期")])
def test_the_data_dictionary_explains_the_columns_in_the_interface_language(client, lang, meaning, other):
    html = client.get(f"/open-data/?lang={lang}").get_data(as_text=True)
    assert meaning in html and other not in html


def test_chinese_shown_on_an_english_page_for_want_of_english_is_marked_as_chinese(client):
    """A screen reader speaks it in Chinese, not as English letters (WCAG 3.1.2, language of parts)."""
    venue = factories.venue(address_zh="紫荆花路9号")
    english = client.get(f"/venues/{venue.id}?lang=en").get_data(as_text=True)
    assert '<span lang="zh-CN">紫荆花路9号</span>' in english
    assert '<span lang="zh-CN">' not in client.get(f"/venues/{venue.id}?lang=zh").get_data(as_text=True)
    translated = factories.venue(address_zh="北京东路1号", address_en="1 Beijing East Road")
    assert '<span lang="zh-CN">' not in client.get(f"/venues/{translated.id}?lang=en").get_data(as_text=True)
