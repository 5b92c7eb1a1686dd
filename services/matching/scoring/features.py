"""What scoring reads from a company or a proposal, and how their text becomes terms. Pure.

Stage and financing experience are read from what a company has done (its references),
and more weakly from what it says it does (its capability statement): the patterns are
general domain vocabulary in English and Japanese, not names of particular projects.
"""

import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache

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
SIGN_ANCHORS: dict[str, tuple[str, ...]] = {
    "master_plan": ("master", "マスタープラン", "基本計画", "基本構想"),
    "feasibility_study": ("feasibility", "f/s", "consult", "survey", "stud", "調査", "実現可能性"),
    "demonstration": ("demonstrat", "pilot", "proof of concept", "poc", "実証"),
    "implementation": (
        *("implement", "construct", "install", "deploy", "operat", "manufactur", "plant"),
        *("施工", "導入", "建設", "運営"),
    ),
    "smart_jamp_study": ("smart", "スマートジャンプ"),
    "jbic_loan": ("jbic", "国際協力銀行"),
    "join_investment": ("join", "海外交通・都市開発事業支援機構"),
    "oda": ("oda", "jica", "grant aid", "yen loan", "円借款", "無償資金"),
    "own_budget": ("budget", "自治体予算"),
    "private_investment": ("ppp", "private", "concession"),
}
"""Lower-case words each sign's pattern needs one of: a cheap test that rules out most
signs for a company before any pattern runs (a unit test holds them to the patterns)."""
FINANCING_SIGNS: dict[str, re.Pattern[str]] = {
    "smart_jamp_study": re.compile(r"smart ?jamp|スマートジャンプ", re.I),
    "jbic_loan": re.compile(r"\bjbic\b|国際協力銀行", re.I),
    "join_investment": re.compile(r"\bJOIN\b|海外交通・都市開発事業支援機構"),
    "oda": re.compile(r"\boda\b|\bjica\b|grant aid|yen loan|円借款|無償資金", re.I),
    "own_budget": re.compile(r"own budget|municipal budget|city budget|自治体予算", re.I),
    "private_investment": re.compile(r"\bppp\b|private (investment|finance)|concession", re.I),
}


DECLARED = 0.5
"""The strength of a stage the company only says it does (statement or declared tag)."""

STAGE_NAMES = {
    "master_plan": "master plan",
    "feasibility_study": "F/S",
    "demonstration": "demonstration",
    "implementation": "implementation",
}


@dataclass(frozen=True)
class Reference:
    title: str
    country: str
    city: str | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    stage: str | None = None
    fiscal_year: str | None = None
    """Set on the track record (a past study or a match that led to an MOU or F/S
    proposal): what the company carried out, not what it says of itself."""
    source: str | None = None
    outcome: str | None = None
    """For a match's meeting: what it led to ("an MOU", "an F/S proposal")."""

    @property
    def text(self) -> str:
        return f"{self.title} {self.description}"

    @property
    def carried_out(self) -> bool:
        return self.fiscal_year is not None

    @cached_property
    def evidence(self) -> str:
        """How the reference is named in a match's evidence (worked out once: a company's
        vector names a reference under its country and under each stage it shows, and the
        index keeps every company's vector)."""
        if not self.carried_out:
            return f"reference '{self.title}'"
        where = f" {self.city}" if self.city else ""
        stage = f" {STAGE_NAMES.get(self.stage or '', self.stage)}" if self.stage else ""
        if self.outcome:
            return f"reached {self.outcome} on the {self.fiscal_year}{where}{stage} '{self.title}'"
        return f"carried out the {self.fiscal_year}{where}{stage} '{self.title}'"


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
    def claimed_tags(self) -> frozenset[str]:
        """What it says it can do: declared tags and the tags of references it names itself.
        A study it carried out is its track record, which ``sector_history`` scores."""
        return self.tags.union(
            *(reference.tags for reference in self.references if not reference.carried_out)
        )

    @property
    def text(self) -> str:
        """What it says of itself: the statement and the references it names. The studies
        it carried out are its track record, which country experience, stage fit and
        sector history score; their words would count the record again, and on words
        every Smart JAMP study shares ("smart", "city", "Japanese technologies")
        rather than on the need's subject."""
        return " ".join(
            [self.statement, *(ref.text for ref in self.references if not ref.carried_out)]
        )

    @property
    def track_record(self) -> tuple[Reference, ...]:
        return tuple(reference for reference in self.references if reference.carried_out)


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
        counts.update(_chunk_terms(chunk))
    return counts


@lru_cache(maxsize=1 << 14)
def _chunk_terms(chunk: str) -> tuple[str, ...]:
    # A pool's texts share most of their words: each common word is folded once. The
    # cache lives as long as the process: 65,536 entries (names, numbers, rare words
    # each their own) held ~20 MB of matching's memory at 10,000 companies. Interned:
    # the index keeps every company's terms, and equal terms split from different
    # chunks ("株式" and "会社" of every Japanese company name) are then one object.
    return tuple(sys.intern(_singular(term)) for term in terms(chunk))


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
    """Per stage: strength (1 from a reference, 0.5 from what the company says) and the
    evidence. A stage a reference names (its stage, or a tag that is a stage, such as
    ``master_plan``) counts before any pattern read from text; a declared tag that is a
    stage is the company saying it does that stage, as its statement would."""
    found = _evidence(company, STAGE_SIGNS)
    for reference in company.references:
        for stage in sorted(STAGE_SIGNS.keys() & {reference.stage, *reference.tags}):
            strength, shown = found.get(stage, (0.0, []))
            shown = shown if strength == 1.0 else []
            if reference.evidence not in shown:  # its text may have named the stage too
                found[stage] = (1.0, [*shown, reference.evidence])
    for stage in sorted(company.tags & STAGE_SIGNS.keys()):
        found.setdefault(stage, (DECLARED, [f"declares tag {stage}"]))
    return found


def financing_evidence(company: CompanyFeatures) -> dict[str, tuple[float, list[str]]]:
    return _evidence(company, FINANCING_SIGNS)


def _evidence(
    company: CompanyFeatures, signs: dict[str, re.Pattern[str]]
) -> dict[str, tuple[float, list[str]]]:
    found: dict[str, tuple[float, list[str]]] = {}
    everything = "\n".join([company.statement, *(ref.text for ref in company.references)])
    lowered = everything.lower()
    for name, pattern in signs.items():
        if not any(anchor in lowered for anchor in SIGN_ANCHORS[name]):
            continue  # no word the pattern needs: no need to run it on every text
        titles = [ref.evidence for ref in company.references if pattern.search(ref.text)]
        if titles:
            found[name] = (1.0, titles)
        elif match := pattern.search(company.statement):
            found[name] = (DECLARED, [f"statement mentions '{match.group(0)}'"])
    return found


def adjacent_stages(stage: str) -> list[str]:
    """The stages next to one in the project cycle (master plan → F/S → demo → build)."""
    if stage not in STAGES:
        return []
    at = STAGES.index(stage)
    return [STAGES[i] for i in (at - 1, at + 1) if 0 <= i < len(STAGES)]
