"""Grants (role and scope), who may call what, and API keys that are stored only hashed."""

import re

import pytest
from aiohttp.test_utils import make_mocked_request

from shared.auth import PUBLIC, Principal, Role, allow, hash_key, issue_key, key_id_of, parse_grant
from shared.contracts.vocabulary import ASEAN_STATES
from shared.http.endpoints import bearer_key

KEY = re.compile(r"^jamp_([0-9a-f]{16})_(\S+)$")


class TestGrants:
    @pytest.mark.parametrize(
        ("grant", "parsed"),
        [
            ("admin", (Role.ADMIN, None)),
            ("operator", (Role.OPERATOR, None)),
            ("desk:VN", (Role.DESK, "VN")),
            ("company:01J9ZK3", (Role.COMPANY, "01J9ZK3")),
            ("city:da-nang", (Role.CITY, "da-nang")),
        ],
    )
    def test_a_known_role_with_the_scope_it_needs_is_accepted(
        self, grant: str, parsed: tuple[Role, str | None]
    ) -> None:
        assert parse_grant(grant) == parsed

    @pytest.mark.parametrize("state", sorted(ASEAN_STATES))
    def test_every_asean_member_state_can_have_a_desk(self, state: str) -> None:
        assert parse_grant(f"desk:{state}") == (Role.DESK, state)

    @pytest.mark.parametrize(
        ("grant", "complaint"),
        [
            ("root", "unknown role 'root'"),
            ("", "unknown role ''"),
            ("admin:VN", "role admin takes no scope"),
            ("operator:x", "role operator takes no scope"),
            ("company", "role company needs a scope"),
            ("city:", "role city needs a scope"),
            ("desk:JP", "desk scope must be an ASEAN country code, not 'JP'"),
            ("desk:vn", "not 'vn'"),
        ],
    )
    def test_a_grant_that_makes_no_sense_is_refused_saying_why(
        self, grant: str, complaint: str
    ) -> None:
        with pytest.raises(ValueError, match=re.escape(complaint)):
            parse_grant(grant)


class TestAccess:
    def test_an_endpoint_without_roles_is_public(self) -> None:
        assert PUBLIC.public
        assert PUBLIC.describe() == "Public: no API key needed."

    def test_roles_are_listed_in_order(self) -> None:
        access = allow(Role.OPERATOR, Role.ADMIN)
        assert not access.public
        assert access.describe() == "Roles: admin, operator."

    def test_an_owned_endpoint_says_which_parameter_a_scoped_role_must_own(self) -> None:
        access = allow(Role.COMPANY, Role.ADMIN, owner=(Role.COMPANY, "company_id"))
        assert access.describe() == (
            "Roles: admin, company; a company key only for its own company_id."
        )


class TestPrincipal:
    def test_a_scoped_principal_is_named_by_role_and_scope(self) -> None:
        assert Principal("k", Role.DESK, "VN").name == "desk:VN"
        assert Principal("k", Role.ADMIN, None).name == "admin"

    def test_only_operators_and_admins_are_staff(self) -> None:
        staff = {role for role in Role if Principal("k", role, None).is_staff}
        assert staff == {Role.OPERATOR, Role.ADMIN}

    def test_a_principal_acts_only_for_its_own_scope(self) -> None:
        company = Principal("k", Role.COMPANY, "c-1")
        assert company.acts_for(Role.COMPANY, "c-1")
        assert not company.acts_for(Role.COMPANY, "c-2")
        assert not company.acts_for(Role.CITY, "c-1")


class TestApiKeys:
    def test_an_issued_key_reads_jamp_key_id_secret(self) -> None:
        key = issue_key(Role.COMPANY, "c-1", "company c-1", "pepper")
        match = KEY.match(key.plaintext)
        assert match is not None
        assert match.group(1) == key.event.key_id
        assert len(match.group(2)) >= 43  # 32 random bytes, URL-safe base64

    def test_every_issued_key_is_different(self) -> None:
        first, second = (issue_key(Role.ADMIN, None, "ops", "p") for _ in range(2))
        assert first.plaintext != second.plaintext
        assert first.event.key_id != second.event.key_id

    def test_the_event_records_the_grant_and_the_hash_but_never_the_key(self) -> None:
        key = issue_key(Role.DESK, "VN", "Hanoi desk", "pepper")
        event = key.event
        assert (event.role, event.scope, event.label) == ("desk", "VN", "Hanoi desk")
        assert event.key_hash == hash_key(key.plaintext, "pepper")
        secret = key.plaintext.split("_", 2)[2]
        serialised = event.model_dump_json()
        assert key.plaintext not in serialised and secret not in serialised

    def test_the_key_id_is_read_back_from_the_key(self) -> None:
        key = issue_key(Role.ADMIN, None, "ops", "pepper")
        assert key_id_of(key.plaintext) == key.event.key_id

    def test_a_secret_may_itself_contain_underscores(self) -> None:
        assert key_id_of("jamp_0123456789abcdef_a_b_c") == "0123456789abcdef"

    @pytest.mark.parametrize(
        "plaintext",
        [
            "",
            "jamp",
            "jamp_0123456789abcdef",
            "jamp_0123456789abcdef_",
            "jamp_0123456789abcde_secret",  # 15-character key id
            "jamp_0123456789abcdef0_secret",  # 17-character key id
            "pmaj_0123456789abcdef_secret",
            "Bearer jamp_0123456789abcdef_secret",
        ],
    )
    def test_a_malformed_key_has_no_key_id(self, plaintext: str) -> None:
        assert key_id_of(plaintext) is None

    def test_the_hash_depends_on_the_pepper(self) -> None:
        key = "jamp_0123456789abcdef_secret"
        assert hash_key(key, "pepper-a") != hash_key(key, "pepper-b")
        assert hash_key(key, "pepper-a") == hash_key(key, "pepper-a")

    def test_the_hash_is_hex_sha256_and_depends_on_the_key(self) -> None:
        digest = hash_key("jamp_0123456789abcdef_one", "pepper")
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        assert digest != hash_key("jamp_0123456789abcdef_two", "pepper")


class TestHowAKeyIsSent:
    @pytest.mark.parametrize(
        ("headers", "key"),
        [
            ({"Authorization": "Bearer jamp_k_s"}, "jamp_k_s"),
            ({"Authorization": "bearer jamp_k_s"}, "jamp_k_s"),  # a scheme ignores case
            ({"Authorization": "BEARER   jamp_k_s "}, "jamp_k_s"),
            ({"Authorization": "Basic jamp_k_s"}, None),
            ({"Authorization": "Bearer "}, None),
            ({"X-API-Key": "jamp_k_s"}, None),  # one documented way, not a second
            ({"Authorization": "Basic x", "X-API-Key": "jamp_k_s"}, None),
            ({}, None),
        ],
    )
    def test_only_a_bearer_authorization_carries_a_key(
        self, headers: dict[str, str], key: str | None
    ) -> None:
        assert bearer_key(make_mocked_request("GET", "/", headers=headers)) == key
