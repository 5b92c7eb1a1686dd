"""Triage: which queue an inquiry goes to, by category and country. Pure: no I/O.

Rules are tried in order and the first whose conditions all hold wins; a rule without a
category (or country) matches any. With no rule matching, the country's own desk queue
takes the inquiry, so every inquiry lands somewhere.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.inquiries.administration.queues import QueueName, country_desk, desk_of
from services.inquiries.vocabulary import ASEANCountry, InquiryCategory


class RoutingRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    category: InquiryCategory | None = None
    country: ASEANCountry | None = None
    queue: QueueName

    @model_validator(mode="after")
    def _own_desk_only(self) -> "RoutingRule":
        """A rule into a country desk's own queue holds for that country's inquiries only:
        without it, every other country's would be sent (and mailed) to that desk."""
        owner = desk_of(self.queue)
        if owner is not None and self.country != owner:
            raise ValueError(
                f"{self.queue!r} is the {owner} desk's own queue: the rule needs country {owner}"
            )
        return self

    def matches(self, category: str, country: str) -> bool:
        return self.category in (None, category) and self.country in (None, country)

    def shadows(self, later: "RoutingRule") -> bool:
        """Every inquiry ``later`` would match, this earlier rule takes first."""
        return self.category in (None, later.category) and self.country in (None, later.country)


class RoutingRules(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {"rules": [{"name": "loans", "category": "financing", "queue": "jbic-liaison"}]}
            ]
        },
    )

    rules: list[RoutingRule] = Field(max_length=200)
    version: int = 0

    @field_validator("rules")
    @classmethod
    def _reachable(cls, rules: list[RoutingRule]) -> list[RoutingRule]:
        """A duplicate or a rule no inquiry can reach is a mistake: refuse it by name."""
        for index, rule in enumerate(rules):
            for earlier in rules[:index]:
                if earlier.name == rule.name:
                    raise ValueError(f"rule {index} repeats the name {rule.name!r}")
                if earlier.shadows(rule):
                    raise ValueError(
                        f"rule {index} ({rule.name!r}) is never reached: "
                        f"rule {earlier.name!r} before it matches every inquiry it would"
                    )
        return rules

    def route(self, category: str, country: str) -> tuple[str, str | None]:
        """The queue, and the name of the rule that chose it (None: the country desk)."""
        for rule in self.rules:
            if rule.matches(category, country):
                return rule.queue, rule.name
        return country_desk(country), None


DEFAULT_RULES = RoutingRules(
    rules=[
        RoutingRule(name="financing", category="financing", queue="jbic-join-liaison"),
        RoutingRule(
            name="project formation", category="project_formation", queue="mlit-smart-jamp"
        ),
        RoutingRule(name="partner search", category="partner_search", queue="matching"),
    ]
)
