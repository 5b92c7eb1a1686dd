"""What callers send: the request bodies and list queries of the inquiries service."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from services.inquiries.administration.queues import QueueName
from services.inquiries.sla.clocks import SlaState
from services.inquiries.tags.names import TagChange, TagName
from services.inquiries.vocabulary import ASEANCountry, CitySlug, InquiryCategory, InquiryLanguage
from shared.contracts.inquiries import InquiryPriority, InquiryStatus
from shared.contracts.vocabulary import UNIQUE, Email, FocusArea
from shared.http.input_rules import ONE_LINE
from shared.http.moments import storable
from shared.http.pagination import PageQuery
from shared.http.partial import Omittable

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
Officer = Annotated[str, Field(min_length=1, max_length=120)]
Strict = ConfigDict(extra="forbid", str_strip_whitespace=True)
AttachmentIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(max_length=20, description="Ids of files uploaded to this inquiry"),
    UNIQUE,
]


def strict_with_example(example: dict[str, Any]) -> ConfigDict:
    """``Strict``, plus the example the API docs show (and a test validates)."""
    return ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [example]}
    )


class Contact(BaseModel):
    model_config = Strict

    name: str = Field(min_length=1, max_length=200, pattern=ONE_LINE)
    email: Email
    phone: str | None = Field(default=None, max_length=40)


class Requester(BaseModel):
    """A registered company (by id), an ASCN city (by slug) or a named organisation."""

    model_config = Strict

    kind: Literal["company", "city", "organisation"]
    company_id: str | None = Field(default=None, min_length=1, max_length=64)
    city_id: CitySlug | None = None
    organisation: str | None = Field(default=None, min_length=1, max_length=200, pattern=ONE_LINE)
    contact: Contact | None = None

    @model_validator(mode="after")
    def _identified(self) -> "Requester":
        needed = {"company": "company_id", "city": "city_id", "organisation": "organisation"}
        if getattr(self, needed[self.kind]) is None:
            raise ValueError(f"a {self.kind} requester needs {needed[self.kind]}")
        if self.kind == "organisation" and self.contact is None:
            raise ValueError("an organisation requester needs a contact")
        return self

    def identity(self) -> tuple[str, ...]:
        """Who asks: a company or a city by id, an organisation by its name and contact's
        address (two people of one organisation are two requesters)."""
        if self.kind == "organisation":
            email = self.contact.email if self.contact else ""
            return (self.kind, (self.organisation or "").casefold(), email.casefold())
        return (self.kind, self.company_id or self.city_id or "")


EXAMPLE_INQUIRY: dict[str, Any] = {
    "requester": {"kind": "city", "city_id": "da-nang"},
    "category": "partner_search",
    "country": "VN",
    "city": "da-nang",
    "subject": "Japanese partners for flood early warning",
    "body": "Da Nang looks for companies with river-level sensing and alerting experience.",
    "language": "en",
    "priority": "high",
    "focus_areas": ["safety_security"],
}


class SubmitInquiry(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [EXAMPLE_INQUIRY]}
    )

    requester: Requester
    category: InquiryCategory
    country: ASEANCountry
    city: CitySlug | None = None
    subject: str = Field(min_length=3, max_length=200, pattern=ONE_LINE)
    body: Text
    language: InquiryLanguage
    priority: InquiryPriority = "normal"
    proposal_id: str | None = Field(default=None, min_length=1, max_length=64)
    company_id: str | None = Field(default=None, min_length=1, max_length=64)
    focus_areas: Annotated[list[FocusArea], UNIQUE] = []


class PostReply(BaseModel):
    model_config = strict_with_example(
        {"body": "JBIC's Manila office can meet you on 3 December; details follow."}
    )

    body: Text | None = Field(
        default=None, description="The text; with a template_id, the edited text of the draft"
    )
    from_requester: bool = Field(
        default=False, description="A desk key relaying the requester's own answer"
    )
    attachments: AttachmentIds = []
    template_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Write the reply from this answer template (desk side)",
    )
    language: InquiryLanguage | None = Field(
        default=None, description="The template's language; without it the inquiry's"
    )

    @model_validator(mode="after")
    def _text(self) -> "PostReply":
        if self.body is None and self.template_id is None:
            raise ValueError("send a body, a template_id, or both")
        if self.language is not None and self.template_id is None:
            raise ValueError("a language chooses a template's text: send a template_id")
        return self


class PostNote(BaseModel):
    model_config = strict_with_example(
        {"body": "Checked with the JOIN liaison: equity is possible from USD 5m."}
    )

    body: Text
    attachments: AttachmentIds = []


class Assign(BaseModel):
    model_config = strict_with_example({"queue": "jbic-join-liaison", "officer": "p-3f9a1c2b7d4e"})

    queue: QueueName | None = None
    officer: Officer | None = Field(
        default=None,
        description="A person id (jamp people add); null unassigns the officer",
    )

    @model_validator(mode="after")
    def _something(self) -> "Assign":
        if self.queue is None and "officer" not in self.model_fields_set:
            raise ValueError("name a queue, an officer (null to unassign), or both")
        return self

    @property
    def unassigns(self) -> bool:
        return "officer" in self.model_fields_set and self.officer is None


class UpdateInquiry(BaseModel):
    """Staff corrections; send ``If-Match`` with the ETag you read."""

    model_config = strict_with_example({"priority": "urgent", "category": "financing"})

    # Omittable: left out keeps the value, null is refused (each is one the inquiry needs).
    priority: Omittable[InquiryPriority] = None
    category: Omittable[InquiryCategory] = None
    country: Omittable[ASEANCountry] = Field(default=None, description="Operators and admins only")
    city: Omittable[CitySlug] = None
    subject: Omittable[Annotated[str, Field(min_length=3, max_length=200, pattern=ONE_LINE)]] = None

    @model_validator(mode="after")
    def _something(self) -> "UpdateInquiry":
        if not self.changes:
            raise ValueError("name at least one of priority, category, country, city, subject")
        return self

    @property
    def changes(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.model_fields_set}


class Reason(BaseModel):
    model_config = strict_with_example({"reason": "Waiting for the city's budget figures"})

    reason: str | None = Field(default=None, max_length=1000)


class Rate(BaseModel):
    model_config = strict_with_example({"rating": 5, "comment": "Clear answer, fast."})

    rating: int = Field(ge=1, le=5, description="1 (poor) to 5 (excellent)")
    comment: str | None = Field(default=None, min_length=1, max_length=2000)


class BulkChange(BaseModel):
    """One change for many inquiries: name exactly one of assign, priority, close or tag."""

    model_config = strict_with_example(
        {
            "inquiry_ids": ["6b044b8467bb0a38300d67b0", "6b044b8467bb0a38300d67b1"],
            "assign": {"queue": "jbic-join-liaison"},
        }
    )

    inquiry_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]],
        Field(min_length=1, max_length=100),
        UNIQUE,
    ]
    assign: Assign | None = None
    priority: InquiryPriority | None = None
    close: Reason | None = None
    tag: TagChange | None = None

    @model_validator(mode="after")
    def _one_change(self) -> "BulkChange":
        changes = ("assign", "priority", "close", "tag")
        named = [f for f in changes if getattr(self, f) is not None]
        if len(named) != 1:
            raise ValueError("name exactly one of assign, priority, close or tag")
        return self


class LinkTo(BaseModel):
    model_config = strict_with_example({"inquiry_id": "6b044b8467bb0a38300d67b0"})

    inquiry_id: str = Field(min_length=1, max_length=64)


class MergeInto(BaseModel):
    model_config = strict_with_example({"into": "6b044b8467bb0a38300d67b0"})

    into: str = Field(min_length=1, max_length=64)


InquirySort = Literal["deadline", "priority", "updated"]


def _rfc3339(value: Any) -> Any:
    """A moment given as text must be an RFC 3339 date-time: a bare number is refused (pydantic
    would read it as seconds since 1970)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


