"""Optimistic concurrency over HTTP: ETag carries the version, If-Match states the expected one."""

import re

from aiohttp import web

from shared.http.problems import InvalidInput, PreconditionRequired

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: web.Request, body_version: int | None) -> int | None:
    """The version the caller read: from If-Match, else the body. ``If-Match: *`` → None (any).

    A write without either is refused (428), so that no client overwrites blindly.
    """
    header = request.headers.get("If-Match")
    if header is None:
        if body_version is None:
            raise PreconditionRequired("send If-Match with the ETag you read, or a body version")
        return body_version
    if header.strip() == "*":
        return None
    match = _ENTITY_TAG.match(header.strip())
    if match is None:
        raise InvalidInput.single("header.If-Match", 'expected an entity tag such as "3"')
    return int(match.group(1))
