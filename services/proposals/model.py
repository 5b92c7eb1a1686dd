"""Proposals: requests, the Proposal aggregate and who may see it. Pure: no I/O."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.proposals.financing import Currency, FinancingHint, ProjectFacts, financing_hint
from services.proposals.workflow import Action, next_status
from shared.auth import Principal, Role
from shared.clock import utc_now
from shared.contracts.attachments import AttachmentInfo
from shared.contracts.identity import Actor
from shared.contracts.proposals import ProposalDetails, ProposalStatus
from shared.contracts.vocabulary import (
    UNIQUE,
    Email,
    FocusArea,
    Language,
    SolutionTag,
    taxonomy_document,
)
from shared.errors import DomainError
from shared.http.input_rules import ONE_LINE
from shared.http.pagination import PageQuery
from shared.http.partial import Omittable
from shared.versioning import Versioned

_TAXONOMY = taxonomy_document()
Stage = Literal["master_plan", "feasibility_study", "demonstration", "implementation"]
FinancingRoute = Literal[
    "smart_jamp_study", "jbic_loan", "join_investment", "oda", "own_budget", "private_investment"
]
assert set(Stage.__args__) == set(_TAXONOMY["stages"]), "taxonomy.json and Stage disagree"  # type: ignore[attr-defined]
assert set(FinancingRoute.__args__) == set(_TAXONOMY["financing"])  # type: ignore[attr-defined]

FocusAreas = Annotated[list[FocusArea], Field(min_length=1), UNIQUE]
SolutionTags = Annotated[list[SolutionTag], UNIQUE]
Financing = Annotated[list[FinancingRoute], Field(min_length=1), UNIQUE]
AttachmentIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=20, description="All the draft's files: ids of files uploaded to it"),
    UNIQUE,
]


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float = Field(gt=0)
    max: float = Field(gt=0)
    currency: Currency

    @model_validator(mode="after")
    def _ordered(self) -> "Budget":
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Timeline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> "Timeline":
        if self.start > self.end:
            raise ValueError("start must not be after end")
        return self


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    email: Email
    phone: str | None = Field(default=None, max_length=40)
    organisation: str | None = Field(default=None, max_length=200, pattern=ONE_LINE)
    language: Language | None = Field(
        default=None,
        description="The language the contact is mailed in (ISO 639-1); unset: the city's"
        " country's language where the desk has templates in it, English otherwise",
    )


Title = Annotated[str, Field(min_length=3, max_length=200, pattern=ONE_LINE)]
Description = Annotated[str, Field(min_length=20, max_length=5000)]
EXAMPLE: dict[str, Any] = {
    "title": "Flood early-warning system for the Han river basin",
    "city_id": "da-nang",
    "focus_areas": ["safety_security"],
    "tags": ["flood_control", "disaster_early_warning"],
    "stage": "feasibility_study",
    "financing": ["smart_jamp_study"],
    "budget": {"min": 300000, "max": 800000, "currency": "USD"},
    "timeline": {"start": "2027-04-01", "end": "2028-03-31"},
    "description": "Sensors, forecasting and public alerts for the districts that flood yearly.",
    "contact": {"name": "Nguyen Van An", "email": "an@danang.gov.vn", "organisation": "DOST"},
}


class ProposalFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title
    focus_areas: FocusAreas
    tags: SolutionTags = []
    stage: Stage
    financing: Financing
    budget: Budget
    timeline: Timeline
    description: Description
    private_operator: bool = Field(default=False, description="A private company would run it")
    contact: Contact


class DraftProposal(ProposalFields):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    city_id: str = Field(min_length=1, max_length=60, description="An ASCN city (GET /cities)")


class UpdateProposal(BaseModel):
    """A partial update of a draft: only the fields present change."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"stage": "demonstration", "version": 1}]},
    )

    title: Omittable[Title] = None
    focus_areas: Omittable[FocusAreas] = None
    tags: Omittable[SolutionTags] = None
    stage: Omittable[Stage] = None
    financing: Omittable[Financing] = None
    budget: Omittable[Budget] = None
    timeline: Omittable[Timeline] = None
    description: Omittable[Description] = None
    private_operator: Omittable[bool] = None
    contact: Omittable[Contact] = None
    attachments: Omittable[AttachmentIds] = None
    version: int | None = Field(default=None, description="Alternative to the If-Match header")

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=self.model_fields_set - {"version"})


class Reason(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "Budget approved by the city council"}]},
    )

    reason: str | None = Field(default=None, min_length=3, max_length=1000)


class RequiredReason(Reason):
    reason: str = Field(min_length=3, max_length=1000)


