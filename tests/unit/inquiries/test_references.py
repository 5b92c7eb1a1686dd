"""Which ids a submission names, and when each is accepted."""

from typing import Any

import pytest

from services.inquiries.commands import EXAMPLE_INQUIRY, SubmitInquiry
from services.inquiries.references.consumers import COMPANY_HANDLERS, PROPOSAL_HANDLERS
from services.inquiries.references.model import (
    Reference,
    Referent,
    UnresolvedReference,
    check,
    references_of,
)
from shared.consumer import Batchable
from shared.contracts.companies import CompanyRegistered


def submission(**overrides: Any) -> SubmitInquiry:
    """The API docs' example, asked by company c-1 of the Thai desk (no city unless given)."""
    requester = {"kind": "company", "company_id": "c-1"}
    changes = {"requester": requester, "country": "TH", "city": None, **overrides}
    return SubmitInquiry.model_validate({**EXAMPLE_INQUIRY, **changes})


def test_every_named_id_is_listed_with_its_field() -> None:
    named = references_of(submission(city="bangkok", proposal_id="p-1", company_id="c-2"))
    assert [(r.kind, r.id, r.field) for r in named] == [
        ("company", "c-1", "body.requester.company_id"),
        ("city", "bangkok", "body.city"),
        ("proposal", "p-1", "body.proposal_id"),
        ("company", "c-2", "body.company_id"),
    ]


def test_an_organisation_without_city_or_links_names_nothing() -> None:
    contact = {"name": "Ito", "email": "ito@jetro.go.jp"}
    organisation = {"kind": "organisation", "organisation": "JETRO", "contact": contact}
    assert references_of(submission(requester=organisation)) == []


CITY = Reference("city", "da-nang", "body.requester.city_id")


def test_an_unknown_id_is_refused_naming_its_field() -> None:
    with pytest.raises(UnresolvedReference) as refused:
        check(CITY, None, "TH")
    assert refused.value.context == {"field": "body.requester.city_id"}
    assert "try again shortly" in refused.value.detail


def test_a_city_of_another_country_is_refused() -> None:
    with pytest.raises(UnresolvedReference, match="is in VN, not in the inquiry's country TH"):
        check(CITY, Referent("city", "da-nang", "VN"), "TH")


def test_a_known_city_of_the_country_and_any_known_company_pass() -> None:
    check(CITY, Referent("city", "da-nang", "VN"), "VN")
    company = Reference("company", "c-1", "body.company_id")
    check(company, Referent("company", "c-1", None), "TH")


def test_the_reference_projections_may_share_a_transaction_per_run_of_events() -> None:
    # A burst of registrations is one commit per partition run, not one per company.
    tables = [COMPANY_HANDLERS[CompanyRegistered], *PROPOSAL_HANDLERS.values()]
    assert all(isinstance(handler, Batchable) for handler in tables)
