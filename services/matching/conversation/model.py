"""A match's thread: who may read it, who may write, and when it is open. Pure: no I/O."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from services.matching.model import MUTUAL, Match, NotAllowed
from shared.auth import Principal, Role
from shared.contracts.identity import Actor
from shared.contracts.matching import MatchMessagePosted, MessageAuthor
from shared.errors import DomainError
from shared.http.pagination import PageQuery

MESSAGE_MAX = 2000


class ThreadNotOpen(DomainError):
    """The thread opens when both sides accepted the match; before that there is none."""


class PostMessage(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"body": "Could we meet before the session on site?"}]},
    )

    body: str = Field(min_length=1, max_length=MESSAGE_MAX)


class MatchMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    match_id: str
    side: MessageAuthor
    body: str
    at: datetime
    by: str
    by_person: Actor | None = None

    def posted(self, match: Match) -> MatchMessagePosted:
        return MatchMessagePosted(
            **self.model_dump(),
            proposal_id=match.proposal_id,
            company_id=match.company_id,
            city_id=match.city_id,
        )


class MessageQuery(PageQuery):
    """Oldest first: a thread reads as a conversation."""


def member_of(match: Match, caller: Principal) -> MessageAuthor:
    """The two sides and staff read and write the thread; the country's desk, which sees
    the match, does not (403); anyone else was refused as for a match that does not exist."""
    if caller.acts_for(Role.COMPANY, match.company_id):
        return "company"
    if caller.acts_for(Role.CITY, match.city_id):
        return "city"
    if caller.is_staff:
        return "staff"
    raise NotAllowed(f"only the two sides and staff take part in the thread of {match.match_id}")


def writable(match: Match) -> None:
    if match.status not in MUTUAL:
        raise ThreadNotOpen(
            "messages can be written while both sides have accepted the match",
            match_status=match.status,
        )


def readable(match: Match) -> None:
    """A thread stays readable after the match left its list (withdrawn with its proposal):
    what was said was said. It never existed before both accepted."""
    answers = match.responses.values()
    if match.status not in MUTUAL and not (len(answers) == 2 and all(a.accepted for a in answers)):
        raise ThreadNotOpen(
            "the thread opens when both sides have accepted the match", match_status=match.status
        )
