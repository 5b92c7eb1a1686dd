"""Who sees which inquiries: a desk its country's, a company or city its own, staff all.

Pure. Unseen inquiries answer 404 rather than 403, so that a desk cannot probe another
country's inquiry ids.
"""

from dataclasses import dataclass

from services.inquiries.model import Inquiry, InquiryNotFound
from shared.auth import Principal, Role
from shared.http.problems import Forbidden


@dataclass(frozen=True)
class Visibility:
    country: str | None = None
    company_id: str | None = None
    city_id: str | None = None

    @classmethod
    def of(cls, caller: Principal) -> "Visibility":
        if caller.role is Role.DESK:
            return cls(country=caller.scope)
        if caller.role is Role.COMPANY:
            return cls(company_id=caller.scope)
        if caller.role is Role.CITY:
            return cls(city_id=caller.scope)
        return cls()

    @property
    def is_requester(self) -> bool:
        """Companies and cities are the requester side: no internal notes, no history."""
        return self.company_id is not None or self.city_id is not None

    @property
    def reads_notes(self) -> bool:
        """Internal notes are the desk's: read (and searched) by desks and staff only."""
        return not self.is_requester

    def sees(self, inquiry: Inquiry) -> bool:
        requester = inquiry.requester
        return (
            self.country in (None, inquiry.country)
            and self.company_id in (None, requester.company_id)
            and self.city_id in (None, requester.city_id)
        )

    def check(self, inquiry: Inquiry) -> Inquiry:
        if not self.sees(inquiry):
            raise InquiryNotFound(f"no inquiry {inquiry.inquiry_id}")
        return inquiry

    def country_filter(self, wanted: str | None) -> str | None:
        """A desk lists its own country; asking for another one is refused by name."""
        narrowed = self.countries_filter([] if wanted is None else [wanted])
        return narrowed[0] if narrowed else None

    def countries_filter(self, wanted: list[str]) -> list[str]:
        """``country_filter`` for several countries: any other than a desk's own is refused."""
        if self.country is None:
            return wanted
        if any(country != self.country for country in wanted):
            raise Forbidden(
                f"a desk:{self.country} key sees only {self.country} inquiries",
                field="query.country",
            )
        return [self.country]
