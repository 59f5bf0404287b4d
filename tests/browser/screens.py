"""The pages the audits visit. To audit a new page, add one ``Screen`` to ``SCREENS``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest

from tests import factories
from tests.browser.axe import KnownViolation
from tests.browser.helpers import log_in, with_prefs

LANGS = ("zh", "en")
MODES = ("standard", "elder")


@dataclass(frozen=True)
class Screen:
    name: str                                 # the test id
    path: str = ""
    build: Callable[[], str] | None = None    # makes its data with factories and returns the path
    role: str | None = None                   # sign in as a fresh user of this role first
    status: int = 200
    optional: bool = False                    # the route may not exist yet: skip while it is not 200
    # Violations already reported to whoever owns the markup: they xfail, anything else still fails.
    # e.g. known=(KnownViolation("color-contrast", 'class="badge', "badge colours, reported to ..."),)
    known: tuple[KnownViolation, ...] = ()

    def open(self, page, lang: str, mode: str):
        """Build the data, sign in if needed, and load the page in ``lang`` and ``mode``."""
        path = self.build() if self.build else self.path
        if self.role:
            log_in(page, factories.user(self.role).email)
        response = page.goto(with_prefs(path, lang, mode))
        assert response is not None, f"no response for {path}"
        if self.optional and response.status != 200:
            pytest.skip(f"{path} answers {response.status}: the page is not built yet")
        assert response.status == self.status, f"{path} answered {response.status}, expected {self.status}"
        return response


def _approved_venue() -> str:
    venue = factories.venue()
    factories.accreditation(venue)
    return f"/venues/{venue.id}"


SCREENS = [
    Screen("home", "/"),
    Screen("venues", "/venues"),
    Screen("venue", build=_approved_venue),
    Screen("login", "/login"),
    Screen("register", "/register"),
    Screen("privacy", "/privacy"),
    Screen("not-found", "/no-such-page", status=404),
    Screen("me", "/me", role="citizen"),
]


def cases() -> list:
    """Every screen in both languages and both modes, each its own test id (``home-zh-elder``)."""
    params = []
    for screen in SCREENS:
        for lang in LANGS:
            for mode in MODES:
                params.append(pytest.param(screen, lang, mode, id=f"{screen.name}-{lang}-{mode}"))
    return params
