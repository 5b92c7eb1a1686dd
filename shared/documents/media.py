"""What a file is, judged from its bytes, and what it may be called. Pure."""

import codecs
import re
import unicodedata
from pathlib import PurePosixPath

import filetype

SNIFF_BYTES = 8192
"""Enough for every signature we allow, including the entries at the start of an Office ZIP."""

ALLOWED_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        "application/zip",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/tiff",
        "text/csv",
        "text/plain",
    }
)
MAX_NAME_LENGTH = 120
_UNSAFE_MARKS = frozenset('/\\:*?"<>|;$`%')
_SPACES = re.compile(r"\s+")


def sniff(head: bytes, name: str) -> str | None:
    """The media type the first bytes show, or None when it is not one we allow.

    Text has no signature: UTF-8 without control characters is plain text, or CSV when the
    name says so (a CSV is plain text whatever it is called, so trusting the name there
    exposes nothing)."""
    kind = filetype.guess_mime(head)
    if kind is not None:
        return kind if kind in ALLOWED_MEDIA_TYPES else None
    if not _is_text(head):
        return None
    return "text/csv" if name.lower().endswith(".csv") else "text/plain"


def _is_text(head: bytes) -> bool:
    # Not final: the sniffed window may end inside a multi-byte character.
    return bool(head) and TextCheck().feed(head)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # all but tab, line feeds and form feed


class TextCheck:
    """Whether a whole stream is text as ``sniff`` means it (UTF-8 without control
    characters), fed piece by piece: the sniffed head alone would let a file of 8 KiB of
    text and then a program in as plain text. Stops reading once the stream failed."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.holds = True

    def feed(self, piece: bytes, final: bool = False) -> bool:
        if self.holds:
            try:
                self.holds = not _CONTROL.search(self._decoder.decode(piece, final))
            except UnicodeDecodeError:
                self.holds = False
        return self.holds


def is_text_type(media_type: str) -> bool:
    return media_type.startswith("text/")


def _unsafe(character: str) -> bool:
    # Control and format characters (a right-to-left override can disguise "exe.pdf" as
    # "fdp.exe"), and marks that paths, shells or headers give a meaning.
    return unicodedata.category(character).startswith("C") or character in _UNSAFE_MARKS


def safe_name(declared: str | None, media_type: str) -> str:
    """A name safe in a header and on any disk: no path, no control or shell characters."""
    base = PurePosixPath((declared or "").replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join("_" if _unsafe(c) else c for c in base)
    base = _SPACES.sub(" ", base).strip(" .")
    if not base:
        base = "attachment" + _EXTENSIONS.get(media_type, "")
    return _shortened(base)


def with_true_extension(name: str, media_type: str) -> str:
    """The name with an extension that says what the bytes are: one that says otherwise
    gets the type's own appended ("run.bat", plain text, is kept as "run.bat.txt"), so a
    file saved from the desk opens as what it is, never as a script or a program."""
    extensions = _TYPE_EXTENSIONS.get(media_type)
    if extensions is None:
        return name
    _, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in extensions:
        return name
    return _shortened(f"{name}{extensions[0]}")


def _shortened(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    _, dot, suffix = name.rpartition(".")
    keep = f"{dot}{suffix}" if dot and len(suffix) <= 10 else ""
    return name[: MAX_NAME_LENGTH - len(keep)] + keep


_OFFICE_IN_ZIP = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")
# The first extension of each is the one appended. A ZIP admits the Office and
# OpenDocument names too: they are ZIPs, and a sniffer may see only that.
_TYPE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.ms-powerpoint": (".ppt",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/rtf": (".rtf",),
    "application/zip": (".zip", *_OFFICE_IN_ZIP),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/tiff": (".tif", ".tiff"),
    "text/csv": (".csv",),
    "text/plain": (".txt", ".text", ".log", ".md", ".json"),
}
_EXTENSIONS = {media_type: extensions[0] for media_type, extensions in _TYPE_EXTENSIONS.items()}