class ProposalNotFound(DomainError):
    pass


class NotEditable(DomainError):
    pass


class NotYourCity(DomainError):
    pass


class UnknownCity(DomainError):
    pass


HistoryAction = Literal["draft", "update", Action]


class HistoryEntry(BaseModel):
    """One line of a proposal's history: a transition, or an edit of its draft."""

    at: datetime
    action: HistoryAction
    by: str
    by_person: Actor | None = Field(default=None, description="The person behind the key")
    version: int
    from_status: ProposalStatus | None = None
    to_status: ProposalStatus
    reason: str | None = None
    changed: list[str] = Field(default=[], description="The fields an update changed")


class Proposal(Versioned):
    """The aggregate. Every change returns a new Proposal with the version bumped."""

    model_config = ConfigDict(frozen=True)
    noun: ClassVar[str] = "proposal"

    proposal_id: str
    city_id: str
    country: str
    title: str
    focus_areas: list[str]
    tags: list[str]
    stage: Stage
    financing: list[FinancingRoute]
    budget: Budget
    timeline: Timeline
    description: str
    private_operator: bool
    contact: Contact
    status: ProposalStatus
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = Field(
        default=None, description="When it was first submitted; null while never submitted"
    )
    attachments: tuple[AttachmentInfo, ...] = ()

    @classmethod
    def draft(cls, proposal_id: str, country: str, command: DraftProposal) -> "Proposal":
        now = utc_now()
        return cls.model_validate(
            {
                **command.model_dump(),
                "proposal_id": proposal_id,
                "country": country,
                "status": "draft",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )

    def updated(self, changes: dict[str, Any]) -> tuple[Self, dict[str, Any]]:
        """The draft with the changes applied, and the changes that really differ."""
        if self.status != "draft":
            raise NotEditable(
                f"only a draft can be edited; this proposal is {self.status}",
                current_status=self.status,
            )
        return super().updated(changes)

    def transitioned(self, action: Action) -> "Proposal":
        changes: dict[str, Any] = {"status": next_status(self.status, action)}
        if action == "submit":
            changes["submitted_at"] = utc_now().isoformat()
        return self.bumped(changes)

    @property
    def was_submitted(self) -> bool:
        """Visibility beyond the city follows this stored fact, never the current status:
        a draft withdrawn before submission must not become readable by being withdrawn."""
        return self.submitted_at is not None

    def details(self) -> ProposalDetails:
        return ProposalDetails.model_validate(self.model_dump())

    def suggested_financing(self) -> FinancingHint:
        return financing_hint(
            ProjectFacts(
                stage=self.stage,
                country=self.country,
                private_operator=self.private_operator,
                budget_max=self.budget.max,
                currency=self.budget.currency,
                wanted=frozenset(self.financing),
            )
        )


@dataclass(frozen=True)
class Visibility:
    """Which proposals a caller may see: cities their own (drafts too), desks their
    country's submitted ones, operators every submitted one, admins everything (they may
    draft on a city's behalf). "Submitted" means ever submitted (``submitted_at``), so a
    withdrawn draft stays as private as it was."""

    city_id: str | None = None
    country: str | None = None
    drafts: bool = False
    """Whether never-submitted proposals are visible (drafts and drafts withdrawn as such)."""

    @classmethod
    def of(cls, caller: Principal) -> "Visibility":
        if caller.role is Role.CITY:
            return cls(city_id=caller.scope, drafts=True)
        if caller.role is Role.DESK:
            return cls(country=caller.scope)
        return cls(drafts=caller.role is Role.ADMIN)

    def admits(self, proposal: Proposal) -> bool:
        return (
            (self.city_id is None or self.city_id == proposal.city_id)
            and (self.country is None or self.country == proposal.country)
            and (self.drafts or proposal.was_submitted)
        )


class ProposalView(Proposal):
    financing_hint: FinancingHint = Field(description="Which financing routes fit, and why")

    @classmethod
    def of(cls, proposal: Proposal) -> "ProposalView":
        return cls.model_validate(
            {**proposal.model_dump(), "financing_hint": proposal.suggested_financing()}
        )


class History(BaseModel):
    proposal_id: str
    entries: list[HistoryEntry]


class ProposalQuery(PageQuery):
    city: str | None = Field(default=None, max_length=60)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    focus_area: FocusArea | None = None
    tag: list[SolutionTag] = Field(default=[], description="Repeatable; all must match")
    stage: Stage | None = None
    financing: FinancingRoute | None = None
    status: ProposalStatus | None = None
    q: str | None = Field(default=None, max_length=200, description="Words in title or description")
