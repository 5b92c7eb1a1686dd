"""The track record: a studies file is checked row by row before anything is used; the
studies a company carried out feed country, stage and sector history, and the evidence
names them; weights files carry their version."""

import json
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlparse

import pytest

from services.matching.bench.quality import DATA, load_companies
from services.matching.bench.track import choose_l2, example, training, with_record
from services.matching.scoring import weights as weights_module
from services.matching.scoring.factors import FACTORS, explain
from services.matching.scoring.features import CompanyFeatures, ProposalFeatures
from services.matching.scoring.fitting import L2_CHOICES
from services.matching.scoring.history import HistoryInvalid, parse_studies, track_record
from services.matching.scoring.vectors import proposal_vector, vectors
from services.matching.scoring.weights import (
    FACTORS_REVISION,
    HAND_SET,
    Weights,
    WeightsFileError,
    load_weights,
)

HEADER = "id,fiscal_year,city,country,title,description,stage,focus_areas,tags,implementers,source"
DA_NANG = (
    "sj-da-nang,FY2021,Da Nang,VN,Digital map for urban planning,"
    '"Digital map and GIS data,\nfor urban planning.",feasibility_study,'
    "built_infrastructure,urban_planning;data_platform,mapper,https://example.org/da-nang"
)
CEBU = (
    "sj-cebu,FY2021,Cebu City,PH,Mobility data,Mobility data use.,feasibility_study,"
    "built_infrastructure,its_traffic,mover,https://example.org/cebu"
)
# Every studies file that ships: the two the benchmark splits by fiscal year, the older
# public file, and the rows held back until a source says what they were about.
SHIPPED = ("smartjamp_public", "smartjamp_history", "smartjamp_projects", "smartjamp_unverified")


