"""The inquiry vocabulary: categories from the shared taxonomy, desk countries, slugs."""

from typing import Annotated, Literal

from pydantic import Field

from shared.contracts.vocabulary import ASEAN_STATES, MemberOf, inquiry_categories

InquiryCategory = Annotated[str, MemberOf(inquiry_categories(), "inquiry category")]
ASEANCountry = Annotated[str, MemberOf(ASEAN_STATES, "desk country")]
# City ids are slugs of ASCN city names ("da-nang"); the desk does not hold the city list.
CitySlug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
InquiryLanguage = Literal["en", "ja", "local"]
