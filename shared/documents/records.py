"""What the store knows of a file, and its limits: plain values and the document mapping."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.contracts.attachments import AttachmentInfo
from shared.contracts.identity import Actor
from shared.mongo import Document


@dataclass(frozen=True)
class DocumentLimits:
    max_file_bytes: int
    max_parent_bytes: int
    grace: timedelta


@dataclass(frozen=True)
class Uploader:
    """Who uploaded: the name shown everywhere, and the key that did it (for the audit)."""

    name: str
    key_id: str
    person: Actor | None = None
    """The person behind the key, recorded beside the grant."""


@dataclass(frozen=True)
class StoredDocument:
    info: AttachmentInfo
    parent: str
    references: tuple[str, ...]
    uploader_key: str

    @property
    def referenced(self) -> bool:
        return bool(self.references)


def to_milliseconds(moment: datetime) -> datetime:
    """BSON dates hold milliseconds: the answer to an upload matches what is read later."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stored_of(document: Document) -> StoredDocument:
    metadata: dict[str, Any] = document["metadata"]
    info = AttachmentInfo(
        attachment_id=str(document["_id"]),
        name=document["filename"],
        media_type=metadata["media_type"],
        size=int(document["length"]),
        sha256=metadata["sha256"],
        uploaded_by=metadata["uploaded_by"],
        uploaded_by_person=metadata.get("uploaded_by_person"),
        uploaded_at=document["uploadDate"],
    )
    return StoredDocument(
        info=info,
        parent=metadata["parent"],
        references=tuple(metadata.get("references", [])),
        uploader_key=metadata.get("uploader_key", ""),
    )
