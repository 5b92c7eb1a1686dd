"""Attachments as a mechanism: streamed upload into GridFS with limits, type sniffing and
dedupe, references from committed changes, ranged downloads, and a sweeper. Each service
decides who may read what and which of its changes refer to which files."""

from shared.documents.download import download
from shared.documents.errors import (
    AttachmentNotFound,
    DocumentError,
    EmptyDocument,
    TooLarge,
    UnknownAttachment,
    UnsupportedDocument,
)
from shared.documents.records import DocumentLimits, StoredDocument, Uploader
from shared.documents.store import DocumentStore
from shared.documents.sweeper import documents_context
from shared.errors import DomainError
from shared.http.problems import (
    InvalidReference,
    InvalidValue,
    NotFound,
    PayloadTooLarge,
    Problem,
    UnsupportedMediaType,
)

DOCUMENT_ERRORS: dict[type[DomainError], type[Problem]] = {
    TooLarge: PayloadTooLarge,
    UnsupportedDocument: UnsupportedMediaType,
    EmptyDocument: InvalidValue,
    UnknownAttachment: InvalidReference,
    AttachmentNotFound: NotFound,
}
"""Merge into a service's error map."""

__all__ = [
    "DOCUMENT_ERRORS",
    "AttachmentNotFound",
    "DocumentError",
    "DocumentLimits",
    "DocumentStore",
    "EmptyDocument",
    "StoredDocument",
    "TooLarge",
    "UnknownAttachment",
    "UnsupportedDocument",
    "Uploader",
    "documents_context",
    "download",
]
