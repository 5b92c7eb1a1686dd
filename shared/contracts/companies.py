"""Events the companies service publishes on ``jamp.companies.v1``."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import EventPayload, published_as
from shared.contracts.identity import Actor

CompanySize = Literal["micro", "small", "medium", "large"]
CompanyStatus = Literal["registered", "verified", "suspended"]


class ContactPerson(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: str
    phone: str | None = None
    title: str | None = None


class ProjectReference(BaseModel):
    """A past project the company points to as evidence of capability."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str
    country: str
    city: str | None = None
    year: int | None = None
    client: str | None = None
    description: str = ""
    tags: list[str] = []


class CompanyProfile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

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
    contact: ContactPerson
    status: CompanyStatus
    version: int
    registered_at: datetime


@published_as("jamp.company.registered.v1", stream="companies")
class CompanyRegistered(EventPayload):
    """A company registered itself (status registered, version 1)."""

    company: CompanyProfile


@published_as("jamp.company.updated.v1", stream="companies")
class CompanyUpdated(EventPayload):
    """A company changed its profile; ``changes`` holds each changed field's new value."""

    company_id: str
    version: int
    changes: dict[str, Any]
    by: str | None = None
    """The grant that made the change (added to v1 as optional: older events have none)."""
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.company.verified.v1", stream="companies")
class CompanyVerified(EventPayload):
    """An admin verified (or reinstated) a company."""

    company_id: str
    version: int
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""


@published_as("jamp.company.suspended.v1", stream="companies")
class CompanySuspended(EventPayload):
    """An admin suspended a company, with a reason."""

    company_id: str
    version: int
    by: str
    by_person: Actor | None = None
    """The person behind the key (or its label), beside the grant in ``by``."""
    reason: str
