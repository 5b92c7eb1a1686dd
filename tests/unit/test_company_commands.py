"""Registering and updating a company: what the commands accept and what they refuse."""

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from services.companies.model import EXAMPLE_REGISTRATION, RegisterCompany, UpdateCompany


def registration(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_REGISTRATION)
    body.update(changes)
    return body


def rejection(body: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        RegisterCompany.model_validate(body)
    return caught.value


def failing_locations(error: ValidationError) -> list[tuple[str | int, ...]]:
    return [tuple(item["loc"]) for item in error.errors()]


class TestRegisterCompany:
    def test_the_documented_example_validates(self) -> None:
        examples = RegisterCompany.model_json_schema()["examples"]
        assert examples == [EXAMPLE_REGISTRATION]
        command = RegisterCompany.model_validate(examples[0])
        assert command.corporate_number == "7000012050002"

    def test_the_corporate_number_is_optional_for_organisations_outside_japan(self) -> None:
        body = registration()
        del body["corporate_number"]
        assert RegisterCompany.model_validate(body).corporate_number is None

    def test_a_corporate_number_with_a_wrong_check_digit_is_rejected(self) -> None:
        error = rejection(registration(corporate_number="7000012050003"))
        assert failing_locations(error) == [("corporate_number",)]
        assert "check digit" in str(error)

    @pytest.mark.parametrize(
        ("changes", "location", "value"),
        [
            ({"focus_areas": ["space_mining"]}, ("focus_areas", 0), "space_mining"),
            ({"tags": ["water_supply", "teleportation"]}, ("tags", 1), "teleportation"),
            ({"countries": ["VN", "US"]}, ("countries", 1), "US"),
            ({"languages": ["en", "de"]}, ("languages", 1), "de"),
        ],
    )
    def test_a_value_outside_the_vocabulary_is_rejected_by_name(
        self, changes: dict[str, Any], location: tuple[str | int, ...], value: str
    ) -> None:
        error = rejection(registration(**changes))
        assert failing_locations(error) == [location]
        assert repr(value) in error.errors()[0]["msg"]

    def test_a_reference_in_an_unknown_country_or_with_an_unknown_tag_is_rejected(self) -> None:
        reference = {"title": "Metro", "country": "FR", "tags": ["hyperloop"]}
        error = rejection(registration(references=[reference]))
        assert set(failing_locations(error)) == {
            ("references", 0, "country"),
            ("references", 0, "tags", 0),
        }
        assert "'FR'" in str(error) and "'hyperloop'" in str(error)

    @pytest.mark.parametrize(
        "changes",
        [
            {"focus_areas": ["safety_security", "safety_security"]},
            {"tags": ["flood_control", "flood_control"]},
            {"countries": ["VN", "VN"]},
            {"languages": ["en", "en"]},
        ],
    )
    def test_duplicate_values_are_rejected(self, changes: dict[str, Any]) -> None:
        error = rejection(registration(**changes))
        assert failing_locations(error) == [(next(iter(changes)),)]
        assert "unique" in str(error)

    def test_a_field_the_contract_does_not_know_is_rejected(self) -> None:
        error = rejection(registration(website="https://example.com"))
        assert error.errors()[0]["type"] == "extra_forbidden"
        assert failing_locations(error) == [("website",)]

    def test_an_unknown_field_inside_the_contact_is_rejected(self) -> None:
        contact = {"name": "Sato Hanako", "email": "sato@example.co.jp", "fax": "03-0000"}
        error = rejection(registration(contact=contact))
        assert failing_locations(error) == [("contact", "fax")]

    def test_at_least_one_focus_area_and_one_language_are_required(self) -> None:
        error = rejection(registration(focus_areas=[], languages=[]))
        assert set(failing_locations(error)) == {("focus_areas",), ("languages",)}

    def test_surrounding_whitespace_is_stripped_so_a_blank_name_is_rejected(self) -> None:
        assert RegisterCompany.model_validate(registration(name_en="  Kaiyo  ")).name_en == "Kaiyo"
        assert failing_locations(rejection(registration(name_en="   "))) == [("name_en",)]

    def test_a_malformed_contact_email_is_rejected(self) -> None:
        contact = {"name": "Sato Hanako", "email": "not an email"}
        assert failing_locations(rejection(registration(contact=contact))) == [("contact", "email")]


class TestUpdateCompany:
    def test_the_documented_example_validates(self) -> None:
        example = UpdateCompany.model_json_schema()["examples"][0]
        assert UpdateCompany.model_validate(example).version == 1

    def test_changes_hold_only_the_fields_the_caller_sent(self) -> None:
        update = UpdateCompany.model_validate({"tags": ["wastewater"], "name_ja": None})
        assert update.changes() == {"tags": ["wastewater"], "name_ja": None}

    def test_the_version_is_a_precondition_not_a_change(self) -> None:
        update = UpdateCompany.model_validate({"size": "large", "version": 4})
        assert update.changes() == {"size": "large"}

    def test_an_empty_update_changes_nothing(self) -> None:
        assert UpdateCompany.model_validate({}).changes() == {}

    def test_a_nested_change_carries_the_whole_value_with_its_defaults(self) -> None:
        contact = {"name": "Ito Ken", "email": "ito@example.jp"}
        update = UpdateCompany.model_validate({"contact": contact})
        assert update.changes() == {"contact": {**contact, "phone": None, "title": None}}

    def test_an_update_is_checked_against_the_same_vocabularies(self) -> None:
        with pytest.raises(ValidationError, match="'atlantis'"):
            UpdateCompany.model_validate({"countries": ["atlantis"]})

    def test_a_field_the_contract_does_not_know_is_rejected(self) -> None:
        with pytest.raises(ValidationError, match="extra"):
            UpdateCompany.model_validate({"status": "verified"})

    @pytest.mark.parametrize(
        "field",
        [
            "name_en",
            "size",
            "focus_areas",
            "tags",
            "countries",
            "languages",
            "capability_statement",
            "references",
            "contact",
        ],
    )
    def test_an_update_cannot_set_a_field_the_company_requires_to_null(self, field: str) -> None:
        with pytest.raises(ValidationError):
            UpdateCompany.model_validate({field: None})

    def test_an_update_strips_surrounding_whitespace_as_registration_does(self) -> None:
        with pytest.raises(ValidationError):
            UpdateCompany.model_validate({"name_en": "   "})
