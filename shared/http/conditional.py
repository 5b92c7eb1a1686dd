"""Optimistic concurrency over HTTP: ETag carries the version, If-Match states the expected one."""

import re

from aiohttp import web

from shared.http.problems import InvalidInput, PreconditionRequired

_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request: web.Request, body_version: int | None) -> int | None:
    """The version the caller read, from If-Match or the body. ``If-Match: *`` → None (any).

    A write without either is refused (428), so that no client overwrites blindly. When
    both are sent they must agree: a body saying 3 under ``If-Match: "5"`` is a client
    confused about what it read, and letting either win would overwrite on a guess. Under
    ``If-Match: *`` a body version still holds, as the narrower of the two preconditions.
    """
    header = request.headers.get("If-Match")
    if header is None:
        if body_version is None:
            raise PreconditionRequired("send If-Match with the ETag you read, or a body version")
        return body_version
    if header.strip() == "*":
        return body_version
    match = _ENTITY_TAG.match(header.strip())
    if match is None:
        raise InvalidInput.single("header.If-Match", 'expected an entity tag such as "3"')
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise InvalidInput.single(
            "body.version", f"is {body_version} but If-Match says {etag(version)}: send one"
        )
    return version
