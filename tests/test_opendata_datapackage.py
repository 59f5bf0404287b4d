"""/open-data/datapackage.json: a Frictionless Data Package that ``frictionless validate`` passes."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.stats import rebuild
from app.stats.opendata import DATASETS
from tests import factories

frictionless = pytest.importorskip("frictionless")


@pytest.fixture
def package(client, app):
    factories.stats_scenario()
    rebuild.rebuild_all()
    db.session.commit()
    return client.get("/open-data/datapackage.json").get_json()


def test_every_dataset_is_a_resource_with_a_table_schema_and_the_licence(package):
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert [r["name"] for r in package["resources"]] == [d.name for d in DATASETS]
    for resource, dataset in zip(package["resources"], DATASETS):
        assert resource["format"] == "csv" and resource["mediatype"] == "text/csv" and resource["encoding"]
        assert [f["name"] for f in resource["schema"]["fields"]] == dataset.header
        for field in resource["schema"]["fields"]:
            assert field["type"] in ("integer", "number", "string", "date", "boolean")
            assert " / " in field["description"]  # Chinese / English


def test_units_are_in_the_descriptions(package):
    daily = package["resources"][0]["schema"]["fields"]
    visits = next(f for f in daily if f["name"] == "visits")
    assert "人次" in visits["description"] and "unit: persons" in visits["description"]


def test_resource_paths_are_absolute_urls_that_resolve_on_the_site(client, package):
    for resource in package["resources"]:
        url = urlsplit(resource["path"])
        assert url.scheme in ("http", "https") and url.netloc
        assert client.get(url.path).status_code == 200


def test_frictionless_validates_the_package_against_the_published_files(client, package, tmp_path):
    local = json.loads(json.dumps(package))
    for resource in local["resources"]:
        target = tmp_path / f"{resource['name']}.csv"
        target.write_bytes(client.get(urlsplit(resource["path"]).path).get_data())
        resource["path"] = target.name
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps(local, ensure_ascii=False), encoding="utf-8")
    report = frictionless.validate(str(descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(DATASETS)
