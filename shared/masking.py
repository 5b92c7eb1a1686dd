"""Contact details inside free text, masked for readers who may not see them (operators).

An e-mail address is masked wherever it stands. A phone number is recognised in its
international form (``+84 236 3822 123``) or a national form starting with 0
(``090-1234-5678``, ``(03) 1234-5678``), 8 to 15 digits; dates, offsets, ids and decimals
do not look like that. Pure: no I/O.
"""

import re

MASK = "***"
PHONE_DIGITS = range(8, 16)

# Tried only where a run of its characters starts, and never given back: tried at every
# character of a long run, each try reading to the run's end, a 1 MB record took most of
# an hour (and held the event loop); the leftmost match is the run's start anyway.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
# Digit groups joined by single separators; never glued to a word, a sign or a hyphenated
# word (so no piece of a UUID or a version string), and never starting "0." (a decimal).
_PHONE = re.compile(r"(?<![\w+.-])(?:\+|\(0|0)\d+(?:[ .()-]{1,2}\d+)*(?![\w]|[.-]\w)")


def mask_text(text: str) -> str:
    """The text with every e-mail address and phone number replaced by the mask."""
    return _PHONE.sub(_phone_mask, _EMAIL.sub(MASK, text))


def mask_optional_text(text: str | None) -> str | None:
    """``mask_text`` of a field that may be absent."""
    return None if text is None else mask_text(text)


def _phone_mask(found: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in found.group())
    return MASK if digits in PHONE_DIGITS else found.group()
