"""Answer templates and the replies drafted from them. Pure: no I/O.

A template belongs to one desk (``country``), to one queue, or to both (that desk's
inquiries in that queue); it has a text per language: English, Japanese, and the desk's
local language (``local``, as an inquiry's language says it).
"""

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.inquiries.administration.config import KeptDocument
from services.inquiries.administration.queues import QueueName
from services.inquiries.answers.placeholders import filled, known_placeholders
from services.inquiries.model import Inquiry, InvalidChange
from services.inquiries.vocabulary import ASEANCountry, InquiryLanguage
from shared.contracts.identity import Actor
from shared.errors import DomainError

TemplateText = Annotated[
    str, Field(min_length=1, max_length=10_000), AfterValidator(known_placeholders)
]


class AnswerTemplateSpec(BaseModel):
    """What a template says and where it applies."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "JBIC first contact",
                    "country": "VN",
                    "texts": {
                        "en": "Dear {requester_name}, about {subject}: {officer} will answer "
                        "by {deadline}.",
                        "ja": "{requester_name} 様、「{subject}」について {officer} が "
                        "{deadline} までに回答します。",
                    },
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=120)
    country: ASEANCountry | None = Field(
        default=None, description="The desk it belongs to (a desk key: its own, always)"
    )
    queue: QueueName | None = Field(default=None, description="Only for inquiries in this queue")
    texts: dict[InquiryLanguage, TemplateText] = Field(
        min_length=1, description="en, ja and local (the desk's language): at least one"
    )


class AnswerTemplate(AnswerTemplateSpec, KeptDocument):
    template_id: str
    updated_at: datetime
    updated_by: str = Field(description="The grant that last changed it")
    updated_by_person: Actor | None = Field(
        default=None, description="The person behind that key (none for templates kept before)"
    )

    def applies_to(self, inquiry: Inquiry) -> bool:
        return self.country in (None, inquiry.country) and self.queue in (None, inquiry.queue)

    def text_in(self, language: InquiryLanguage | None, inquiry: Inquiry, field: str) -> str:
        """The text asked for; without a language, the inquiry's, else English, else any."""
        if language is not None:
            if language not in self.texts:
                has = ", ".join(sorted(self.texts))
                raise InvalidChange(
                    f"template {self.template_id} has no {language} text; it has {has}",
                    field=field,
                )
            return self.texts[language]
        for preferred in (inquiry.language, "en"):
            if preferred in self.texts:
                return self.texts[preferred]
        return next(iter(self.texts.values()))


class AnswerTemplates(BaseModel):
    items: list[AnswerTemplate]


class TemplateQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    country: ASEANCountry | None = None
    queue: QueueName | None = None


class DraftReply(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"template_id": "6b044b8467bb0a38300d67b0"}]},
    )

    template_id: str = Field(min_length=1, max_length=64)
    language: InquiryLanguage | None = Field(
        default=None, description="Without it: the inquiry's language, else English"
    )


class Draft(BaseModel):
    template_id: str
    text: str = Field(description="The filled-in text: edit it, then send it as a reply body")


def requester_name(inquiry: Inquiry) -> str:
    requester = inquiry.requester
    if requester.contact is not None:
        return requester.contact.name
    if requester.organisation is not None:
        return requester.organisation
    if requester.city_id is not None:
        return requester.city_id.replace("-", " ").title()
    return requester.company_id or ""


def rendered(text: str, inquiry: Inquiry, officer: str, time_zone: str) -> str:
    """The text for this inquiry; ``officer`` is the assigned officer or, with none, the
    person writing; the deadline is the soonest running SLA deadline in the desk's time."""
    deadline = inquiry.deadline
    local = None if deadline is None else deadline.astimezone(ZoneInfo(time_zone))
    values = {
        "requester_name": requester_name(inquiry),
        "subject": inquiry.subject,
        "officer": inquiry.officer_name or officer,
        "deadline": "" if local is None else f"{local:%Y-%m-%d %H:%M} ({time_zone})",
    }
    return filled(text, values)


class TemplateNotFound(DomainError):
    pass
