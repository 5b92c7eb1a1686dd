"""``python -m jamp.perf.bare``: the intake baseline, a bare aiohttp handler that
validates the same pydantic command and writes a document and its companions (as many as
the service writes: key, events, history) in one transaction. No auth, no outbox, no
metrics, no middleware: what the database and the libraries cost on their own."""

import os
import uuid
from typing import Any

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError
from pymongo import AsyncMongoClient

from services.companies.model import RegisterCompany
from services.inquiries.commands import SubmitInquiry
from services.proposals.model import DraftProposal
from shared.mongo import create_client, transaction

# Each kind: its command model and how many companion documents the service writes with
# the main one (companies: key + 2 events; proposals: history + event; inquiries: 4 events
# and their 4 history entries: submitted, triaged and each SLA clock started).
KINDS: dict[str, tuple[type[BaseModel], int]] = {
    "companies": (RegisterCompany, 3),
    "proposals": (DraftProposal, 2),
    "inquiries": (SubmitInquiry, 8),
}
CLIENT = web.AppKey("client", AsyncMongoClient[dict[str, Any]])


def route(kind: str) -> Any:
    model, companions = KINDS[kind]

    async def create(request: web.Request) -> web.Response:
        try:
            command = model.model_validate_json(await request.read())
        except ValidationError as error:
            return web.json_response({"errors": error.errors(include_url=False)}, status=422)
        document = {"_id": uuid.uuid4().hex, **command.model_dump(mode="json")}
        others = [{"of": document["_id"], "n": n, "data": document} for n in range(companions)]
        database = request.app[CLIENT]["bench_bare"]
        async with transaction(request.app[CLIENT]) as session:
            await database[kind].insert_one(document, session=session)
            await database[f"{kind}_companions"].insert_many(others, session=session)
        body = orjson.dumps(document)
        return web.Response(body=body, status=201, content_type="application/json")

    return create


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def client_context(app: web.Application) -> Any:
    app[CLIENT] = create_client(os.environ["JAMP_MONGODB_URI"])
    yield
    await app[CLIENT].close()


def main() -> None:
    app = web.Application()
    app.cleanup_ctx.append(client_context)
    app.router.add_get("/healthz", healthz)
    for kind in KINDS:
        app.router.add_post(f"/{kind}", route(kind))
    web.run_app(app, host="127.0.0.1", port=int(os.environ["JAMP_HTTP_PORT"]), print=None,
                access_log=None)  # fmt: skip


if __name__ == "__main__":
    main()
