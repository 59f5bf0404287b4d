"""The axe-core accessibility audit, run inside the page (vendored from npm: vendor/axe-core/)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}

_RUN = """(tags) => axe.run(document, {
  runOnly: {type: 'tag', values: tags},
  resultTypes: ['violations'],
})"""


def audit(page) -> list[dict]:
    """The page's serious and critical WCAG 2.1 A/AA violations, as axe reports them.

    The page's context must be made with ``new_page(axe=True)``: axe goes in before the page's own
    scripts, through the browser rather than as inline content, so the Content-Security-Policy stays on.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        raise RuntimeError("axe-core is not loaded: make the page with new_page(axe=True)")
    result = page.evaluate(_RUN, WCAG_TAGS)
    return [v for v in result["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict], where: str, nodes_per_rule: int = 3) -> str:
    """A report a developer can act on: rule, impact, what to do, and where it fails."""
    lines = [f"{len(violations)} serious/critical accessibility violation(s) on {where}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:nodes_per_rule]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {node['html'][:160]}")
            if summary:
                lines.append(f"       {summary[:300]}")
        if len(v["nodes"]) > nodes_per_rule:
            lines.append(f"    ... and {len(v['nodes']) - nodes_per_rule} more node(s)")
    return "\n".join(lines)


@dataclass(frozen=True)
class KnownViolation:
    """A violation already reported to the owner of the markup, matched narrowly: one rule, and
    every failing node's HTML containing ``html``. Anything else on the page still fails."""

    rule: str
    html: str
    reason: str

    def explains(self, violation: dict) -> bool:
        return violation["id"] == self.rule and all(self.html in node["html"] for node in violation["nodes"])


def assert_accessible(page, where: str | None = None, known: tuple[KnownViolation, ...] = ()) -> None:
    """Fail on any serious/critical violation; xfail when every one of them is a known one."""
    assert_all_accessible({where or page.url: page}, known)


def assert_all_accessible(pages: dict[str, object], known: tuple[KnownViolation, ...] = ()) -> None:
    """``assert_accessible`` for several pages at once (``{where: page}``): every page is audited
    before anything fails, so a report names all of them."""
    found = {where: audit(page) for where, page in pages.items()}
    unexplained = [describe(bad, where) for where, violations in found.items()
                   if (bad := [v for v in violations if not any(k.explains(v) for k in known)])]
    assert not unexplained, "\n".join(unexplained)
    if any(found.values()):
        reasons = sorted({k.reason for vs in found.values() for v in vs for k in known if k.explains(v)})
        pytest.xfail("known: " + "; ".join(reasons) + "\n" + "\n".join(
            describe(violations, where, nodes_per_rule=1) for where, violations in found.items() if violations))
