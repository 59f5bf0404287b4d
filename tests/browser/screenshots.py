"""Screenshots of the main pages for the README: ``python -m tests.browser.screenshots [OUT_DIR]``.

Loads the demo into a fresh SQLite database in a temporary folder (``flask db upgrade`` and
``flask seed-demo``), serves it on a free port in a thread, and has Chromium save viewport-sized
PNGs (desktop 1280 px; a few at 360 px in elder mode) into ``docs/screenshots/``. Not a test: run by hand.
"""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
VENUE_NAME = "南京科技馆"  # the demo's manager and gate staff work here


def prepare_database(workdir: Path) -> dict:
    """Environment for an app over a new SQLite database holding the demo."""
    env = dict(os.environ, SCIVISIT_CONFIG="development", DATABASE_URL=f"sqlite:///{workdir / 'demo.db'}",
               FLASK_APP="wsgi")
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return env


def make_visits(app):
    """A citizen's booking of a future public slot (the ticket) and one of a visit under way (the gate)."""
    from sqlalchemy import select

    from app.accounts.services import user_by_email
    from app.bookings import services as booking_services
    from app.core.time import utcnow
    from app.extensions import db
    from app.scheduling.models import Audience, Slot
    from app.venues.models import Venue
    from tests import factories

    with app.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.name_zh == VENUE_NAME))
        citizen = user_by_email("citizen@scivisit.local")
        future = db.session.scalars(
            select(Slot).where(Slot.venue_id == venue.id, Slot.audience != Audience.SCHOOL,
                               Slot.starts_at > utcnow()).order_by(Slot.starts_at)).all()
        ticket = None
        for slot in future[2:]:  # a few days out: inside the booking window, past today's cut-off
            try:
                ticket = booking_services.book_individual_visit(citizen, slot, party_size=3, children=1,
                                                                guardian_confirmed=True)
                break
            except Exception:  # noqa: BLE001 - window not open yet, full...: try the next slot
                db.session.rollback()
        db.session.commit()
        gate = factories.confirmed_visit(factories.slot_at(venue), citizen, party_size=2)
        from app.checkin import tickets
        # The month with the most days of open times: the demo's 30 days from today straddle two.
        days = Counter(f"{day.year:04d}-{day.month:02d}" for day in {s.local_date for s in future})
        return {"venue": venue.id, "book_slot": future[3].id, "ticket": ticket.id,
                "gate_code": tickets.code_for_booking(gate), "calendar_month": days.most_common(1)[0][0]}


def main(out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = prepare_database(Path(tmp))
        # before anything imports config.py, which reads the environment once
        os.environ.update(SCIVISIT_CONFIG=env["SCIVISIT_CONFIG"], DATABASE_URL=env["DATABASE_URL"])
        from playwright.sync_api import sync_playwright
        from werkzeug.serving import make_server

        from app import create_app
        from app.demo.seed import DEMO_PASSWORD
        from tests.browser.conftest import CHROMIUM_ARGS, PHONE, TIMEOUT_MS, chromium_path
        from tests.browser.helpers import log_in

        app = create_app()
        for name in ("werkzeug", "scivisit.access"):  # one line per screenshot is enough
            logging.getLogger(name).setLevel(logging.WARNING)
        app.config["TICKET_KEY_DIR"] = str(Path(tmp) / "ticket_keys")
        data = make_visits(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

            def page_for(email=None, phone=False):
                viewport = PHONE if phone else {"viewport": {"width": 1280, "height": 800}}
                context = browser.new_context(base_url=base, locale="zh-CN", **viewport)
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                if email:
                    log_in(page, email, DEMO_PASSWORD)
                return page

            def shot(page, name, path=None, anchor=None):
                if path:
                    page.goto(path)
                if anchor:
                    page.locator(anchor).first.scroll_into_view_if_needed()
                page.screenshot(path=str(out / f"{name}.png"))  # the viewport, not the full page
                print(f"{name}.png  {(out / f'{name}.png').stat().st_size // 1024} KB  {page.url}")

            visitor = page_for()
            shot(visitor, "home", "/")
            shot(visitor, "venues", "/venues")
            shot(visitor, "venue-calendar", f"/venues/{data['venue']}?month={data['calendar_month']}",
                 anchor=".month-cal")
            shot(visitor, "statistics", "/stats")
            shot(visitor, "open-data", "/open-data/")

            citizen = page_for("citizen@scivisit.local")
            shot(citizen, "booking-form", f"/slots/{data['book_slot']}/book")
            shot(citizen, "ticket", f"/bookings/{data['ticket']}", anchor="#ticket")

            staff = page_for("staff@scivisit.local", phone=True)  # gate staff scan with a phone
            staff.goto("/scan")
            staff.get_by_label("票码或预约号").fill(data["gate_code"])
            staff.keyboard.press("Enter")
            staff.locator("#scan-result.tone-ok").wait_for()
            shot(staff, "phone-scanner-admitted")

            elder = page_for("citizen@scivisit.local", phone=True)
            shot(elder, "phone-elder-home", "/?mode=elder")
            shot(elder, "phone-elder-venue", f"/venues/{data['venue']}", anchor=".month-cal .day:not(.no-slots)")
            shot(elder, "phone-elder-ticket", f"/bookings/{data['ticket']}", anchor="#ticket")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshots",
                                     description="Save screenshots of the main pages, over the demo data.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=OUT,
                        help=f"folder for the PNG files (default: {OUT.relative_to(ROOT)})")
    main(parser.parse_args().out_dir)
