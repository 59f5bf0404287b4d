"""Writing tables as CSV (UTF-8 with BOM, so that Excel in Chinese opens it cleanly), JSON and XLSX,
as generators of chunks: a response streams them and memory stays flat however many rows there are.

Text in them may come from anyone who names a venue, a program or a remark, and a spreadsheet runs
text that looks like a formula (OWASP "CSV injection"): in XLSX every text is a text cell, never a
formula; in CSV a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading single quote, which spreadsheets read as "this is text". JSON is data, not a sheet: as stored.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal
from typing import Callable, Iterable, Iterator, Sequence

import sqlalchemy as sa
from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from app.extensions import db

BOM = "\ufeff"
CHUNK = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def from_database(make_chunks: Callable[[sa.Connection], Iterator]) -> Iterator:
    """The chunks of ``make_chunks(connection)``, read through a database connection of their own
    while the server sends them (after the request has ended, with no app context needed): rows are
    read as they are written out. Nothing runs until the first chunk is asked for; the connection
    goes back to the pool when the response is closed, read to the end or not."""
    engine = db.engine

    def generate():
        with engine.connect() as connection:
            yield from make_chunks(connection)

    return generate()


def csv_download(header: Sequence[str], rows: Iterable[Sequence], filename: str) -> Response:
    """A CSV file to download as ``filename``, streamed (``csv_chunks``): ``rows`` must be read inside
    the request, or read their own connection (``from_database``)."""
    response = Response(csv_chunks(header, rows), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([_plain(v) for v in header])
    for row in rows:
        writer.writerow(["" if v is None else _plain(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _plain(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _json_value(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_chunks(meta: dict, header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """``{…meta, "rows": [{column: value}, …]}`` written row by row."""
    head = json.dumps(meta, ensure_ascii=False, default=str)
    yield head[:-1] + (', ' if meta else '') + '"rows": ['
    parts, size, first = [], 0, True
    for row in rows:
        text = json.dumps({k: _json_value(v) for k, v in zip(header, row)}, ensure_ascii=False)
        parts.append(text if first else "," + text)
        first = False
        size += len(text)
        if size >= CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts)


def xlsx_chunks(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> Iterator[bytes]:
    """An XLSX workbook, one sheet per ``(title, header, rows)``: openpyxl's write-only mode writes
    it to a temporary file row by row, which is then streamed and removed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="scivisit-")
    os.close(handle)
    try:
        workbook = Workbook(write_only=True)
        for title, header, rows in sheets:
            sheet = workbook.create_sheet(title=title[:31])
            sheet.append([_cell(sheet, v) for v in header])
            for row in rows:
                sheet.append([_cell(sheet, v) for v in row])
        workbook.save(path)
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _cell(sheet, value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and (value.startswith(("=", "#")) or ILLEGAL_CHARACTERS_RE.search(value)):
        # openpyxl would write "=…" as a formula and "#N/A" as an error, and stop the whole file at a
        # control character XML cannot carry: such a text goes as a text cell, without those characters.
        # Any other text openpyxl writes as text already, and a cell for each would slow a large file.
        cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell
    return value
