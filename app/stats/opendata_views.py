"""/open-data/: the datasets, their dictionaries and licence, downloads streamed as CSV, JSON and
XLSX, and ``datapackage.json`` (a Frictionless Data Package describing them all)."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, Response, abort, jsonify, render_template, url_for
from markupsafe import Markup, escape

from app.api.public import public_read
from app.core.time import to_local, utcnow
from app.stats.export import csv_chunks, from_database, json_chunks, xlsx_chunks
from app.stats.opendata import (BY_NAME, DATASETS, DICTIONARY_HEADER, DICTIONARY_SHEET, LICENSE, Dataset,
                                 dictionary_rows)

bp = Blueprint("opendata", __name__, url_prefix="/open-data")

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """A dictionary text with its `machine names` as <code>, the rest escaped."""
    # Safe: the whole text is escaped first; the only markup added is our own <code> tags.
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))  # nosec B704


@bp.get("/")
def index():
    datasets = []
    for dataset in DATASETS:
        updated = dataset.updated()
        datasets.append((dataset, updated, beijing_iso(updated)))
    return render_template("opendata/index.html", datasets=datasets, license=LICENSE)


@bp.get("/<name>.<fmt>")
@public_read
def download(name: str, fmt: str):
    dataset = BY_NAME.get(name)
    if dataset is None or fmt not in FORMATS:
        abort(404)
    if fmt == "csv":
        chunks = from_database(lambda conn: csv_chunks(dataset.header, dataset.rows(conn)))
    elif fmt == "json":
        meta = _json_meta(dataset)
        chunks = from_database(lambda conn: json_chunks(meta, dataset.header, dataset.rows(conn)))
    else:
        chunks = from_database(lambda conn: xlsx_chunks([
            (dataset.name, dataset.header, dataset.rows(conn)),
            (DICTIONARY_SHEET, DICTIONARY_HEADER, dictionary_rows(dataset))]))
    response = Response(chunks, content_type=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{dataset.name}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def beijing_iso(value: datetime | None) -> str | None:
    """A stored UTC time as ISO 8601 in Beijing time with its offset (``2026-11-30T17:05:00+08:00``):
    how the files and datapackage.json state a time, matching the Beijing days of their rows."""
    return to_local(value).isoformat(timespec="seconds") if value else None


def _json_meta(dataset: Dataset) -> dict:
    return {"name": dataset.name, "title": {"zh": dataset.title_zh, "en": dataset.title_en},
            "license": LICENSE, "updated": beijing_iso(dataset.updated()),
            "generated": beijing_iso(utcnow()),
            "schema": url_for("opendata.datapackage", _external=True)}


def schema_of(dataset: Dataset) -> dict:
    """The dataset's Table Schema: field names, types, bilingual titles and descriptions with units."""
    return {
        "fields": [{"name": f.name, "type": f.type, "description": f.description} for f in dataset.fields],
        "primaryKey": list(dataset.primary_key),
        "missingValues": [""],
    }


def descriptor() -> dict:
    resources = []
    for dataset in DATASETS:
        description = f"{dataset.description_zh} / {dataset.description_en}"
        if dataset.suppression_zh:
            description += f" 数据抑制：{dataset.suppression_zh} / Suppression: {dataset.suppression_en}"
        resources.append({
            "name": dataset.name,
            "title": f"{dataset.title_zh} / {dataset.title_en}",
            "description": description,
            "path": url_for("opendata.download", name=dataset.name, fmt="csv", _external=True),
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
            "licenses": [LICENSE],
            "schema": schema_of(dataset),
        })
    updated = max(filter(None, (d.updated() for d in DATASETS)), default=None)
    package = {
        "name": "scivisit-nanjing-science-venues",
        "title": "南京科普场馆开放统计 / Nanjing science venues: open statistics",
        "description": "南京市科普场馆的入馆人次、场馆名录与主题日活动，均由验票签到记录汇总，不含个人信息。"
                       "CSV 文件中以 `=`、`+`、`-`、`@`、制表符或回车开头的文本前加一个单引号 `'`，"
                       "以免电子表格把它当作公式执行；JSON 与 XLSX 文件保留原文。 / "
                       "Visits to Nanjing's science venues, the venue registry and themed events, aggregated "
                       "from check-ins; nothing personal. In the CSV files, a text starting with `=`, `+`, `-`, "
                       "`@`, a tab or a carriage return has a single quote (`'`) put before it, so that no "
                       "spreadsheet runs it as a formula; the JSON and XLSX files keep the text as it is.",
        "homepage": url_for("opendata.index", _external=True),
        "licenses": [LICENSE],
        "resources": resources,
    }
    if updated:
        package["created"] = beijing_iso(updated)
    return package


@bp.get("/datapackage.json")
@public_read
def datapackage():
    return jsonify(descriptor())
