"""Search terms that work on every MongoDB-wire engine (no text index needed).

Words of any alphabet are lower-cased and folded to plain letters ("Đà Nẵng" → "da",
"nang"), so a search with or without accents finds the same. Runs of scripts written
without spaces between words (Japanese and other CJK; Thai, Lao, Khmer and Burmese of the
ASEAN desks) are indexed as single characters and overlapping bigrams; a query uses
bigrams (or the single character it is), so "防災" finds "防災システム" and "น้ำท่วม" finds
"ระบบเตือนภัยน้ำท่วม". A Thai vowel or tone mark is no letter to a regular expression:
read as a word break, it had cut words into pieces no query lined up with.

Stemming is a separate, opt-in pair (``stemmed_terms`` and ``query_alternatives``): a
document is found by its words and their English stems, and each query word matches
either, so "floods" finds "flood" and the reverse, while terms stored before stemming
(the words themselves) still match. CJK runs are never stemmed.
"""

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

import snowballstemmer

_UNSPACED_CHARS = (
    "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"  # kana, CJK ideographs
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
)
_TOKEN = re.compile(rf"[{_UNSPACED_CHARS}]+|[^\W_{_UNSPACED_CHARS}]+")
_UNSPACED = re.compile(rf"[{_UNSPACED_CHARS}]")
_STOP = frozenset({"a", "an", "and", "of", "the", "for", "to", "in", "on", "with", "by", "or"})
_UNFOLDABLE = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe"})


def terms(text: str) -> set[str]:
    """The terms a document is found by."""
    return _collect(text, lambda run: set(run) | _bigrams(run))


def query_terms(text: str) -> set[str]:
    """The terms a query must all match."""
    return _collect(text, lambda run: _bigrams(run) if len(run) > 1 else {run})


def stemmed_terms(text: str, *, single_characters: bool = True) -> set[str]:
    """``terms``, plus the English stem of each word. Without ``single_characters`` a CJK
    run longer than one character is only its bigrams (``query_terms``): for names, found
    by any two characters in a row, not by one character of a longer run."""
    found = terms(text) if single_characters else query_terms(text)
    return found | {_stem(term) for term in found if not _UNSPACED.match(term)}


def stemmed_terms_of(texts: Iterable[str], *, single_characters: bool = True) -> list[str]:
    """The stemmed terms of several texts, sorted: a terms array as stored beside a document."""
    return sorted(stemmed_terms(" ".join(texts), single_characters=single_characters))


def query_alternatives(text: str) -> list[set[str]]:
    """For each query term, the terms that satisfy it: a word or its English stem (to
    search what ``stemmed_terms`` stored); a CJK bigram stands for itself."""
    return [
        {term} if _UNSPACED.match(term) else {term, _stem(term)}
        for term in sorted(query_terms(text))
    ]


_ENGLISH = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    stem: str = _ENGLISH.stemWord(word)
    return stem


def _collect(text: str, cjk_terms: Callable[[str], set[str]]) -> set[str]:
    """Words (less stop words) as they are; each CJK run as ``cjk_terms`` makes it."""
    found: set[str] = set()
    for token in _tokens(text):
        if _UNSPACED.match(token):
            found |= cjk_terms(token)
        elif token not in _STOP:
            found.add(token)
    return found


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_fold(text))


def _fold(text: str) -> str:
    """NFKC for width variants, then strip Latin diacritics (kana voicing marks stay)."""
    normal = unicodedata.normalize("NFKC", text).lower().translate(_UNFOLDABLE)
    decomposed = unicodedata.normalize("NFD", normal)
    stripped = "".join(
        char for char in decomposed if not (unicodedata.combining(char) and _is_latin_mark(char))
    )
    return unicodedata.normalize("NFC", stripped)


def _is_latin_mark(mark: str) -> bool:
    # Combining diacritical marks block; the kana (han)dakuten live elsewhere (U+3099/309A).
    return "\u0300" <= mark <= "\u036f"


def _bigrams(run: str) -> set[str]:
    return {run[i : i + 2] for i in range(len(run) - 1)}
