"""The inquiry vocabulary: categories from the shared taxonomy, desk countries, slugs."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from shared.contracts.vocabulary import ASEAN_STATES, inquiry_categories


def _member_of(values: frozenset[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"unknown {what} {value!r}; one of {', '.join(sorted(values))}")
        return value

    return AfterValidator(check)


InquiryCategory = Annotated[str, _member_of(inquiry_categories(), "inquiry category")]
ASEANCountry = Annotated[str, _member_of(ASEAN_STATES, "desk country")]
# City ids are slugs of ASCN city names ("da-nang"); the desk does not hold the city list.
CitySlug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
InquiryLanguage = Literal["en", "ja", "local"]
