"""What a browser test does often: find a string as the user sees it, move by keyboard, sign in."""
from __future__ import annotations

from flask_babel import force_locale, gettext, ngettext

from tests.factories import PASSWORD


def translate(app, msgid: str | tuple[str, str], lang: str = "zh", **params) -> str:
    """``msgid`` as the app shows it in ``lang`` (with the catalogs as compiled right now); a
    ``(singular, plural)`` pair is counted by its ``num``."""
    with app.app_context(), force_locale(lang):
        if isinstance(msgid, tuple):
            return ngettext(*msgid, **params)
        return gettext(msgid, **params)


def with_prefs(path: str, lang: str | None = None, mode: str | None = None) -> str:
    """``path`` with ``?lang=`` / ``?mode=`` added, as a user's switch link would."""
    query = "&".join(f"{key}={value}" for key, value in (("lang", lang), ("mode", mode)) if value)
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


def follow(page, locator) -> None:
    """Click a link and wait for the next page to load (styles included, before measuring anything)."""
    with page.expect_navigation():
        locator.click()


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, max_presses: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would; fail if it never does."""
    locator.wait_for()
    if is_focused(locator):
        return
    for _ in range(max_presses):
        page.keyboard.press("Tab")
        if is_focused(locator):
            assert_focus_visible(page)
            return
    raise AssertionError(f"{locator} never received focus after {max_presses} presses of Tab")


def assert_focus_visible(page) -> None:
    """The focused element shows it (an outline or a focus ring), as WCAG 2.4.7 asks."""
    style = page.evaluate("""() => {
      const s = getComputedStyle(document.activeElement);
      return {outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
              ring: s.boxShadow !== 'none', html: document.activeElement.outerHTML.slice(0, 120)};
    }""")
    assert style["outline"] or style["ring"], f"no visible focus on {style['html']}"


def log_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the real form (quickly, not by keyboard: for tests about other pages)."""
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert "/login" not in page.url, f"login as {email} failed: still on {page.url}"


# The deepest elements whose right edge passes the viewport: where a horizontal scroll comes from.
_OVERFLOW_JS = """(limit) => {
  const wide = [...document.body.querySelectorAll('*')].filter(
    el => el.getBoundingClientRect().right > limit + 0.5);
  const deepest = wide.filter(el => !wide.some(other => other !== el && el.contains(other)));
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    hasViewportMeta: !!document.querySelector('meta[name=viewport]'),
    offenders: deepest.slice(0, 5).map(
      el => `${name(el)} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`),
  };
}"""


def horizontal_overflow(page) -> dict:
    """How far the page is wider than the viewport it was given, and which elements stick out."""
    width = page.viewport_size["width"]
    found = page.evaluate(_OVERFLOW_JS, width)
    # A mobile browser widens its layout viewport to fit overflowing content, so compare with the
    # width the device really has rather than trusting innerWidth alone.
    found["viewport"] = width
    found["overflows"] = found["scrollWidth"] > min(width, found["innerWidth"])
    return found


# A table frame that scrolls sideways takes the keyboard's focus, so it must be a region with a name for a
# screen reader to announce the focus stop: its aria-labelledby's elements' text, else its aria-label.
_UNNAMED_SCROLL_REGIONS_JS = r"""() => [...document.querySelectorAll('.table-wrap[tabindex]')].filter(el => {
  const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
  const name = ids.length ? ids.map(id => document.getElementById(id)?.textContent || '').join(' ')
                          : el.getAttribute('aria-label') || '';
  return el.getAttribute('role') !== 'region' || !name.trim();
}).map(el => el.outerHTML.slice(0, 200))"""


def unnamed_scroll_regions(page) -> list[str]:
    """The start of every focusable table frame on the page that is not a region with a non-empty name."""
    return page.evaluate(_UNNAMED_SCROLL_REGIONS_JS)
