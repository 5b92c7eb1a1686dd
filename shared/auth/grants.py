"""Roles and scopes (DESIGN.md "Roles and auth") and who an authenticated caller is."""

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from shared.contracts.vocabulary import ASEAN_STATES


class Role(StrEnum):
    DESK = "desk"  # an embassy / consulate contact point, scoped to its country
    COMPANY = "company"  # scoped to its company id
    CITY = "city"  # scoped to its city id
    OPERATOR = "operator"
    ADMIN = "admin"


SCOPED_ROLES = frozenset({Role.DESK, Role.COMPANY, Role.CITY})


@dataclass(frozen=True)
class Access:
    """Who may call an endpoint: its roles, and which path parameter a scoped role must own."""

    roles: frozenset[Role]
    owner: tuple[Role, str] | None = None
    """(role, path parameter): callers of that role act only where the parameter is their scope."""

    @property
    def public(self) -> bool:
        return not self.roles

    def describe(self) -> str:
        if self.public:
            return "Public: no API key needed."
        names = ", ".join(sorted(self.roles))
        if self.owner is None:
            return f"Roles: {names}."
        role, param = self.owner
        return f"Roles: {names}; a {role} key only for its own {param}."


def allow(*roles: Role, owner: tuple[Role, str] | None = None) -> Access:
    return Access(roles=frozenset(roles), owner=owner)


PUBLIC = Access(roles=frozenset())


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    scope: str | None
    label: str = ""
    person_id: str | None = None
    person_name: str | None = None

    @property
    def name(self) -> str:
        """The grant, e.g. ``desk:VN``."""
        return f"{self.role}:{self.scope}" if self.scope else str(self.role)

    @property
    def display_name(self) -> str:
        """The person holding the key; a key without a person shows as its label."""
        return self.person_name or self.label or self.name

    def acts_for(self, role: Role, scope: str) -> bool:
        return self.role is role and self.scope == scope

    @property
    def is_staff(self) -> bool:
        """Operators and admins see everything."""
        return self.role in (Role.OPERATOR, Role.ADMIN)


STAFF_GRANTS = frozenset({"operator", "admin"})


def may_work(grants: Collection[str], country: str) -> bool:
    """Whether keys of these grants read and work a country desk's inquiries: the desk's
    own grant (``desk:VN``) or a staff role."""
    return bool(set(grants) & {f"desk:{country}", *STAFF_GRANTS})


def parse_grant(grant: str) -> tuple[Role, str | None]:
    """``desk:VN`` → (DESK, "VN"); raises ValueError naming what is wrong."""
    role_name, _, scope = grant.partition(":")
    try:
        role = Role(role_name)
    except ValueError:
        raise ValueError(f"unknown role {role_name!r}; one of {', '.join(Role)}") from None
    if role not in SCOPED_ROLES:
        if scope:
            raise ValueError(f"role {role} takes no scope")
        return role, None
    if not scope:
        raise ValueError(f"role {role} needs a scope, e.g. {role}:<id>")
    if role is Role.DESK and scope not in ASEAN_STATES:
        raise ValueError(f"desk scope must be an ASEAN country code, not {scope!r}")
    return role, scope
