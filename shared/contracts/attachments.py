"""Attachment metadata as events carry it: what a file is, never its content."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.identity import Actor


class AttachmentInfo(BaseModel):
    """A stored file: its id (for ``…/attachments/{id}``), name, sniffed type, size, hash."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    attachment_id: str
    name: str = Field(description="Sanitised file name")
    media_type: str = Field(description="Sniffed from the bytes; the declared type is ignored")
    size: int = Field(description="Bytes")
    sha256: str = Field(description="Hex SHA-256 of the bytes")
    uploaded_by: str = Field(description="The grant whose key uploaded it")
    uploaded_by_person: Actor | None = Field(
        default=None, description="The person behind that key (null for files stored before)"
    )
    uploaded_at: datetime
