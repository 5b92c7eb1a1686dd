"""Scoring: each factor in [0, 1] with its evidence; the vectorised matrix agrees with the
per-pair formula; every wanted tag weighs the same; Japanese text matches too."""

from dataclasses import replace

import numpy as np
import pytest

from services.matching.bench.scale import Generator
from services.matching.scoring.factors import FACTORS, WEIGHTS, explain, factor_values, total
from services.matching.scoring.features import (
    CompanyFeatures,
    ProposalFeatures,
    Reference,
    term_counts,
)
from services.matching.scoring.matrices import Space, company_matrix, proposal_matrix, score_matrix
from services.matching.scoring.vectors import proposal_vector, vectors

WATER = CompanyFeatures(
    company_id="water",
    name="Water Co",
    focus_areas=frozenset({"quality_environment"}),
    tags=frozenset({"water_supply", "wastewater"}),
    statement="Water supply networks and wastewater treatment plants.",
    countries=frozenset({"VN"}),
    languages=frozenset({"ja", "en"}),
    references=(
        Reference(
            "Leakage feasibility study", "VN", "Da Nang", "JICA ODA study", ("water_supply",)
        ),
    ),
)
FLOOD = CompanyFeatures(
    company_id="flood",
    name="Flood Co",
    focus_areas=frozenset({"safety_security"}),
    tags=frozenset({"flood_control", "disaster_early_warning"}),
    statement="Flood control and river basin early warning systems.",
    languages=frozenset({"ja", "vi"}),
)
GENERAL = CompanyFeatures(
    company_id="general",
    name="Everything Co",
    focus_areas=frozenset({"quality_environment", "built_infrastructure"}),
    tags=frozenset({"water_supply", "urban_planning"}),
    statement="Urban planning consultancy.",
)
NEED = ProposalFeatures(
    proposal_id="p1",
    city_id="da-nang",
    country="VN",
    title="Flood control for the river basin",
    description="Early warning of river floods and drainage of the water network.",
    focus_areas=frozenset({"safety_security"}),
    tags=frozenset({"flood_control", "water_supply"}),
    stage="feasibility_study",
    financing=frozenset({"oda"}),
)
POOL = [WATER, FLOOD, GENERAL]


def scored(company: CompanyFeatures, proposal: ProposalFeatures = NEED) -> dict[str, float]:
    stats, company_vectors = vectors(POOL)
    by_id = {vector.company_id: vector for vector in company_vectors}
    return factor_values(by_id[company.company_id], proposal_vector(proposal, stats))


