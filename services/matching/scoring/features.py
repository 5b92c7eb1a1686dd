"""What scoring reads from a company or a proposal, and how their text becomes terms. Pure.

Stage and financing experience are read from what a company has done (its references),
and more weakly from what it says it does (its capability statement): the patterns are
general domain vocabulary in English and Japanese, not names of particular projects.
"""

import re
from collections import Counter
from dataclasses import dataclass

from shared.contracts.vocabulary import COUNTRIES_OF_EXPERIENCE, LANGUAGES, taxonomy_document
from shared.text import query_terms, terms

STAGES: tuple[str, ...] = tuple(taxonomy_document()["stages"])
FINANCING: tuple[str, ...] = tuple(taxonomy_document()["financing"])
COUNTRIES: tuple[str, ...] = tuple(sorted(COUNTRIES_OF_EXPERIENCE))
LANGUAGE_CODES: tuple[str, ...] = tuple(sorted(LANGUAGES))
WORKING_LANGUAGE = "en"  # ASCN works in English
LOCAL_LANGUAGES: dict[str, tuple[str, ...]] = {
    "BN": ("ms",),
    "KH": ("km",),
    "ID": ("id",),
    "LA": ("lo",),
    "MY": ("ms",),
    "MM": ("my",),
    "PH": ("fil", "tl"),
    "SG": ("en", "zh", "ms"),
    "TH": ("th",),
    "VN": ("vi",),
    "JP": ("ja",),
}
STAGE_SIGNS: dict[str, re.Pattern[str]] = {
    "master_plan": re.compile(r"master ?plan|マスタープラン|基本計画|基本構想", re.I),
    "feasibility_study": re.compile(
        r"feasibility|\bf/s\b|consult|survey|stud(y|ies)|調査|実現可能性", re.I
    ),
    "demonstration": re.compile(r"demonstrat|pilot|proof of concept|\bpoc\b|実証", re.I),
    "implementation": re.compile(
        r"implement|construct|install|deploy|operat|manufactur|\bplants?\b|施工|導入|建設|運営",
        re.I,
    ),
}
FINANCING_SIGNS: dict[str, re.Pattern[str]] = {
    "smart_jamp_study": re.compile(r"smart ?jamp|スマートジャンプ", re.I),
    "jbic_loan": re.compile(r"\bjbic\b|国際協力銀行", re.I),
    "join_investment": re.compile(r"\bJOIN\b|海外交通・都市開発事業支援機構"),
    "oda": re.compile(r"\boda\b|\bjica\b|grant aid|yen loan|円借款|無償資金", re.I),
    "own_budget": re.compile(r"own budget|municipal budget|city budget|自治体予算", re.I),
    "private_investment": re.compile(r"\bppp\b|private (investment|finance)|concession", re.I),
}


@dataclass(frozen=True)
class Reference:
    title: str
    country: str
    city: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.title} {self.description}"


@dataclass(frozen=True)
class CompanyFeatures:
    company_id: str
    name: str
    focus_areas: frozenset[str]
    tags: frozenset[str]
    statement: str
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    references: tuple[Reference, ...] = ()

    @property
    def all_tags(self) -> frozenset[str]:
        """Declared tags and the tags of its references: both are claims of capability."""
        return self.tags.union(*(reference.tags for reference in self.references))

    @property
    def text(self) -> str:
        return " ".join([self.statement, *(reference.text for reference in self.references)])


@dataclass(frozen=True)
class ProposalFeatures:
    proposal_id: str
    city_id: str
    country: str
    title: str
    description: str
    focus_areas: frozenset[str]
    tags: frozenset[str]
    stage: str
    financing: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return f"{self.title} {self.description}"


def term_counts(text: str) -> Counter[str]:
    """Document terms with their frequency (shared.text splits, folds and bigrams CJK)."""
    counts: Counter[str] = Counter()
    for chunk in text.split():
        counts.update(_singular(term) for term in terms(chunk))
    return counts


def query_term_set(text: str) -> set[str]:
    """Query terms: words, and bigrams of Japanese runs."""
    return {_singular(term) for term in query_terms(text)}


def _singular(word: str) -> str:
    # The lightest English folding: "systems" meets "system", "buses" meets "bus".
    if not word.isascii() or len(word) < 4 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def stage_evidence(company: CompanyFeatures) -> dict[str, tuple[float, list[str]]]:
    """Per stage: strength (1 from a reference, 0.5 from the statement) and the evidence."""
    return _evidence(company, STAGE_SIGNS)


def financing_evidence(company: CompanyFeatures) -> dict[str, tuple[float, list[str]]]:
    return _evidence(company, FINANCING_SIGNS)


def _evidence(
    company: CompanyFeatures, signs: dict[str, re.Pattern[str]]
) -> dict[str, tuple[float, list[str]]]:
    found: dict[str, tuple[float, list[str]]] = {}
    for name, pattern in signs.items():
        titles = [
            f"reference '{ref.title}'" for ref in company.references if pattern.search(ref.text)
        ]
        if titles:
            found[name] = (1.0, titles)
        elif match := pattern.search(company.statement):
            found[name] = (0.5, [f"statement mentions '{match.group(0)}'"])
    return found


def adjacent_stages(stage: str) -> list[str]:
    """The stages next to one in the project cycle (master plan → F/S → demo → build)."""
    if stage not in STAGES:
        return []
    at = STAGES.index(stage)
    return [STAGES[i] for i in (at - 1, at + 1) if 0 <= i < len(STAGES)]
