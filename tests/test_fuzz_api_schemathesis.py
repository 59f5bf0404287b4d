"""Schemathesis against ``/api/v1/openapi.json``: requests generated from the document to every
operation, as a signed-in principal (a citizen; a gate device for check-ins; the venue's manager for
publishing slots). No answer is a 5xx, and every answer matches the document: its status code, headers
and body.

Bounded for CI (``FUZZ_EXAMPLES`` per operation, default 15: a few hundred requests in all); run the
deep variant by hand with e.g. ``FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_api_schemathesis.py``.

The operations are driven with Hypothesis directly (``operation.as_strategy()``) rather than through
schemathesis' pytest plugin, which does not run under pytest 9 (``'Function' object has no
attribute '_nodeid'``, schemathesis 4.32).
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from app.api.openapi import build_document
from schemathesis.checks import (not_a_server_error, response_headers_conformance, response_schema_conformance,
                                  status_code_conformance)
from tests import factories

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# The bounded CI run is the same every time (a failure there is a regression, not luck); the deep
# run by hand explores afresh.
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
OPERATIONS = [(method.upper(), path) for path, item in sorted(build_document()["paths"].items())
              for method in item]


def _principal(method: str, path: str) -> str:
    if path.startswith("/api/v1/checkins"):
        return "gate"
    if method == "POST" and path.endswith("/slots"):
        return "manager"
    return "citizen"


@pytest.fixture
def api_tokens(app):
    """Tokens of the principals each kind of operation is for, and some data for ids to find."""
    venue = factories.venue()
    slot = factories.slot(venue, capacity=30)
    citizen = factories.user("citizen")
    factories.confirmed_visit(slot, citizen, party_size=2)
    return {"citizen": factories.user_token(citizen), "gate": factories.gate_token(venue),
            "manager": factories.user_token(factories.user("venue_manager", venue=venue))}


def test_schemathesis_accepts_the_openapi_document(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    labels = {op.ok().label for op in schema.get_all_operations()}
    # Every operation but the document itself, which schemathesis leaves out.
    assert labels == {f"{method} {path}" for method, path in OPERATIONS} - {"GET /api/v1/openapi.json"}


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_never_fails_and_always_answers_as_documented(app, api_tokens, method, path):
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    headers = {"Authorization": f"Bearer {api_tokens[_principal(method, path)]}"}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def fuzz(case):
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance,
                                                        status_code_conformance, response_headers_conformance])

    fuzz()