class TestFactors:
    def test_every_factor_lies_between_zero_and_one(self) -> None:
        for company in POOL:
            assert all(0.0 <= value <= 1.0 for value in scored(company).values())
        assert set(scored(WATER)) == set(FACTORS)
        assert sum(WEIGHTS.values()) == pytest.approx(1.0)

    def test_every_wanted_tag_weighs_the_same_however_rare(self) -> None:
        # flood_control: one company of three; water_supply: two of three. Both are needs.
        assert scored(FLOOD)["tag_overlap"] == pytest.approx(0.5)
        assert scored(WATER)["tag_overlap"] == pytest.approx(0.5)

    def test_tag_overlap_ranks_as_the_count_of_shared_tags(self) -> None:
        both = replace(GENERAL, tags=frozenset({"flood_control", "water_supply"}))
        pool = [WATER, FLOOD, both]
        stats, company_vectors = vectors(pool)
        wanted = proposal_vector(NEED, stats)
        values = [factor_values(c, wanted)["tag_overlap"] for c in company_vectors]
        shared = [len(NEED.tags & c.tags) for c in pool]
        assert values == pytest.approx([count / len(NEED.tags) for count in shared])

    def test_a_study_carried_out_counts_as_sector_history_not_as_a_claimed_tag(self) -> None:
        study = Reference("Flood F/S", "VN", "Hue", tags=("flood_control",), fiscal_year="FY2021")
        with_study = replace(GENERAL, references=(study,))
        stats, company_vectors = vectors([WATER, FLOOD, with_study])
        values = factor_values(company_vectors[2], proposal_vector(NEED, stats))
        assert values["tag_overlap"] == pytest.approx(0.5)  # water_supply, declared
        assert values["sector_history"] == pytest.approx(0.5)  # flood_control, carried out

    def test_country_experience_counts_declared_and_referenced_halves(self) -> None:
        assert scored(WATER)["country_experience"] == 1.0
        assert scored(FLOOD)["country_experience"] == 0.0

    def test_stage_and_financing_come_from_references(self) -> None:
        assert scored(WATER)["stage_fit"] == 1.0
        assert scored(WATER)["financing_fit"] == 1.0
        assert scored(GENERAL)["stage_fit"] == 0.5  # "consultancy" in its statement

    def test_a_study_carried_out_adds_no_words_to_text_similarity(self) -> None:
        # Its words are the track record's, scored by country, stage and sector history.
        study = Reference(
            "River flood control F/S",
            "VN",
            "Hue",
            "Early warning of river floods.",
            ("flood_control",),
            "feasibility_study",
            fiscal_year="FY2021",
        )
        did_it = replace(GENERAL, references=(study,))
        stats, company_vectors = vectors([WATER, FLOOD, did_it])
        values = factor_values(company_vectors[2], proposal_vector(NEED, stats))
        assert values["text_similarity"] == 0.0
        assert values["sector_history"] == pytest.approx(0.5)
        assert values["stage_fit"] == 1.0

    def test_a_declared_stage_tag_is_the_company_saying_it_does_that_stage(self) -> None:
        planner = replace(GENERAL, tags=GENERAL.tags | {"master_plan"}, statement="Maps.")
        plan = replace(NEED, stage="master_plan", tags=frozenset({"master_plan"}))
        stats, company_vectors = vectors([WATER, FLOOD, planner])
        said = factor_values(company_vectors[2], proposal_vector(plan, stats))["stage_fit"]
        _, factors = explain(company_vectors[2], proposal_vector(plan, stats))
        assert said == 0.5  # as "master plan" in its statement would
        stage = next(factor for factor in factors if factor.factor == "stage_fit")
        assert stage.evidence == ["stage master_plan: declares tag master_plan"]

    def test_a_reference_tagged_with_a_stage_is_experience_of_that_stage(self) -> None:
        reference = Reference("Old town renewal", "KH", tags=("master_plan", "urban_planning"))
        planner = replace(GENERAL, statement="Maps.", references=(reference,))
        plan = replace(NEED, stage="master_plan", tags=frozenset({"master_plan"}))
        stats, company_vectors = vectors([WATER, FLOOD, planner])
        assert factor_values(company_vectors[2], proposal_vector(plan, stats))["stage_fit"] == 1.0

    def test_a_reference_that_names_its_stage_twice_is_its_evidence_once(self) -> None:
        reference = Reference("Master plan of the old town", "KH", tags=("master_plan",))
        planner = replace(GENERAL, statement="Maps.", references=(reference,))
        plan = replace(NEED, stage="master_plan", tags=frozenset({"master_plan"}))
        stats, company_vectors = vectors([WATER, FLOOD, planner])
        _, factors = explain(company_vectors[2], proposal_vector(plan, stats))
        [stage] = [factor for factor in factors if factor.factor == "stage_fit"]
        assert len(stage.evidence) == 1 and "Master plan of the old town" in stage.evidence[0]

    def test_a_local_language_beats_english_alone(self) -> None:
        assert scored(FLOOD)["language"] == 1.0
        assert scored(WATER)["language"] == 0.5
        assert scored(GENERAL)["language"] == 0.0

    def test_text_similarity_follows_shared_rare_terms(self) -> None:
        assert scored(FLOOD)["text_similarity"] > scored(GENERAL)["text_similarity"]


class TestEvidence:
    def test_each_contributing_factor_names_what_matched(self) -> None:
        stats, company_vectors = vectors(POOL)
        score, factors = explain(company_vectors[0], proposal_vector(NEED, stats))
        by_name = {factor.factor: factor for factor in factors}
        assert by_name["tag_overlap"].evidence == ["tag water_supply"]
        assert (
            "reference 'Leakage feasibility study' in VN" in by_name["country_experience"].evidence
        )
        assert "term 'water'" in by_name["text_similarity"].evidence
        assert by_name["financing_fit"].evidence == [
            "financing oda: reference 'Leakage feasibility study'"
        ]
        assert score == pytest.approx(sum(f.contribution for f in factors), abs=1e-3)
        assert [f.contribution for f in factors] == sorted(
            (f.contribution for f in factors), reverse=True
        )


class TestJapanese:
    def test_japanese_statements_match_japanese_needs(self) -> None:
        japanese = replace(FLOOD, company_id="ja", statement="河川の洪水対策と防災システム")
        need = replace(NEED, title="洪水対策", description="防災の計画")
        stats, company_vectors = vectors([*POOL, japanese])
        wanted = proposal_vector(need, stats)
        assert factor_values(company_vectors[-1], wanted)["text_similarity"] > 0.2
        assert factor_values(company_vectors[1], wanted)["text_similarity"] == 0.0

    def test_english_plurals_meet_singulars(self) -> None:
        assert "system" in term_counts("Systems for buses")
        assert "bus" in term_counts("Systems for buses")


class TestVectorisedScoring:
    def test_the_matrix_equals_the_per_pair_formula(self) -> None:
        generate = Generator(seed=3)
        companies = [generate.company(n) for n in range(60)]
        proposals = [generate.proposal(n) for n in range(15)]
        stats, company_vectors = vectors(companies)
        proposal_vectors = [proposal_vector(p, stats) for p in proposals]
        space = Space.of(stats)
        matrix = score_matrix(
            proposal_matrix(proposal_vectors, space), company_matrix(company_vectors, space)
        )
        expected = np.array(
            [[total(factor_values(c, p)) for c in company_vectors] for p in proposal_vectors]
        )
        assert np.allclose(matrix, expected, atol=1e-5)
