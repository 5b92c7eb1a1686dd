"""Companies: requests, the Company aggregate and its rules. Pure: no I/O."""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.clock import utc_now
from shared.contracts.companies import (
    CompanyProfile,
    CompanySize,
    CompanyStatus,
    ContactPerson,
    ProjectReference,
)
from shared.contracts.identity import Actor
from shared.contracts.vocabulary import UNIQUE, Country, Email, FocusArea, Language, SolutionTag
from shared.errors import DomainError
from shared.http.input_rules import ONE_LINE
from shared.http.pagination import PageQuery
from shared.http.partial import Omittable
from shared.versioning import Versioned


def corporate_number_is_valid(number: str) -> bool:
    """The National Tax Agency rule: the first of 13 digits checks the other twelve.

    check = 9 - (sum of P_n * Q_n for n = 1..12) mod 9, where P_n is the n-th digit counted
    from the right of the twelve and Q_n is 1 for odd n, 2 for even n.
    """
    if len(number) != 13 or not number.isascii() or not number.isdigit():
        return False
    body = number[1:]
    total = sum(int(digit) * (2 if n % 2 == 0 else 1) for n, digit in enumerate(reversed(body), 1))
    return int(number[0]) == 9 - total % 9


def _corporate_number(value: str) -> str:
    if not corporate_number_is_valid(value):
        raise ValueError("not a valid 13-digit corporate number (check digit mismatch)")
    return value


CorporateNumber = Annotated[str, AfterValidator(_corporate_number)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=ONE_LINE)]
FocusAreas = Annotated[list[FocusArea], Field(min_length=1), UNIQUE]
SolutionTags = Annotated[list[SolutionTag], UNIQUE]
Countries = Annotated[list[Country], UNIQUE]
Languages = Annotated[list[Language], Field(min_length=1), UNIQUE]
Statement = Annotated[str, Field(min_length=20, max_length=5000)]
References = Annotated[list["ReferenceIn"], Field(max_length=50)]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    email: Email
    phone: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=100)


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Name
    country: Country
    city: str | None = Field(default=None, max_length=100)
    year: int | None = Field(default=None, ge=1950, le=2100)
    client: str | None = Field(default=None, max_length=200)
    description: str = Field(default="", max_length=2000)
    tags: SolutionTags = []


class CompanyFields(BaseModel):
    """The profile fields a company states about itself."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_en: Name
    name_ja: str | None = Field(default=None, max_length=200, pattern=ONE_LINE)
    size: CompanySize
    focus_areas: FocusAreas
    tags: SolutionTags = []
    countries: Countries = []
    languages: Languages
    capability_statement: Statement
    references: References = []
    contact: ContactIn


EXAMPLE_REGISTRATION: dict[str, Any] = {
    "name_en": "Kaiyo Water Engineering",
    "name_ja": "海洋水道エンジニアリング株式会社",
    "corporate_number": "7000012050002",
    "size": "medium",
    "focus_areas": ["quality_environment", "safety_security"],
    "tags": ["water_supply", "flood_control"],
    "countries": ["VN", "PH", "JP"],
    "languages": ["en", "ja"],
    "capability_statement": "Design and operation of water supply networks and flood "
    "control systems for fast-growing cities.",
    "references": [
        {"title": "Non-revenue water reduction", "country": "VN", "city": "Da Nang", "year": 2022}
    ],
    "contact": {"name": "Sato Hanako", "email": "sato@example.co.jp"},
}


class RegisterCompany(CompanyFields):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_REGISTRATION]})

    corporate_number: CorporateNumber | None = Field(
        default=None, description="13 digits; optional for organisations outside Japan"
    )


class UpdateCompany(BaseModel):
    """A partial update: only the fields present change."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"tags": ["water_supply", "wastewater"], "version": 1}]},
    )

    name_en: Omittable[Name] = None
    name_ja: str | None = Field(default=None, max_length=200, pattern=ONE_LINE)
    size: Omittable[CompanySize] = None
    focus_areas: Omittable[FocusAreas] = None
    tags: Omittable[SolutionTags] = None
    countries: Omittable[Countries] = None
    languages: Omittable[Languages] = None
    capability_statement: Omittable[Statement] = None
    references: Omittable[References] = None
    contact: Omittable[ContactIn] = None
    version: int | None = Field(default=None, description="Alternative to the If-Match header")

    def changes(self) -> dict[str, Any]:
        """Each field the caller sent, with its whole new value (nested defaults included)."""
        sent = self.model_fields_set - {"version"}
        return self.model_dump(mode="json", include=sent)


