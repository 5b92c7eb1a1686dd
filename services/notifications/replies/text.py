"""What a person wrote in a reply: the new text, without quoted history or signature.

A small stripper instead of ``email-reply-parser``: that package was last released in 2020,
has no type hints and only knows English quote headers, while our requesters write in
Japanese too ("2026年11月28日(土) 10:00 Desk <…>:" or "…のメッセージ:"). Pure.
"""

import html
import re
from email import errors
from email.message import EmailMessage

from shared.documents.media import safe_name

MOST_NAMES = 20
MOST_CHARACTERS = 10_000
"""The longest reply by mail, as the longest message through the API."""
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
INVALID_TRANSFER = (
    errors.InvalidBase64CharactersDefect,
    errors.InvalidBase64PaddingDefect,
    errors.InvalidBase64LengthDefect,
)

QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^.{0,300}(書きました|のメッセージ|wrote)\s*[:\uff1a]\s*$", re.DOTALL),
    # Gmail in Japanese: "2026年11月28日(土) 10:00 Desk <desk@…>:", nothing before the colon
    re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日.{0,300}<\s*\S+@\S+\s*>\s*[:\uff1a]\s*$", re.DOTALL),
    re.compile(
        r"^\s*-{2,}\s*(Original Message|元のメッセージ|転送されたメッセージ)\s*-{2,}\s*$", re.I
    ),
    re.compile(r"^\s*(From|差出人|送信者)\s*[:\uff1a].+$"),
    re.compile(r"^\s*_{10,}\s*$"),
]
SIGNATURE = re.compile(r"^(--\s*|__+\s*|Sent from my .+|iPhoneから送信|Android.*から送信)$")


def strip_reply(text: str) -> str:
    """The reply above the first quote header, quoted block or signature delimiter."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith(">") or SIGNATURE.match(line.rstrip()):
            break
        # Gmail wraps "On …, X <x@y> wrote:" over two lines: look at the pair too.
        pair = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if any(header.match(line) or header.match(pair) for header in QUOTE_HEADERS[:3]):
            break
        if any(header.match(line) for header in QUOTE_HEADERS[3:]):
            break
        kept.append(line)
    return "\n".join(kept).strip()


class UnreadableText(ValueError):
    """A body that does not decode as it says it is encoded."""


def text_of(message: EmailMessage) -> str:
    """The plain-text body, or the HTML one with its tags dropped when there is no text;
    without control characters (a NUL, a terminal escape), which no reply needs."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except LookupError as unknown:  # a charset Python does not know
        raise UnreadableText(f"unknown character set: {part.get_content_charset()}") from unknown
    if any(isinstance(defect, INVALID_TRANSFER) for defect in part.defects):
        raise UnreadableText("the body is not the base64 it says it is")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = _html_text(content)
    return CONTROLS.sub("", content)


def _html_text(markup: str) -> str:
    """What a reader sees of an HTML body: no scripts, styles or comments, line breaks
    where blocks end, entities as the characters they stand for."""
    markup = re.sub(r"<!--.*?-->", "", markup, flags=re.DOTALL)
    markup = re.sub(r"<(script|style|head)\b.*?</\1\s*>", "", markup, flags=re.I | re.DOTALL)
    markup = re.sub(r"<(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", "\n", markup, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def attachment_names(message: EmailMessage) -> list[str]:
    """The names of the files attached to a message (the first ``MOST_NAMES``), made safe
    to show: they are the sender's words. Images inside an HTML body are not files."""
    names = []
    for part in message.iter_attachments():
        if part.get_content_disposition() == "inline" and not part.get_filename():
            continue
        names.append(safe_name(part.get_filename(), part.get_content_type()))
    return names[:MOST_NAMES]
