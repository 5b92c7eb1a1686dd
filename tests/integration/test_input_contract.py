"""The shared HTTP layer validates exactly what its OpenAPI document states: one small app
built by the shared factory, on a real socket, declaring each kind of input once."""

from collections.abc import AsyncIterator
from datetime import date
from enum import StrEnum
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate
from pydantic import BaseModel, ConfigDict

from shared.auth import PUBLIC
from shared.contracts.vocabulary import AseanState, LocalTime
from shared.http.app import create_service_app
from shared.http.endpoints import ApiRoutes, Reply
from shared.http.limits import MAX_INTEGER
from shared.http.openapi import NO_NUL
from shared.http.partial import Omittable
from shared.http.uploads import FileUpload
from shared.settings import ServiceSettings
from tests.support import isolated_settings, serving

api = ApiRoutes("things")


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    flag: bool = False
    count: int = 0
    ratio: float = 0.0
    day: date | None = None
    opens: LocalTime | None = None


class ThingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Omittable[str] = None


class ThingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    colour: Colour | None = None


class CountryPath(BaseModel):
    country: AseanState


@api.post("/things", summary="Make a thing", access=PUBLIC, body=Thing, response=Thing)
async def make_thing(request: web.Request, body: Thing) -> Thing:
    return body


@api.patch("/things/mine", summary="Change a thing", access=PUBLIC, body=ThingPatch)
async def change_thing(request: web.Request, body: ThingPatch) -> Reply:
    return Reply(None, status=204)


@api.get("/things/{thing_id}", summary="Find a thing", access=PUBLIC, query=ThingQuery)
async def find_thing(request: web.Request, query: ThingQuery) -> Reply:
    return Reply(None, status=204)


@api.get(
    "/countries/{country}",
    summary="A country's things, as JSON or CSV",
    access=PUBLIC,
    path_model=CountryPath,
    also_as=("text/csv",),
)
async def country_things(request: web.Request, path: CountryPath) -> web.Response:
    return web.Response(text=f"country\n{path.country}\n", content_type="text/csv")


@api.post("/things/files", summary="Upload a file", access=PUBLIC, upload="file")
async def upload_file(request: web.Request, upload: FileUpload) -> Reply:
    async for _piece in upload.pieces:
        pass
    return Reply(None, status=204)


def create_app(settings: ServiceSettings) -> web.Application:
    return create_service_app(settings, "things", "Things", [api])


@pytest.fixture
async def things() -> AsyncIterator[TestClient[Any, Any]]:
    # No database or broker is touched: the app has no resources, only the shared routes.
    settings = isolated_settings("mongodb://127.0.0.1:9", "127.0.0.1:9")
    async with serving(create_app, settings) as client:
        yield client


async def refused_fields(response: Any) -> list[str]:
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    return [error["field"] for error in (await response.json(content_type=None))["errors"]]


class TestStrictBodies:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"flag": 0}, "body.flag"),
            ({"flag": "true"}, "body.flag"),
            ({"count": "5"}, "body.count"),
            ({"count": 5.5}, "body.count"),
            ({"ratio": False}, "body.ratio"),
            ({"count": MAX_INTEGER + 1}, "body.count"),
            ({"count": -(2**70)}, "body.count"),
            ({"day": 20270401}, "body.day"),
            ({"opens": "09:00+07:00"}, "body.opens"),
        ],
    )
    async def test_what_the_schema_refuses_is_refused(
        self, things: TestClient[Any, Any], body: dict[str, Any], field: str
    ) -> None:
        assert await refused_fields(await things.post("/things", json=body)) == [field]

    async def test_json_forms_of_numbers_dates_and_times_are_accepted(
        self, things: TestClient[Any, Any]
    ) -> None:
        body = {"count": 5.0, "ratio": 2, "day": "2027-04-01", "opens": "09:00", "flag": True}
        response = await things.post("/things", json=body)
        assert response.status == 200
        made = await response.json()
        assert made == {**body, "count": 5, "ratio": 2.0, "opens": "09:00:00"}

    async def test_a_field_left_out_is_kept_but_null_is_refused(
        self, things: TestClient[Any, Any]
    ) -> None:
        assert (await things.patch("/things/mine", json={})).status == 204
        assert await refused_fields(await things.patch("/things/mine", json={"name": None})) == [
            "body.name"
        ]


