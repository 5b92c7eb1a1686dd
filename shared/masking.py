"""Contact details inside free text, masked for readers who may not see them (operators).

An e-mail address is masked wherever it stands. A phone number is recognised in its
international form (``+84 236 3822 123``) or a national form starting with 0
(``090-1234-5678``, ``(03) 1234-5678``, ``03(3581)3111``, ``03/1234/5678``): 8 to 15
digits in groups joined by a hyphen (spaces around it allowed), a dot, a slash,
parentheses or spaces; numbers written one after another with only a space between
(``03-1234-5678 090-1234-5678``) each, and beside a date or a count that stays as it is
(``2026-11-30 090-1234-5678``). Right after a word of another script
(``電話03-…``), a dot after a word (``Tel.03-…``) or TEL and FAX, and in full-width digits
and hyphens (as Japanese text often writes them) too. Dates, times, decimals, versions,
ids and offsets do not look like that. Pure: no I/O.
"""

import re
import unicodedata

MASK = "***"
PHONE_DIGITS = range(8, 16)

# Tried only where a run of its characters starts, and never given back: tried at every
# character of a long run, each try reading to the run's end, a 1 MB record took most of
# an hour (and held the event loop); the leftmost match is the run's start anyway.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")

# Full-width forms (digits, hyphen, plus, parentheses, slash, dot) and the dashes people
# type between digits, one for one, so a match's place in the plain text is its place in
# the text as written (NFKC would do the same, but also turn one character into several).
_FULL_WIDTH = {code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFF01, 0xFF5F)}
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe58\ufe63"
_PLAIN = str.maketrans({**_FULL_WIDTH, 0x3000: " ", **dict.fromkeys(map(ord, _DASHES), "-")})

# Digit groups and what joins them, read in full and never given back (possessive): a
# number that is no phone as a whole is skipped whole, never read again from inside.
_JOIN = r"(?: ?- ?|[./]|\) ?| ?\(| {1,2})"
_NUMBER = re.compile(rf"(?:\+|\(?0)[0-9]++(?:{_JOIN}[0-9]++)*+")
# Where, inside such a run, another number may start: after spaces, at a group starting
# with 0 (a national number's first digit), in parentheses or not (a + starts a run of
# its own). Spaces join the groups of one number too, so a run of more digits than any
# number has may be several numbers: 03-1234-5678 090-1234-5678.
_NEXT_NUMBER = re.compile(r"(?<=[0-9]) {1,2}(?=\(?0)")
_ASCII_WORD = re.compile(r"[A-Za-z0-9_]")
_CALLED = re.compile(r"(?:^|[^A-Za-z0-9_])(?:tel|fax|phone|mobile)$", re.IGNORECASE)
# Nothing to mask without one of these (\d: any script's digits, full-width ones too).
_MAYBE = re.compile(r"[@\d]")
# A day and month, then a year: 01/02/2026, 01.02.26 (a phone's groups are not so).
_DATE = re.compile(r"0[1-9]([-./])[0-3][0-9]\1(?:19|20)?[0-9]{2}(?![0-9])")


def mask_text(text: str) -> str:
    """The text with every e-mail address and phone number replaced by the mask."""
    if not _MAYBE.search(text):
        return text  # most strings (and every field name) of an event: no @, no digit
    text = _EMAIL.sub(MASK, text)
    plain = text if text.isascii() else text.translate(_PLAIN)  # a miss costs translate()
    phones = (phone for found in _NUMBER.finditer(plain) for phone in _phones_in(plain, found))
    # The text between the numbers, joined once: cutting each number out of the whole text
    # copied all of it once per number (a megabyte of numbers took seconds).
    edges = [0, *(edge for phone in phones for edge in phone), len(text)]
    return MASK.join(text[at:to] for at, to in zip(edges[::2], edges[1::2], strict=True))


def mask_optional_text(text: str | None) -> str | None:
    """``mask_text`` of a field that may be absent."""
    return None if text is None else mask_text(text)


def _phones_in(text: str, found: re.Match[str]) -> list[tuple[int, int]]:
    """Where the phone numbers of a run of digit groups are: the whole run if it is one,
    else the numbers it is written as one after another. A part of the run that belongs to
    no number (a date, a count, the tail of an id) stays as written, and the numbers beside
    it are masked all the same."""
    start, end = found.span()
    cuts = (edge for cut in _NEXT_NUMBER.finditer(text, start, end) for edge in cut.span())
    edges = [start, *cuts, end]  # each part's start and end: the spaces between left out
    parts = list(zip(edges[::2], edges[1::2], strict=True))
    digits = [sum(char.isdigit() for char in text[at:to]) for at, to in parts]
    # A date has no spaces, so it lies inside one part: whether a number may start or end
    # at a part is the part's own, found once for it.
    opens = [_starts_free(text, at) and not _DATE.match(text, at, to) for at, to in parts]
    closes = [_ends_free(text, to) for _, to in parts]
    # following[i]: the part after the first number when parts i… are read as numbers,
    # None if they cannot be; alone[i]: the part after the longest number starting at part
    # i, whatever follows it. Filled from the run's end, each part trying only as many
    # parts as one number spans (15 digits), so a run costs its length, not its readings.
    following: list[int | None] = [None] * len(parts) + [len(parts)]
    alone: list[int | None] = [None] * len(parts)
    for first in (part for part in reversed(range(len(parts))) if opens[part]):
        count = 0
        for last in range(first, len(parts)):
            count += digits[last]
            if count > PHONE_DIGITS[-1]:
                break
            if count in PHONE_DIGITS and closes[last]:
                alone[first] = last + 1  # the longest: the whole run, if it is a number
                if following[last + 1] is not None:
                    following[first] = last + 1
    phones: list[tuple[int, int]] = []
    first = 0
    while first < len(parts):
        # A reading of the rest as numbers throughout first; else the longest number here;
        # else this part is none, and the next one is tried.
        after = following[first] if following[first] is not None else alone[first]
        if after is None:
            first += 1
            continue
        phones.append((parts[first][0], parts[after - 1][1]))
        first = after
    return phones


def _starts_free(text: str, start: int) -> bool:
    """Not the end of a word, a longer number, a decimal or a hyphenated id; a number right
    after a word of another script (電話), a dot after a word (Tel.) or TEL is free."""
    before = text[start - 1 : start] if start else ""
    further = text[start - 2 : start - 1] if start > 1 else ""
    if _ASCII_WORD.match(before) or before == "+":
        return bool(_CALLED.search(text[max(start - 7, 0) : start]))
    if before in (".", "-", "/") and further and further.isascii() and further.isdigit():
        return False  # 3.0123456789, 2026-01-0312345678
    return not (before in ("-", "/") and _ASCII_WORD.match(further))  # INQ-0312345678


def _ends_free(text: str, end: int) -> bool:
    """Not glued to a word, a decimal, a hyphenated word or a time (…09:30)."""
    after, further = text[end : end + 1], text[end + 1 : end + 2]
    if _ASCII_WORD.match(after):
        return False
    if after in (".", "-", "/") and _ASCII_WORD.match(further):
        return False
    return not (after == ":" and further.isdigit())