def studies_file(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


class TestImportValidation:
    def test_a_good_file_gives_every_study(self) -> None:
        studies = parse_studies(studies_file(DA_NANG, CEBU))
        assert [s.study_id for s in studies] == ["sj-da-nang", "sj-cebu"]
        assert studies[0].tags == ("urban_planning", "data_platform")
        assert studies[0].implementers == ("mapper",)

    def test_the_shipped_files_are_valid(self) -> None:
        for name in SHIPPED:
            assert parse_studies((DATA / f"{name}.csv").read_text("utf-8"))

    def test_every_shipped_study_cites_a_page_not_a_note_or_a_home_page(self) -> None:
        for name in SHIPPED:
            for study in parse_studies((DATA / f"{name}.csv").read_text("utf-8")):
                address = urlparse(study.source)
                assert address.scheme in ("http", "https"), study.study_id
                assert address.path.strip("/"), study.study_id

    def test_a_bad_row_is_named_by_its_line_and_field_and_nothing_is_returned(self) -> None:
        # Da Nang's description spans two lines: the bad row after it is on line 4.
        bad = (
            CEBU.replace("FY2021", "2021")
            .replace(",PH,", ",XX,")
            .replace("its_traffic", "teleport")
        )
        with pytest.raises(HistoryInvalid) as raised:
            parse_studies(studies_file(DA_NANG, bad))
        found = {(p.line, p.field) for p in raised.value.problems}
        assert found == {(4, "fiscal_year"), (4, "country"), (4, "tags")}
        assert "line 4, tags: 'teleport' is not in the taxonomy" in str(raised.value)

    def test_a_repeated_id_an_empty_implementer_list_and_a_missing_column_are_refused(
        self,
    ) -> None:
        no_one = CEBU.replace(",mover,", ",,").replace("sj-cebu", "sj-da-nang")
        with pytest.raises(HistoryInvalid) as raised:
            parse_studies(studies_file(DA_NANG, no_one))
        assert {(p.line, p.field) for p in raised.value.problems} == {
            (4, "id"),
            (4, "implementers"),
        }
        with pytest.raises(HistoryInvalid) as missing:
            parse_studies(HEADER.replace(",source", "") + "\n" + DA_NANG.rsplit(",", 1)[0])
        assert [(p.line, p.field) for p in missing.value.problems] == [(1, "source")]

    def test_an_empty_file_is_refused(self) -> None:
        with pytest.raises(HistoryInvalid):
            parse_studies(studies_file())


MAPPER = CompanyFeatures(
    company_id="mapper",
    name="Mapper",
    focus_areas=frozenset({"built_infrastructure"}),
    tags=frozenset({"gis"}),
    statement="Aerial surveys.",
)
OTHER = replace(MAPPER, company_id="other", name="Other")
NEED = ProposalFeatures(
    proposal_id="p",
    city_id="hue",
    country="VN",
    title="City data platform",
    description="Open data for planning.",
    focus_areas=frozenset({"built_infrastructure"}),
    tags=frozenset({"data_platform", "open_data"}),
    stage="feasibility_study",
)


class TestEvidence:
    def explained(self) -> dict[str, list[str]]:
        record = track_record(parse_studies(studies_file(DA_NANG)))
        pool = [replace(c, references=record.get(c.company_id, ())) for c in (MAPPER, OTHER)]
        stats, company_vectors = vectors(pool)
        _, factors = explain(company_vectors[0], proposal_vector(NEED, stats))
        return {factor.factor: factor.evidence for factor in factors}

    def test_the_study_a_company_carried_out_is_named_in_its_evidence(self) -> None:
        named = "carried out the FY2021 Da Nang F/S 'Digital map for urban planning'"
        evidence = self.explained()
        assert evidence["country_experience"] == [f"{named} in VN"]
        assert evidence["stage_fit"] == [f"stage feasibility_study: {named}"]
        assert evidence["sector_history"] == [f"{named} (tag data_platform)"]

    def test_a_company_without_a_track_record_has_no_sector_history(self) -> None:
        stats, company_vectors = vectors([MAPPER, OTHER])
        _, factors = explain(company_vectors[0], proposal_vector(NEED, stats))
        history = next(f for f in factors if f.factor == "sector_history")
        assert history.contribution == 0 and history.evidence == []


class TestNoLeak:
    def test_a_study_is_never_its_own_track_record(self) -> None:
        # The Cebu study is its implementer's only sign of the Philippines: scored as a
        # training example it must not count, scored as history for another study it may.
        studies = parse_studies(studies_file(DA_NANG, CEBU))
        mover = replace(MAPPER, company_id="mover", name="Mover")
        pool = [MAPPER, mover, OTHER]
        country = FACTORS.index("country_experience")
        [_, cebu] = training(pool, studies)
        assert cebu.values[1, country] == 0.0
        assert example(pool, studies[1], studies).values[1, country] > 0.0
        assert [c.references for c in with_record(pool, [])] == [(), (), ()]


class TestWeightsFile:
    def test_a_written_file_reads_back_with_its_version(self, tmp_path: Path) -> None:
        weights = Weights.fitted(dict.fromkeys(FACTORS, 1 / len(FACTORS)), {"studies": 3})
        weights.write(tmp_path / "w.json")
        assert load_weights(tmp_path / "w.json") == weights
        assert weights.version.startswith("fit-") and weights.version != HAND_SET.version
        assert load_weights(None) is HAND_SET

    def test_the_same_weights_have_the_same_version(self) -> None:
        values = dict.fromkeys(FACTORS, 0.125)
        assert Weights.fitted(values, {}).version == Weights.fitted(values, {"x": 1}).version

    def test_the_version_names_what_the_factors_meant_when_fitted(self) -> None:
        values = dict.fromkeys(FACTORS, 0.125)
        now = Weights.fitted(values, {}).version
        with patch.object(weights_module, "FACTORS_REVISION", FACTORS_REVISION + 1):
            assert Weights.fitted(values, {}).version != now

    @pytest.mark.parametrize("revision", [FACTORS_REVISION - 1, None])
    def test_a_file_fitted_for_factors_that_meant_something_else_is_refused(
        self, tmp_path: Path, revision: int | None
    ) -> None:
        Weights.fitted(dict.fromkeys(FACTORS, 0.125), {}).write(tmp_path / "w.json")
        document = json.loads((tmp_path / "w.json").read_text())
        if revision is None:  # written before files named the revision
            del document["factors_revision"]
        else:
            document["factors_revision"] = revision
        (tmp_path / "w.json").write_text(json.dumps(document))
        with pytest.raises(WeightsFileError, match="fit` again"):
            load_weights(tmp_path / "w.json")

    def test_a_file_missing_a_factor_is_refused(self, tmp_path: Path) -> None:
        weights = Weights.fitted(dict.fromkeys(FACTORS, 0.125), {})
        weights.write(tmp_path / "w.json")
        text = (tmp_path / "w.json").read_text().replace('"language"', '"lingo"')
        (tmp_path / "w.json").write_text(text)
        with pytest.raises(WeightsFileError, match="must name exactly"):
            load_weights(tmp_path / "w.json")


def test_the_company_pool_holds_every_implementer_of_the_shipped_history() -> None:
    ids = {c.company_id for c in load_companies(DATA / "companies_public.csv")}
    for name in ("smartjamp_history", "smartjamp_projects", "smartjamp_unverified"):
        for study in parse_studies((DATA / f"{name}.csv").read_text("utf-8")):
            assert set(study.implementers) <= ids, study.study_id


def test_the_l2_pull_is_chosen_on_the_given_studies_alone_and_one_study_keeps_the_prior() -> None:
    pool = load_companies(DATA / "companies_public.csv")
    studies = parse_studies((DATA / "smartjamp_history.csv").read_text(encoding="utf-8"))
    assert choose_l2(pool, studies[:1]) == L2_CHOICES[-1]
    assert choose_l2(pool, studies[:3]) in L2_CHOICES