class TestParametersAndResponses:
    async def test_a_path_model_validates_the_path_and_names_it(
        self, things: TestClient[Any, Any]
    ) -> None:
        assert (await things.get("/countries/VN")).status == 200
        assert await refused_fields(await things.get("/countries/0")) == ["path.country"]

    async def test_an_empty_enum_query_value_is_refused_like_any_other(
        self, things: TestClient[Any, Any]
    ) -> None:
        assert (await things.get("/things/x", params={"colour": "red"})).status == 204
        refused = await things.get("/things/x", params={"colour": ""})
        assert await refused_fields(refused) == ["query.colour"]

    async def test_a_405_allows_only_the_methods_of_the_path_it_names(
        self, things: TestClient[Any, Any]
    ) -> None:
        # /things/mine is PATCH only, though GET /things/{thing_id} matches it too.
        response = await things.options("/things/mine")
        assert response.status == 405
        assert response.headers["Allow"] == "PATCH"
        assert (await things.options("/things/other")).headers["Allow"] == "GET"


class TestUploads:
    @pytest.mark.parametrize(
        "body",
        [
            b"\xf0\xa2\x8e\x95]\x00I--edge--\r\n",  # no starting boundary
            b"--edge\r\n\xf1\xa6\x00 not a header\r\n\r\nx\r\n--edge--\r\n",
        ],
        ids=["no boundary", "a part header that is no header"],
    )
    async def test_a_body_that_is_not_multipart_is_a_400_problem(
        self, things: TestClient[Any, Any], body: bytes
    ) -> None:
        headers = {"Content-Type": "multipart/form-data; boundary=edge"}
        response = await things.post("/things/files", data=body, headers=headers)
        assert response.status == 400
        assert response.content_type == "application/problem+json"


class TestTheDocumentSaysTheSame:
    @pytest.fixture
    async def document(self, things: TestClient[Any, Any]) -> dict[str, Any]:
        found: dict[str, Any] = await (await things.get("/openapi.json")).json()
        validate(found)
        return found

    def test_path_parameters_carry_their_schema_and_the_422(self, document: dict[str, Any]) -> None:
        operation = document["paths"]["/countries/{country}"]["get"]
        [country] = operation["parameters"]
        assert country["schema"]["enum"][:2] == ["BN", "ID"]
        assert "422" in operation["responses"]

    def test_another_representation_is_documented(self, document: dict[str, Any]) -> None:
        content = document["paths"]["/countries/{country}"]["get"]["responses"]["200"]["content"]
        assert content == {"text/csv": {"schema": {"type": "string"}}}

    def test_a_query_parameter_is_documented_without_null(self, document: dict[str, Any]) -> None:
        [colour] = document["paths"]["/things/{thing_id}"]["get"]["parameters"][1:]
        assert colour["schema"] == {"$ref": "#/components/schemas/Colour"}

    def test_numbers_times_and_omittable_fields_are_documented_as_validated(
        self, document: dict[str, Any]
    ) -> None:
        schemas = document["components"]["schemas"]
        thing = schemas["Thing"]["properties"]
        assert thing["count"]["maximum"] == MAX_INTEGER
        opens = thing["opens"]["anyOf"][0]
        assert opens["type"] == "string" and "format" not in opens
        assert opens["pattern"].endswith("?$") and "Z" not in opens["pattern"]
        name = schemas["ThingPatch"]["properties"]["name"]
        assert name == {"title": "Name", "type": "string", "pattern": NO_NUL}
