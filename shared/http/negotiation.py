"""Which of the representations a route offers the client asked for (RFC 9110 §12.5.1).

``Accept`` lists media ranges with weights: the offer matched by the most specific range
(``text/csv`` before ``text/*`` before ``*/*``) takes that range's ``q``; ``q=0`` means
"not this". The highest weight wins, a tie goes to the offer listed first (the route's
default), and so does a header that accepts none of the offers: answering the default is
kinder than a 406 to a client that asked for something this API never sends."""

from collections.abc import Sequence

from aiohttp import web

JSON = "application/json"
"""Every route's own representation, the default offer beside CSV, calendars or pages."""
_UNREADABLE_WEIGHT = 0.0


def preferred(request: web.Request, offers: Sequence[str]) -> str:
    """The offer the request's ``Accept`` weighs highest; ``offers[0]`` is the default."""
    ranges = _ranges(request.headers.get("Accept", ""))
    if not ranges:
        return offers[0]
    weighed = [(_weight(offer, ranges), -position, offer) for position, offer in enumerate(offers)]
    weight, _, best = max(weighed)
    return best if weight > 0 else offers[0]


def _ranges(header: str) -> list[tuple[str, str, float]]:
    found = []
    for item in header.split(","):
        media, *parameters = (part.strip() for part in item.split(";"))
        kind, slash, subtype = media.lower().partition("/")
        if not slash or not kind or not subtype:
            continue
        found.append((kind, subtype, _q(parameters)))
    return found


def _q(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value.strip())
            except ValueError:
                return _UNREADABLE_WEIGHT
            return weight if 0.0 <= weight <= 1.0 else _UNREADABLE_WEIGHT
    return 1.0


def _weight(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    kind, _, subtype = offer.lower().partition("/")
    best_specificity, weight = -1, 0.0
    for range_kind, range_subtype, q in ranges:
        if (range_kind, range_subtype) == (kind, subtype):
            specificity = 2
        elif (range_kind, range_subtype) == (kind, "*"):
            specificity = 1
        elif (range_kind, range_subtype) == ("*", "*"):
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, weight = specificity, q
    return weight