Moment = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(storable)]


class InquiryFilters(BaseModel):
    """Each filter takes several values (``?status=triaged&status=assigned``): any of them
    matches; different filters must all match. A saved view keeps a set of them."""

    model_config = ConfigDict(extra="forbid")

    status: Annotated[list[InquiryStatus], UNIQUE] = Field(default_factory=list)
    queue: Annotated[list[QueueName], UNIQUE] = Field(default_factory=list)
    category: Annotated[list[InquiryCategory], UNIQUE] = Field(default_factory=list)
    country: Annotated[list[ASEANCountry], UNIQUE] = Field(default_factory=list)
    priority: Annotated[list[InquiryPriority], UNIQUE] = Field(default_factory=list)
    officer: Annotated[list[Officer], UNIQUE] = Field(default_factory=list)
    assignee: Literal["me"] | None = Field(
        default=None, description="me: the inquiries assigned to the person holding this key"
    )
    unassigned: bool = Field(default=False, description="true: only inquiries with no officer")
    sla: Annotated[list[SlaState], UNIQUE] = Field(default_factory=list)
    tag: Annotated[list[TagName], UNIQUE] = Field(
        default_factory=list, description="Desk side only: inquiries carrying any of these tags"
    )
    due_before: Moment | None = Field(
        default=None, description="Only inquiries with an SLA deadline before this moment"
    )
    q: str | None = Field(default=None, max_length=200, description="Words in subject or body")
    sort: InquirySort | None = Field(
        default=None,
        description="deadline: the soonest SLA deadline first (none last); priority: urgent "
        "first; updated: the latest change first. Without it, the newest inquiry first",
    )


class InquiryQuery(InquiryFilters, PageQuery):
    """The filters of a list, and its page."""
