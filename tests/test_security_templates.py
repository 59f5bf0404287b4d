"""Templates stay within the Content-Security-Policy: no inline script, style or event handler."""
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# What `script-src 'self'; style-src 'self'` (without 'unsafe-inline') would block in a browser.
BLOCKED = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*['\"]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("kind", sorted(BLOCKED))
def test_no_template_uses_what_the_content_security_policy_blocks(kind):
    hits = [f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()}"
            for path in sorted(TEMPLATES.rglob("*.html"))
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if BLOCKED[kind].search(line)]
    assert not hits, f"{kind} found (move it to static/js or static/css):\n" + "\n".join(hits)
