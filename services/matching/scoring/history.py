"""The track record from a studies file (shaped like ``data/smartjamp_public.csv``). Pure.

Every row is checked before any is used: a file with one bad row is refused whole, and
each problem names its line and field, so nothing is ever half-imported.
"""

import csv
import io
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.matching.scoring.features import COUNTRIES, STAGES, Reference
from shared.contracts.vocabulary import focus_areas, solution_tags

COLUMNS = (
    *("id", "fiscal_year", "city", "country", "title", "description", "stage"),
    *("focus_areas", "tags", "implementers", "source"),
)
FISCAL_YEAR = re.compile(r"FY20\d\d")
COMPANY_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True)
class Study:
    """A study carried out: where, what, at which stage, by whom, and where that is said."""

    study_id: str
    fiscal_year: str
    city: str
    country: str
    title: str
    description: str
    stage: str
    focus_areas: tuple[str, ...]
    tags: tuple[str, ...]
    implementers: tuple[str, ...]
    source: str

    def reference(self) -> Reference:
        return Reference(
            title=self.title,
            country=self.country,
            city=self.city,
            description=self.description,
            tags=self.tags,
            stage=self.stage,
            fiscal_year=self.fiscal_year,
            source=self.source,
        )


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class HistoryInvalid(ValueError):
    """A studies file with at least one bad row: nothing of it is used."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def parse_studies(text: str) -> list[Study]:
    """Every row of a studies file, or ``HistoryInvalid`` with every problem found."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise HistoryInvalid([RowProblem(1, column, "column missing") for column in missing])
    studies: list[Study] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    line = 1
    for row in reader:
        found = _row_problems(row, seen)
        problems += [RowProblem(line + 1, name, message) for name, message in found]
        line = reader.line_num
        if not found:
            studies.append(_study(row))
        seen.add(row["id"] or "")
    if problems:
        raise HistoryInvalid(problems)
    if not studies:
        raise HistoryInvalid([RowProblem(2, "id", "the file holds no study")])
    return studies


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _row_problems(row: Mapping[str, str | None], seen: set[str]) -> list[tuple[str, str]]:
    value = {column: (row.get(column) or "").strip() for column in COLUMNS}
    problems = [(c, "must not be empty") for c in ("id", "city", "title", "source") if not value[c]]
    problems += [(c, "holds a NUL character") for c in COLUMNS if "\x00" in value[c]]
    if value["id"] in seen:
        problems.append(("id", f"'{value['id']}' appears twice"))
    if not FISCAL_YEAR.fullmatch(value["fiscal_year"]):
        problems.append(("fiscal_year", f"'{value['fiscal_year']}' is not like FY2021"))
    if value["country"] not in COUNTRIES:
        problems.append(("country", f"'{value['country']}' is not a country code we know"))
    if value["stage"] not in STAGES:
        problems.append(("stage", f"'{value['stage']}' is not one of {', '.join(STAGES)}"))
    problems += _vocabulary("focus_areas", value["focus_areas"], focus_areas())
    problems += _vocabulary("tags", value["tags"], solution_tags())
    implementers = _split(value["implementers"])
    if not implementers:
        problems.append(("implementers", "names no company"))
    problems += [
        ("implementers", f"'{name}' is not a company id (a-z, 0-9, -)")
        for name in implementers
        if not COMPANY_ID.fullmatch(name)
    ]
    return problems


def _vocabulary(column: str, value: str, known: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    names = _split(value)
    if not names:
        return [(column, "must name at least one")]
    return [(column, f"'{name}' is not in the taxonomy") for name in names if name not in known]


def _study(row: Mapping[str, str | None]) -> Study:
    value = {column: (row.get(column) or "").strip() for column in COLUMNS}
    return Study(
        study_id=value["id"],
        fiscal_year=value["fiscal_year"],
        city=value["city"],
        country=value["country"],
        title=value["title"],
        description=value["description"],
        stage=value["stage"],
        focus_areas=_split(value["focus_areas"]),
        tags=_split(value["tags"]),
        implementers=_split(value["implementers"]),
        source=value["source"],
    )


OUTCOMES = {"mou": "an MOU", "fs_proposal": "an F/S proposal"}
"""Meeting outcomes that make a match part of the company's track record."""


def track_record(studies: Sequence[Study]) -> dict[str, tuple[Reference, ...]]:
    """Company id -> the studies it carried out, as references, oldest first."""
    record: dict[str, list[Reference]] = defaultdict(list)
    for study in sorted(studies, key=lambda s: (s.fiscal_year, s.study_id)):
        for company_id in study.implementers:
            record[company_id].append(study.reference())
    return {company_id: tuple(references) for company_id, references in record.items()}
