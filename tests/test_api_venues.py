"""GET /api/v1/venues and /api/v1/venues/<id>, JSON errors, and the OpenAPI document."""
import re
from datetime import time

import pytest

from app.venues.models import Admission, VenueStatus, VenueType
from tests import factories
from tests.factories import GULOU, XUANWU


def test_the_list_returns_approved_venues_with_paging_fields(client, app):
    factories.venue(name_zh="接口馆")
    factories.venue(name_zh="草稿馆", status=VenueStatus.DRAFT)
    body = client.get("/api/v1/venues").get_json()
    assert [v["name_zh"] for v in body["items"]] == ["接口馆"]
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)


def test_a_venue_is_described_in_full(client, app):
    venue = factories.venue(
        name_zh="全字段馆", name_en="Full Hall", venue_type=VenueType.GALLERY, district_code=XUANWU,
        latitude="32.041500", longitude="118.778100", opens_at=time(9), closes_at=time(16, 30),
        closed_weekdays="1,2", admission=Admission.DISCOUNTED, discount_zh="学生半价", grade_min=3, grade_max=9,
        contact_phone="025-84800000", website="https://hall.example", themes=["天文", "物理"],
        unverified_note="district uncertain")
    factories.accreditation(venue, level="national_base", certificate_no="N-1")
    body = client.get(f"/api/v1/venues/{venue.id}").get_json()
    assert body["type"] == "gallery" and body["operator_kind"] == "government"
    assert body["district"] == {"code": XUANWU, "name_zh": "玄武区", "name_en": "Xuanwu District"}
    assert body["latitude"] == 32.0415 and body["longitude"] == 118.7781
    assert body["themes"] == ["天文", "物理"]
    assert body["admission"] == "discounted" and body["discount"]["zh"] == "学生半价"
    assert body["opening_hours"] == {"opens_at": "09:00", "closes_at": "16:30"}
    assert body["closed_weekdays"] == [1, 2]
    assert (body["grade_min"], body["grade_max"]) == (3, 9)
    assert body["contact"]["website"] == "https://hall.example"
    assert body["accreditations"][0]["level"] == "national_base"
    assert body["accreditations"][0]["certificate_no"] == "N-1"
    assert body["unverified_note"] == "district uncertain"
    assert body["url"].endswith(f"/venues/{venue.id}")


def test_a_venue_without_coordinates_has_nulls(client, app):
    venue = factories.venue()
    body = client.get(f"/api/v1/venues/{venue.id}").get_json()
    assert body["latitude"] is None and body["longitude"] is None and body["discount"] is None


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected", "suspended"])
def test_unapproved_venues_are_not_found(client, app, status):
    venue = factories.venue(status=VenueStatus(status))
    response = client.get(f"/api/v1/venues/{venue.id}")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_every_filter_narrows_the_list(client, app):
    factories.venue(name_zh="甲", name_en="Alpha", district_code=XUANWU, venue_type=VenueType.GALLERY,
                    themes=["物理"], grade_min=1, grade_max=6)
    factories.venue(name_zh="乙", name_en="Beta", district_code=GULOU, venue_type=VenueType.OUTDOOR_SITE,
                    themes=["生物"], grade_min=7, grade_max=12, admission=Admission.DISCOUNTED, discount_zh="半价")
    cases = {f"district={GULOU}": ["乙"], "type=gallery": ["甲"], "theme=生物": ["乙"], "q=alpha": ["甲"],
             "grade=8": ["乙"], "free=1": ["甲"], "free=0": ["乙", "甲"], "per_page=1&page=2": ["甲"]}
    for query, expected in cases.items():
        items = client.get(f"/api/v1/venues?{query}").get_json()["items"]
        assert sorted(v["name_zh"] for v in items) == sorted(expected), query


@pytest.mark.parametrize("query,field", [
    ("grade=abc", "grade"), ("grade=13", "grade"), ("page=-3", "page"), ("page=0", "page"),
    ("per_page=101", "per_page"), ("per_page=0", "per_page"), ("district=999", "district"),
    ("type=spaceship", "type"), ("free=maybe", "free"), ("q=" + "x" * 101, "q"),
    ("page=99999999999999999999", "page"), ("theme=no+such+theme", "theme"),
])
def test_bad_parameters_give_a_400_naming_the_field(client, app, query, field):
    response = client.get(f"/api/v1/venues?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameter" and body["field"] == field and body["message"]


def test_the_page_numbers_the_api_takes_are_those_it_documents(client, app):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/venues"]["get"]
    schema = next(p["schema"] for p in operation["parameters"] if p["name"] == "page")
    assert client.get(f"/api/v1/venues?page={schema['maximum']}").status_code == 200
    assert client.get(f"/api/v1/venues?page={schema['maximum'] + 1}").status_code == 400


def test_unknown_routes_and_ids_under_the_api_answer_json_404(client, app):
    for url in ("/api/v1/nothing-here", "/api/v1/venues/424242", "/api/v1/venues/99999999999999999999",
                "/api/v1/venues/abc"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.get_json()["error"] == "not_found", url


def test_a_wrong_method_answers_json(client, app):
    response = client.post("/api/v1/venues")
    assert response.status_code in (400, 405)
    assert response.is_json and "error" in response.get_json()


def test_the_openapi_document_is_openapi_3_1(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["paths"]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        documented = doc["paths"].get(_openapi_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing


def test_every_reference_in_the_openapi_document_resolves(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for item in node:
                yield from refs(item)

    for ref in refs(doc):
        target = doc
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]


def test_the_openapi_document_passes_the_openapi_validator(client, app):
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get("/api/v1/openapi.json").get_json())
