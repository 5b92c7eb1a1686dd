"""The Company aggregate: registration, versioned updates, its lifecycle, and reader views."""

from typing import Any

import pytest

from services.companies.model import (
    EXAMPLE_REGISTRATION,
    TRANSITIONS,
    Action,
    Company,
    CompanyView,
    IllegalTransition,
    RegisterCompany,
    UpdateCompany,
)
from shared.contracts.companies import CompanyStatus
from shared.versioning import StaleVersion

STATUSES: tuple[CompanyStatus, ...] = ("registered", "verified", "suspended")


def registered() -> Company:
    return Company.register("c-1", RegisterCompany.model_validate(EXAMPLE_REGISTRATION))


def update(**fields: Any) -> dict[str, Any]:
    return UpdateCompany.model_validate(fields).changes()


class TestRegistration:
    def test_a_new_company_is_registered_at_version_one(self) -> None:
        company = registered()
        assert (company.company_id, company.status, company.version) == ("c-1", "registered", 1)
        assert company.registered_at == company.updated_at

    def test_a_new_company_holds_what_it_stated(self) -> None:
        company = registered()
        assert company.name_en == EXAMPLE_REGISTRATION["name_en"]
        assert company.corporate_number == "7000012050002"
        assert company.references[0].city == "Da Nang"
        assert company.contact.email == "sato@example.co.jp"

    def test_its_published_profile_matches_the_aggregate(self) -> None:
        company = registered()
        profile = company.profile()
        assert profile.company_id == company.company_id
        assert profile.version == 1 and profile.status == "registered"


class TestUpdates:
    def test_a_real_change_bumps_the_version_and_is_reported(self) -> None:
        company = registered()
        changed, effective = company.updated(update(size="large", tags=["wastewater"]))
        assert changed.version == 2
        assert (changed.size, changed.tags) == ("large", ["wastewater"])
        assert effective == {"size": "large", "tags": ["wastewater"]}
        assert changed.updated_at >= company.updated_at
        assert changed.registered_at == company.registered_at

    def test_only_fields_that_really_differ_are_reported(self) -> None:
        company = registered()
        changed, effective = company.updated(update(size="medium", name_ja=None))
        assert effective == {"name_ja": None}
        assert changed.version == 2

    def test_an_update_that_changes_nothing_keeps_the_version(self) -> None:
        company = registered()
        same, effective = company.updated(update(size="medium", countries=["VN", "PH", "JP"]))
        assert effective == {}
        assert same is company

    def test_an_empty_update_keeps_the_version(self) -> None:
        company = registered()
        assert company.updated({}) == (company, {})

    def test_resending_the_registered_contact_and_references_is_no_change(self) -> None:
        company = registered()
        same, effective = company.updated(
            update(
                contact=EXAMPLE_REGISTRATION["contact"],
                references=EXAMPLE_REGISTRATION["references"],
            )
        )
        assert effective == {}
        assert same.version == 1

    def test_the_original_company_is_left_untouched(self) -> None:
        company = registered()
        company.updated(update(size="large"))
        assert (company.size, company.version) == ("medium", 1)


class TestLifecycle:
    @pytest.mark.parametrize(
        ("action", "status", "target"),
        [
            (action, status, target)
            for action, moves in TRANSITIONS.items()
            for status, target in moves.items()
        ],
    )
    def test_a_legal_transition_moves_the_status_and_bumps_the_version(
        self, action: Action, status: CompanyStatus, target: CompanyStatus
    ) -> None:
        company = registered().model_copy(update={"status": status, "version": 5})
        moved = company.transitioned(action)
        assert (moved.status, moved.version) == (target, 6)

    @pytest.mark.parametrize(
        ("action", "status"),
        [
            (action, status)
            for action, moves in TRANSITIONS.items()
            for status in STATUSES
            if status not in moves
        ],
    )
    def test_an_illegal_transition_is_refused_naming_the_current_status(
        self, action: Action, status: CompanyStatus
    ) -> None:
        company = registered().model_copy(update={"status": status})
        with pytest.raises(IllegalTransition) as refused:
            company.transitioned(action)
        assert refused.value.context == {"current_status": status}

    def test_the_lifecycle_is_registered_verified_suspended_and_reinstated(self) -> None:
        company = registered().transitioned("verify").transitioned("suspend")
        assert company.transitioned("verify").status == "verified"

    def test_verifying_twice_is_illegal(self) -> None:
        with pytest.raises(IllegalTransition, match="cannot verify a company that is verified"):
            registered().transitioned("verify").transitioned("verify")


class TestOptimisticConcurrency:
    def test_the_version_the_caller_read_passes(self) -> None:
        registered().check_version(1)

    def test_no_expected_version_means_any_version(self) -> None:
        registered().model_copy(update={"version": 9}).check_version(None)

    def test_a_stale_version_is_refused_with_the_current_one(self) -> None:
        company = registered().model_copy(update={"version": 3})
        with pytest.raises(StaleVersion) as refused:
            company.check_version(2)
        assert refused.value.context == {"current_version": 3}


class TestReaderView:
    def test_the_company_itself_and_staff_see_the_contact(self) -> None:
        company = registered()
        view = CompanyView.of(company, with_contact=True)
        assert view.contact == company.contact
        assert (view.company_id, view.version, view.status) == ("c-1", 1, "registered")

    def test_other_readers_see_no_contact_but_everything_else(self) -> None:
        company = registered()
        view = CompanyView.of(company, with_contact=False)
        assert view.contact is None
        assert view.model_dump(exclude={"contact"}) == company.model_dump(exclude={"contact"})
        assert view.model_dump(mode="json")["contact"] is None
