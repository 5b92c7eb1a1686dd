"""Search terms that work on every MongoDB-wire engine (no text index needed).

Latin words are lower-cased and split on non-word characters; Japanese and other CJK runs,
which have no spaces, become overlapping character bigrams, so "防災" finds "防災システム".
"""

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+|[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_STOP = frozenset({"a", "an", "and", "of", "the", "for", "to", "in", "on", "with", "by", "or"})


def terms(text: str) -> set[str]:
    """The search terms of a text: words, and bigrams of CJK runs."""
    normal = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for token in _WORD.findall(normal):
        if _CJK.match(token):
            found.update(_bigrams(token))
        elif token not in _STOP:
            found.add(token)
    return found


def _bigrams(run: str) -> set[str]:
    if len(run) == 1:
        return {run}
    return {run[i : i + 2] for i in range(len(run) - 1)}
