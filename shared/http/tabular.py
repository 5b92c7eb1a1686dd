"""Reports as CSV: one row per model, its fields as the header, asked for by
``Accept: text/csv`` or ``?format=csv``.

A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: an officer named ``=HYPERLINK(…)``) is written with a
leading apostrophe, which spreadsheets show as text (OWASP's advice on CSV injection).
Numbers stay numbers."""

import csv
import io
from collections.abc import Sequence

from aiohttp import web
from pydantic import BaseModel

from shared.http.negotiation import JSON, preferred

CSV = "text/csv"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(request: web.Request, format: str | None) -> bool:
    """The query's ``format`` when given, else whether ``Accept`` prefers CSV to JSON."""
    if format is not None:
        return format == "csv"
    return preferred(request, (JSON, CSV)) == CSV


def csv_of(
    rows: Sequence[BaseModel], model: type[BaseModel], columns: Sequence[str] | None = None
) -> str:
    """The rows under a header of the model's fields (or those ``columns`` of them, in
    that order); None is an empty cell."""
    fields = list(model.model_fields) if columns is None else list(columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        shown = row.model_dump(include=set(fields))
        writer.writerow({name: _cell(value) for name, value in shown.items()})
    return out.getvalue()


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return value


def csv_response(
    rows: Sequence[BaseModel], model: type[BaseModel], columns: Sequence[str] | None = None
) -> web.Response:
    return web.Response(text=csv_of(rows, model, columns), content_type=CSV)
