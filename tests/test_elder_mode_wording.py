"""Elder mode (适老化) speaks plainly: no file formats or developer links on an older reader's pages,
a calendar offered as "add to my phone's calendar", and every day of a booking written with its year.
Standard mode keeps its links for data users and developers."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.dates import format_date

from app.stats.opendata import DATASETS
from tests import factories

JARGON = re.compile(r"\b(?:JSON|API|CSV|XLSX|OpenAPI|iCal)\b|\.ics\b|datapackage")
# The API's pages and data files; the ticket's QR picture is served from the API too, yet is anyone's.
DEVELOPER_HREF = re.compile(r"^/api/(?!v1/bookings/\d+/ticket\.png$)|\.json(?:\?|$)|\.csv(?:\?|$)|fmt=(?:json|csv)")


@pytest.fixture(autouse=True)
def _key_dir(app, tmp_path):
    app.config["TICKET_KEY_DIR"] = str(tmp_path / "ticket_keys")


class _Links(HTMLParser):
    """Every link of a page: its href and the text a reader sees (and hears) on it."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._open: list[list] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open.append([dict(attrs).get("href") or "", ""])

    def handle_data(self, data):
        for link in self._open:
            link[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open:
            href, text = self._open.pop()
            self.links.append((href, " ".join(text.split())))


def _links(response) -> list[tuple[str, str]]:
    return _Links(response.get_data(as_text=True)).links


def _jargon(response) -> list[tuple[str, str]]:
    return [(href, text) for href, text in _links(response) if JARGON.search(text) or DEVELOPER_HREF.search(href)]


def _citizen_with_booking(auth, **kw):
    citizen = factories.user("citizen")
    booking = factories.booked_visit(factories.slot(**kw), citizen)
    auth.login(citizen.email)
    return citizen, booking


def _venue_page():
    venue = factories.venue()
    factories.slot(venue)
    return f"/venues/{venue.id}"


def _booking_page(auth):
    _, booking = _citizen_with_booking(auth)
    return f"/bookings/{booking.id}"


def _step(step):
    def build(auth):
        citizen = factories.user("citizen")
        auth.login(citizen.email)
        slot = factories.slot()
        return (f"/venues/{slot.venue_id}/book?step={step}&day={slot.local_date.isoformat()}&slot={slot.id}"
                "&party_size=2&children=0")
    return build


def _signed_in(path):
    def build(auth):
        auth.login(factories.user("citizen").email)
        return path
    return build


ELDER_PAGES = {
    "home": lambda auth: "/",
    "venue": lambda auth: _venue_page(),
    "events": lambda auth: "/events",
    "statistics": lambda auth: "/stats",
    "open-data": lambda auth: "/open-data/",
    "booking": _booking_page,
    "step-day": _step("day"),
    "step-check": _step("check"),
    "my-data": _signed_in("/me/data"),
    "delete-account": _signed_in("/me/delete"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", ELDER_PAGES)
def test_elder_pages_link_to_no_file_formats_or_developer_pages(client, auth, page, lang):
    path = ELDER_PAGES[page](auth)
    response = client.get(f"{path}{'&' if '?' in path else '?'}mode=elder&lang={lang}")
    assert response.status_code == 200
    assert 'class="elder"' in response.get_data(as_text=True)
    assert _jargon(response) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("path", ["/me/data", "/me/delete"])
def test_elder_privacy_pages_name_no_file_format_or_token(client, auth, path, lang):
    auth.login(factories.user("citizen").email)
    html = client.get(path, query_string={"mode": "elder", "lang": lang}).get_data(as_text=True)
    assert not JARGON.search(html.split('<main', 1)[1])


@pytest.mark.parametrize("lang, wording", [("en", "Add to my phone’s calendar"), ("zh", "加入手机日历")])
def test_an_elder_booking_page_offers_to_add_the_visit_to_the_phone_calendar(client, auth, lang, wording):
    _, booking = _citizen_with_booking(auth)
    response = client.get(f"/bookings/{booking.id}", query_string={"mode": "elder", "lang": lang})
    assert (f"/bookings/{booking.id}/calendar.ics", wording) in _links(response)


def test_an_elder_venue_page_offers_its_open_times_for_the_phone_calendar(client):
    venue = factories.venue()
    response = client.get(f"/venues/{venue.id}", query_string={"mode": "elder", "lang": "en"})
    assert (f"/venues/{venue.id}/calendar.ics", "Add this venue’s open times to my phone’s calendar") \
        in _links(response)


def test_elder_events_page_offers_all_themed_events_for_the_phone_calendar(client):
    response = client.get("/events", query_string={"mode": "elder", "lang": "zh"})
    assert ("/events/calendar.ics", "把全部主题活动加入手机日历") in _links(response)


def test_elder_open_data_offers_each_dataset_as_a_spreadsheet_in_plain_words(client):
    response = client.get("/open-data/", query_string={"mode": "elder", "lang": "en"})
    downloads = [(href, text) for href, text in _links(response) if "/open-data/" in href and "." in href]
    assert downloads, "some datasets to download"
    assert all(href.endswith(".xlsx") and text.startswith("Download as a spreadsheet") for href, text in downloads)


def test_standard_mode_keeps_the_links_for_data_users_and_developers(client, auth):
    venue_path = _venue_page()
    hrefs = {path: [href for href, _text in _links(client.get(path, query_string={"mode": "standard"}))]
             for path in (venue_path, "/stats", "/open-data/")}
    assert "/api/v1/openapi.json" in hrefs["/stats"]  # the footer's and the dashboard's
    assert any(href.startswith("/api/v1/stats/summary") for href in hrefs[venue_path])
    assert any("fmt=json" in href or href.endswith(".json") for href in hrefs["/stats"])
    assert any(href.endswith(".csv") for href in hrefs["/open-data/"])
    assert "/open-data/datapackage.json" in hrefs["/open-data/"]
    _, booking = _citizen_with_booking(auth)
    booking_page = client.get(f"/bookings/{booking.id}", query_string={"mode": "standard", "lang": "en"})
    assert (f"/bookings/{booking.id}/calendar.ics", "Add to calendar") in _links(booking_page)


# -- the day of a visit, with its year, on every screen of the step-by-step booking ----------------

def _joined_days(html: str) -> str:
    """``html`` with each day in one piece again, as it reads: a page marks where a line may break
    between a date and its weekday (``local_day``)."""
    return re.sub(r'<span class="unbroken">(.*?)</span>|<wbr>', r"\1", html)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("step", ["day", "time", "check"])
def test_the_step_screens_write_the_day_in_full_with_its_year(client, auth, step, lang):
    auth.login(factories.user("citizen").email)
    slot = factories.slot(days_ahead=3)
    response = client.get(f"/venues/{slot.venue_id}/book", query_string={
        "step": step, "day": slot.local_date.isoformat(), "slot": slot.id, "party_size": 2, "children": 0,
        "mode": "elder", "lang": lang})
    html = _joined_days(response.get_data(as_text=True))
    full = format_date(slot.local_date, "full", locale=lang)
    assert response.status_code == 200 and 'class="step-count"' in html
    assert str(slot.local_date.year) in full
    assert '<time' in html and full in html, f"{full!r} not on the {step} screen"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_booking_made_on_the_check_screen_shows_the_day_with_its_year(client, auth, lang):
    auth.login(factories.user("citizen").email)
    slot = factories.slot(days_ahead=3)
    answers = {"step": "check", "day": slot.local_date.isoformat(), "slot": slot.id, "party_size": 2,
               "children": 0}
    client.get(f"/venues/{slot.venue_id}/book", query_string={**answers, "mode": "elder", "lang": lang})
    done = client.post(f"/venues/{slot.venue_id}/book", data={**answers, "request_key": "a" * 32},
                       follow_redirects=True)
    html = _joined_days(done.get_data(as_text=True))
    assert done.status_code == 200 and done.request.path.startswith("/bookings/")
    assert format_date(slot.local_date, "full", locale=lang) in html


def test_the_ticket_keeps_an_individual_party_count_with_its_noun(client, auth):
    _, booking = _citizen_with_booking(auth)
    html = client.get(f"/bookings/{booking.id}", query_string={"mode": "elder", "lang": "en"}).get_data(as_text=True)
    ticket = html.split('id="ticket"', 1)[1]
    assert '<span class="people-count">2 people</span>' in ticket


# -- open data in plain words: no machine names in the notes; the dictionary says what a column means -----

def _datasets(html: str) -> dict[str, str]:
    """Each dataset's section of /open-data/, by its name."""
    return {part.split('"', 1)[0]: part.split("</section>", 1)[0]
            for part in html.split('<section class="panel dataset" id="')[1:]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_elder_open_data_explains_each_dataset_without_machine_names(client, lang):
    html = client.get("/open-data/", query_string={"mode": "elder", "lang": lang}).get_data(as_text=True)
    sections = _datasets(html)
    assert set(sections) == {d.name for d in DATASETS}
    for name, section in sections.items():
        notes = section.split("<details", 1)[0]
        assert "<code" not in notes, f"{name}: machine names in its notes"
        assert not re.search(r"\bAPI\b|接口", notes), f"{name}: the API named in its notes"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_elder_data_dictionary_puts_meanings_first_and_column_names_last(client, lang):
    html = client.get("/open-data/", query_string={"mode": "elder", "lang": lang}).get_data(as_text=True)
    for dataset in DATASETS:
        dictionary = _datasets(html)[dataset.name].split("<details", 1)[1]
        rows = dictionary.split("<tbody", 1)[1].split("<tr")[1:]
        assert len(rows) == len(dataset.fields)
        for row, field in zip(rows, dataset.fields):
            meaning = row.split('<th scope="row"', 1)[1].split("</th>", 1)[0]
            assert f"<code>{field.name}</code>" not in meaning
            last = row.split("<td")[-1]
            assert 'class="column-name"' in last and f"<code>{field.name}</code>" in last, field.name
        shown = re.sub(r'<td role="cell" class="column-name">.*?</td>', "", dictionary)
        assert not re.search(r"<code>(?:integer|number|string|date|boolean)</code>", shown), "type codes"


def test_standard_open_data_keeps_the_machine_names_for_data_users(client):
    html = client.get("/open-data/", query_string={"mode": "standard", "lang": "en"}).get_data(as_text=True)
    daily = _datasets(html)["attendance-daily"]
    assert "<code>suppressed</code>" in daily.split("<details", 1)[0] and "the statistics API" in daily
    assert '<th scope="row"><code>venue_id</code></th>' in daily and "<code>integer</code>" in daily


def test_the_data_package_keeps_its_descriptions_whatever_the_mode(client):
    client.get("/open-data/", query_string={"mode": "elder"})
    resources = {r["name"]: r for r in client.get("/open-data/datapackage.json").get_json()["resources"]}
    assert "`suppressed`" in resources["attendance-daily"]["description"]
    assert "statistics API" in resources["attendance-daily"]["description"]


# -- the private calendar address in plain words -----------------------------------------------------

CALENDAR_JARGON = {"zh": re.compile(r"订阅|日历应用|网址|URL"), "en": re.compile(r"(?i)subscri|calendar program|URL\b")}


@pytest.mark.parametrize("lang, wording", [("zh", "把预约加入手机日历："), ("en", "Add your bookings to your phone’s calendar:")])
def test_elder_calendar_page_says_in_plain_words_how_to_add_bookings_to_the_phone(client, auth, lang, wording):
    auth.login(factories.user("citizen").email)
    before = client.get("/me/calendar", query_string={"mode": "elder", "lang": lang}).get_data(as_text=True)
    made = client.post("/me/calendar", data={}).get_data(as_text=True)   # the address, shown once
    again = client.get("/me/calendar").get_data(as_text=True)            # and once there is one
    for html in (before, made, again):
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        assert wording in main
        text = re.sub(r"<[^>]+>", " ", main)  # the address itself is in the input's value
        assert not CALENDAR_JARGON[lang].search(text), CALENDAR_JARGON[lang].search(text)
    assert "paste" in made or "粘贴" in made


def test_standard_calendar_page_keeps_its_wording(client, auth):
    auth.login(factories.user("citizen").email)
    html = client.get("/me/calendar", query_string={"mode": "standard", "lang": "en"}).get_data(as_text=True)
    assert "Subscribe to your SciVisit visits" in html
