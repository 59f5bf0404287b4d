"""Real-browser plumbing: Playwright drives Debian's Chromium against a live server of the test app.

Every test in this folder is marked ``browser``. Without Chromium the whole folder is skipped with
one reason (Playwright cannot download its own browser on this network; `make browser-deps`
installs Debian's), or fails when ``REQUIRE_BROWSER_TESTS=1`` (CI). The live server serves the very
app of the ``app`` fixture, so rows built with ``tests/factories.py`` in the test body are what the
browser sees, and the database is emptied after.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

from tests.browser.axe import AXE_JS

HERE = Path(__file__).resolve().parent
SKIP_REASON = ("Chromium not installed: run `make browser-deps` (apt-get install chromium) "
               "to run the browser tests")
# Quiet, offline Chromium; runs as root in CI, hence no sandbox. Playwright adds --headless itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCALE = "zh-CN"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
TIMEOUT_MS = 15_000  # generous: CI machines run the whole suite at once


def chromium_path() -> str | None:
    """CHROMIUM_PATH if set, else Debian's /usr/bin/chromium, else `chromium` on PATH."""
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.hookimpl(tryfirst=True)  # before `-m` selection, so `-m browser` / `-m "not browser"` see the mark
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER_TESTS") == "1":  # CI: a missing browser is a failure
            pytest.fail(f"REQUIRE_BROWSER_TESTS=1: {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    return path


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # pytest reports a fixture's skip at each test's own line; point them all here instead,
    # so the summary says it once: "SKIPPED [N] tests/browser/conftest.py: Chromium not installed…".
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and SKIP_REASON in str(report.longrepr[2]):
        report.longrepr = (__file__, None, SKIP_REASON)
    return report


@pytest.fixture(autouse=True)
def _require_chromium(_chromium_executable):
    """Every test here needs the browser, even one that only uses the live server."""


@pytest.fixture(scope="session")
def browser(_chromium_executable):
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright missing: run `make install`")
    sync_api.expect.set_options(timeout=TIMEOUT_MS)
    playwright = sync_api.sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=_chromium_executable, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


class LiveServer:
    """The test app on a free local port, in a daemon thread, one thread per request."""

    def __init__(self, app):
        self.app = app
        self.errors: list[BaseException] = []
        # threaded: the browser opens several connections at once (keep-alive, CSS, favicon),
        # and Playwright's sync API blocks this test's thread while it waits on them.
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="live-server", daemon=True)  # a quick shutdown per test
        got_request_exception.connect(self._record, app)

    def _record(self, sender, exception, **extra):
        self.errors.append(exception)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        got_request_exception.disconnect(self._record, self.app)
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    """Base URL of the running app. Fails the test if any request raised (a 500 the page may hide)."""
    server = LiveServer(app).start()
    yield server.url
    server.stop()
    assert not server.errors, f"the app raised while serving the browser: {server.errors!r}"


@pytest.fixture
def new_page(browser, live_server):
    """Factory for pages, each in its own fresh context (cookies, storage) closed after the test.

    ``new_page(phone=True)`` is a 360 px phone.
    ``axe=True`` loads the accessibility audit's script into every page before the page's own, so
    ``tests/browser/axe.py`` can audit it with the Content-Security-Policy on.
    ``javascript=False`` is a browser with scripts off, for pages that must work without them.
    Relative URLs resolve against the live server: ``page.goto("/login")``.
    """
    contexts = []

    def make(phone: bool = False, locale: str = LOCALE, javascript: bool = True, axe: bool = False):
        context = browser.new_context(base_url=live_server, locale=locale,
                                      java_script_enabled=javascript, **(PHONE if phone else DESKTOP))
        context.set_default_timeout(TIMEOUT_MS)
        if axe:
            context.add_init_script(path=str(AXE_JS))
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop page (1280x800, zh-CN)."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone page (360x740, mobile, touch, 2x pixels, zh-CN)."""
    return new_page(phone=True)
