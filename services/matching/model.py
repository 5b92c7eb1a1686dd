"""Matching: the Match aggregate, its response rules, and what the API reads. Pure: no I/O."""

import secrets
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.identity import Actor
from shared.contracts.matching import MatchFactor, MatchSide, MatchSummary
from shared.errors import DomainError
from shared.http.pagination import OFFSET, PageQuery

MatchStatus = Literal[
    "proposed",  # in the proposal's list; nobody answered yet
    "accepted_by_company",  # a request to the city, which has until expires_at
    "accepted_by_city",
    "accepted",  # both: contacts revealed, ready to be scheduled
    "scheduled",
    "declined",
    "withdrawn",  # left the list: veto, proposal closed, fell below the cut
    "expired",
]
UNANSWERED: frozenset[MatchStatus] = frozenset({"proposed"})
WAITING: frozenset[MatchStatus] = frozenset({"accepted_by_company", "accepted_by_city"})
MUTUAL: frozenset[MatchStatus] = frozenset({"accepted", "scheduled"})
OPEN: frozenset[MatchStatus] = UNANSWERED | WAITING
"""In a list and still open to rescoring, withdrawal and answers."""
CLOSED: frozenset[MatchStatus] = frozenset({"declined", "withdrawn", "expired"})
ANSWERABLE: frozenset[str] = frozenset({"accepted", "matched"})
"""Proposal statuses in which its matches may be answered (accepted, and once matched)."""
OFFERED: frozenset[str] = ANSWERABLE | {"closed"}
"""Proposal statuses in which its matches are offered to the companies: accepted, and on
(a proposal closes only from accepted or matched). Before, the list is a preview for the
city and staff: a proposal under review may still be rejected, and its companies neither
see it nor hear of it."""


class MatchNotFound(DomainError):
    pass


class NotAllowed(DomainError):
    """The caller's scope does not reach this proposal, company or match."""


class MatchClosed(DomainError):
    pass


class NotYetOpen(DomainError):
    """The proposal is not (or no longer) accepted: its list is a preview, not answerable."""


class AlreadyAnswered(DomainError):
    pass


class Response(BaseModel):
    model_config = ConfigDict(frozen=True)

    accepted: bool
    reason: str | None = None
    message: str | None = None
    """A word to the other side with the answer, shown on the match to both sides."""
    by: str
    by_person: Actor | None = None
    """The person behind the key that answered, beside the grant in ``by``."""
    at: datetime


class Match(BaseModel):
    """A scored, explained (company, proposal) pair and where both sides stand on it."""

    model_config = ConfigDict(frozen=True)

    match_id: str
    proposal_id: str
    company_id: str
    company_name: str
    city_id: str
    country: str
    focus_areas: list[str]
    tags: list[str]
    score: float
    rank: int = Field(description="Place in the proposal's list (1 = best); 0 once closed")
    factors: list[MatchFactor]
    version: int
    status: MatchStatus
    withdrawn_reason: str | None = None
    responses: dict[MatchSide, Response] = {}
    expires_at: datetime | None = None
    meeting_id: str | None = None
    cycle: str | None = None
    """The fiscal year of its meeting: a pair that met is not proposed again that year."""
    weights_version: str | None = None
    """The factor weights that scored it (None: scored before weights had versions)."""
    created_at: datetime
    updated_at: datetime

    def summary(self) -> MatchSummary:
        return MatchSummary.model_validate(self.model_dump())

    def offered(self, proposal_status: str | None) -> bool:
        """Whether the company may see it: its proposal accepted, and on (``OFFERED``). A
        match either side answered was offered then, whatever its proposal became since."""
        return proposal_status in OFFERED or bool(self.responses)

    def side_of(self, role: str, scope: str | None) -> MatchSide:
        """Which side a caller speaks for; anyone else may not answer."""
        if role == "company" and scope == self.company_id:
            return "company"
        if role == "city" and scope == self.city_id:
            return "city"
        raise NotAllowed(f"only the company or the city of match {self.match_id} may answer")

    def respond(self, side: MatchSide, response: Response, response_window: timedelta) -> "Match":
        if self.status in CLOSED:
            raise MatchClosed(f"the match is {self.status}", match_status=self.status)
        if side in self.responses:
            raise AlreadyAnswered(
                f"the {side} already answered this match", match_status=self.status
            )
        responses = {**self.responses, side: response}
        if not response.accepted:
            status: MatchStatus = "declined"
        elif len(responses) == 2 and all(answer.accepted for answer in responses.values()):
            status = "accepted"
        else:
            status = "accepted_by_company" if side == "company" else "accepted_by_city"
        expires = response.at + response_window if status in WAITING else None
        return self._next(status=status, responses=responses, expires_at=expires, at=response.at)

    def expired(self, now: datetime) -> bool:
        return self.status in WAITING and self.expires_at is not None and self.expires_at <= now

    @property
    def waiting_for(self) -> MatchSide:
        return "city" if self.status == "accepted_by_company" else "company"

    def _next(self, *, at: datetime, **changes: object) -> "Match":
        return self.model_copy(update={**changes, "version": self.version + 1, "updated_at": at})


def match_id_of() -> str:
    """A new pair's id: random, so an id says nothing and cannot be guessed from the pair.
    One match per pair, ever: a withdrawn pair that returns keeps its id and history."""
    return secrets.token_urlsafe(18)


class MatchQuery(PageQuery):
    position = OFFSET

    status: MatchStatus | None = None


ANSWER_MESSAGE_MAX = 1000


class Accept(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"message": "We would be glad to meet in Tokyo."}]},
    )

    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=ANSWER_MESSAGE_MAX,
        description="Optional word to the other side; shown on its match and in the event",
    )


class Decline(Accept):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "Outside our scope this year"}]},
    )

    reason: str = Field(min_length=3, max_length=500)
