"""Reports as CSV: one row per model, its fields as the header, asked for by
``Accept: text/csv`` or ``?format=csv``."""

import csv
import io
from collections.abc import Sequence

from aiohttp import web
from pydantic import BaseModel

CSV = "text/csv"


def wants_csv(request: web.Request, format: str | None) -> bool:
    """The query's ``format=csv`` or an ``Accept`` naming CSV."""
    return format == "csv" or CSV in request.headers.get("Accept", "")


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
        writer.writerow({k: "" if v is None else v for k, v in shown.items()})
    return out.getvalue()


def csv_response(
    rows: Sequence[BaseModel], model: type[BaseModel], columns: Sequence[str] | None = None
) -> web.Response:
    return web.Response(text=csv_of(rows, model, columns), content_type=CSV)
