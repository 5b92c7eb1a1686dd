"""Why an upload or an attachment reference was refused; services map these to problems."""

from shared.errors import DomainError


class DocumentError(DomainError):
    pass


class TooLarge(DocumentError):
    """Over the per-file or per-parent limit (413)."""


class UnsupportedDocument(DocumentError):
    """The bytes are not a type on the allow-list (415)."""


class EmptyDocument(DocumentError):
    """A file part with no bytes (422 naming the part)."""


class UnknownAttachment(DocumentError):
    """An id that names no attachment of this parent the caller may use (422 naming it)."""


class AttachmentNotFound(DocumentError):
    """Nothing to download under that id for this caller (404)."""
