"""The upload and download views of a parent's attachments, for any service.

The views are the mechanism (stream the file in, dedupe, a ranged download, the same 404
for a file that is not there and one the caller may not read); the service passes how it
finds the parent for the caller, which is where its own rules live."""

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from shared.contracts.attachments import AttachmentInfo
from shared.documents.download import download
from shared.documents.errors import AttachmentNotFound
from shared.documents.records import Uploader
from shared.documents.store import Admits, DocumentStore, anyone
from shared.http.endpoints import ApiRoutes, principal_of, trace_of
from shared.http.uploads import FileUpload


@dataclass(frozen=True)
class Parent:
    """A parent the caller may use here: the parents whose files it shows (a merged one's
    included), and which of those files this caller may read."""

    shows: Sequence[str]
    admits: Admits = anyone


Lookup = Callable[[web.Request, str], Awaitable[Parent]]
"""Finds the parent named in the path for the caller, or raises the service's own error
(not found, not editable)."""
StoreOf = Callable[[web.Request], DocumentStore]


def attachment_views(
    routes: ApiRoutes,
    collection: str,
    *,
    name: str,
    noun: str,
    store: StoreOf,
    writable: Lookup,
    readable: Lookup,
    upload_spec: Mapping[str, Any],
    download_spec: Mapping[str, Any],
) -> None:
    """Register ``POST <collection>`` and ``GET <collection>/{attachment_id}`` on ``routes``
    as ``upload_<name>`` and ``download_<name>``; the parent is the collection's last path
    parameter. ``upload_spec`` and ``download_spec`` add the summary, access and problems."""
    param = re.findall(r"{(\w+)}", collection)[-1]

    async def upload_view(request: web.Request, upload: FileUpload) -> AttachmentInfo:
        parent_id = request.match_info[param]
        parent = await writable(request, parent_id)
        trace = trace_of(request)
        uploader = Uploader(trace.actor, principal_of(request).key_id, person=trace.by)
        return await store(request).upload(
            parent_id, upload.filename, upload.pieces, uploader, admits=parent.admits
        )

    async def download_view(request: web.Request) -> web.StreamResponse:
        parent_id, attachment_id = request.match_info[param], request.match_info["attachment_id"]
        parent = await readable(request, parent_id)
        files = store(request)
        found = await files.get(parent.shows, attachment_id)
        if found is None or not parent.admits(found):
            raise AttachmentNotFound(f"no attachment {attachment_id} on {noun} {parent_id}")
        return await download(request, files, found)

    upload_view.__name__ = f"upload_{name}"  # the OpenAPI operationId
    download_view.__name__ = f"download_{name}"
    routes.post(collection, upload="file", response=AttachmentInfo, status=201, **upload_spec)(
        upload_view
    )
    routes.get(f"{collection}/{{attachment_id}}", file_response=True, **download_spec)(
        download_view
    )