class CompanyNotFound(DomainError):
    pass


class IllegalTransition(DomainError):
    pass


class CorporateNumberTaken(DomainError):
    pass


class ProfileLocked(DomainError):
    """A suspended company's profile is changed by the desk only, until it is reinstated:
    what it says is under review."""


Action = Literal["verify", "suspend"]
# Lifecycle: registered → verified → suspended, and a suspended company can be reinstated.
TRANSITIONS: dict[Action, dict[CompanyStatus, CompanyStatus]] = {
    "verify": {"registered": "verified", "suspended": "verified"},
    "suspend": {"registered": "suspended", "verified": "suspended"},
}


class CompanyRecord(BaseModel):
    """What the desk knows of a company, but for its contact person."""

    model_config = ConfigDict(frozen=True)

    company_id: str
    corporate_number: str | None
    name_en: str
    name_ja: str | None
    size: CompanySize
    focus_areas: list[str]
    tags: list[str]
    countries: list[str]
    languages: list[str]
    capability_statement: str
    references: list[ProjectReference]
    status: CompanyStatus
    version: int
    registered_at: datetime
    updated_at: datetime
    updated_by: Actor | None = Field(
        default=None,
        description="Who made the last change (registration, update, verification or"
        " suspension), with their grant and key; null for records written before",
    )


class Company(CompanyRecord, Versioned):
    """The aggregate. Every change returns a new Company with the version bumped.

    It is deliberately not the published ``CompanyProfile``: the contract is versioned
    for consumers and changes on their schedule, the aggregate on ours.
    """

    noun: ClassVar[str] = "company"
    contact: ContactPerson

    @classmethod
    def register(cls, company_id: str, command: RegisterCompany) -> "Company":
        now = utc_now()
        return cls.model_validate(
            {
                **command.model_dump(mode="json"),
                "company_id": company_id,
                "status": "registered",
                "version": 1,
                "registered_at": now,
                "updated_at": now,
            }
        )

    def check_editable(self, by_staff: bool) -> None:
        if self.status == "suspended" and not by_staff:
            raise ProfileLocked(
                "the company is suspended: its profile is changed by the desk until it is"
                " reinstated",
                current_status=self.status,
            )

    def transitioned(self, action: Action) -> "Company":
        target = TRANSITIONS[action].get(self.status)
        if target is None:
            raise IllegalTransition(
                f"cannot {action} a company that is {self.status}", current_status=self.status
            )
        return self.bumped({"status": target})

    def profile(self) -> CompanyProfile:
        return CompanyProfile.model_validate(self.model_dump())


class CompanyView(CompanyRecord):
    """A company as a reader sees it; ``contact`` only for the company itself and staff."""

    contact: ContactPerson | None = Field(
        description="Only for the company itself, operators and admins; null for others"
    )

    @classmethod
    def of(cls, company: Company, with_contact: bool) -> "CompanyView":
        return cls.model_validate(
            {**company.model_dump(), "contact": company.contact if with_contact else None}
        )


class Registration(BaseModel):
    company: CompanyView
    api_key: str = Field(description="The company's own API key, shown only this once")


class SuspendCompany(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "Registration under review"}]},
    )

    # Trimmed before its length counts, with something to see: a blank reason says nothing.
    reason: str = Field(min_length=3, max_length=500, pattern=ONE_LINE)


class CompanyQuery(PageQuery):
    focus_area: FocusArea | None = None
    tag: list[SolutionTag] = Field(default=[], description="Repeatable; all must match")
    country: Country | None = None
    status: CompanyStatus | None = None
    q: str | None = Field(default=None, max_length=200, description="Words in names or statement")
