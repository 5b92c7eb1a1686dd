"""The reference rules: which ids a submission names, and when each is acceptable. Pure.

A city must exist and lie in the inquiry's country (a Thai desk cannot file for Da Nang);
a proposal must have been submitted and belong to the inquiry's country (its match
suggestions follow the link, and a desk sees only its country's proposals); a company
must exist.
"""

from dataclasses import dataclass
from typing import Literal

from services.inquiries.commands import SubmitInquiry
from shared.errors import DomainError

Kind = Literal["city", "company", "proposal"]
NOT_YET = "one registered moments ago is learnt from its stream within seconds: try again shortly"


class UnresolvedReference(DomainError):
    """A named city, company or proposal is unknown, or does not belong to the inquiry."""


@dataclass(frozen=True)
class Reference:
    kind: Kind
    id: str
    field: str
    """Where the caller wrote it, as problems name fields (``body.requester.city_id``)."""


@dataclass(frozen=True)
class Referent:
    """What the read model knows of a referenced id."""

    kind: Kind
    id: str
    country: str | None
    """The country a city or proposal lies in; companies have none here."""


def references_of(command: SubmitInquiry) -> list[Reference]:
    named: list[tuple[Kind, str | None, str]] = [
        ("company", command.requester.company_id, "body.requester.company_id"),
        ("city", command.requester.city_id, "body.requester.city_id"),
        ("city", command.city, "body.city"),
        ("proposal", command.proposal_id, "body.proposal_id"),
        ("company", command.company_id, "body.company_id"),
    ]
    return [Reference(kind, value, field) for kind, value, field in named if value is not None]


def check(reference: Reference, referent: Referent | None, country: str) -> None:
    """Accept the reference, or raise naming its field and why."""
    if referent is None:
        what = "submitted proposal" if reference.kind == "proposal" else reference.kind
        raise UnresolvedReference(
            f"no {what} {reference.id!r} is known to the desk; {NOT_YET}", field=reference.field
        )
    if referent.country is not None and referent.country != country:
        raise UnresolvedReference(
            f"{reference.kind} {reference.id!r} is in {referent.country}, "
            f"not in the inquiry's country {country}",
            field=reference.field,
        )
