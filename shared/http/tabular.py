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


def csv_of(rows: Sequence[BaseModel], model: type[BaseModel]) -> str:
    """The rows under a header of the model's fields; None is an empty cell."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(model.model_fields), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.model_dump().items()})
    return out.getvalue()


def csv_response(rows: Sequence[BaseModel], model: type[BaseModel]) -> web.Response:
    return web.Response(text=csv_of(rows, model), content_type=CSV)
