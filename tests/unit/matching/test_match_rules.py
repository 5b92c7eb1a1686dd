"""The Match's answers and when it is offered to the company, what changed in words, fiscal
years, local times and the report."""

from datetime import UTC, datetime, timedelta

import pytest

from services.matching.model import AlreadyAnswered, Match, MatchClosed, NotAllowed, Response
from services.matching.readmodel import describe_changes, factor_changes
from services.matching.sessions.model import Meeting, Outcome, Slot, fiscal_year, local_slot, report
from shared.contracts.matching import MatchFactor

NOW = datetime(2025, 10, 1, tzinfo=UTC)
WINDOW = timedelta(days=14)


def match() -> Match:
    return Match(
        match_id="p.c",
        proposal_id="p",
        company_id="c",
        company_name="C",
        city_id="x",
        country="VN",
        focus_areas=[],
        tags=[],
        score=0.5,
        rank=1,
        factors=[],
        version=1,
        status="proposed",
        created_at=NOW,
        updated_at=NOW,
    )


def answer(accepted: bool = True, reason: str | None = None) -> Response:
    return Response(accepted=accepted, reason=reason, by="someone", at=NOW)


class TestAnswers:
    def test_one_acceptance_is_a_request_with_a_deadline(self) -> None:
        waiting = match().respond("company", answer(), WINDOW)
        assert waiting.status == "accepted_by_company" and waiting.waiting_for == "city"
        assert waiting.expires_at == NOW + WINDOW
        assert waiting.expired(NOW + WINDOW) and not waiting.expired(NOW)

    def test_both_acceptances_make_it_mutual(self) -> None:
        both = match().respond("city", answer(), WINDOW).respond("company", answer(), WINDOW)
        assert both.status == "accepted" and both.expires_at is None and both.version == 3

    def test_a_decline_closes_it_for_both(self) -> None:
        declined = match().respond("city", answer(False, "no budget"), WINDOW)
        assert declined.status == "declined"
        with pytest.raises(MatchClosed):
            declined.respond("company", answer(), WINDOW)

    def test_a_side_answers_once(self) -> None:
        with pytest.raises(AlreadyAnswered):
            match().respond("city", answer(), WINDOW).respond("city", answer(), WINDOW)


class TestOfferedToTheCompany:
    @pytest.mark.parametrize("status", ["accepted", "matched", "closed"])
    def test_from_the_proposals_acceptance_on(self, status: str) -> None:
        assert match().offered(status)

    @pytest.mark.parametrize("status", ["submitted", "under_review", "rejected", None])
    def test_not_while_the_proposal_is_reviewed_or_after_it_was_turned_down(
        self, status: str | None
    ) -> None:
        assert not match().offered(status)

    def test_an_answered_match_stays_offered_whatever_its_proposal_became(self) -> None:
        answered = match().respond("city", answer(), WINDOW)
        assert answered.offered("rejected") and answered.offered(None)

    def test_only_the_two_sides_speak(self) -> None:
        assert match().side_of("company", "c") == "company"
        assert match().side_of("city", "x") == "city"
        with pytest.raises(NotAllowed):
            match().side_of("company", "other")


class TestChangesInWords:
    def test_list_fields_say_what_was_added_and_removed(self) -> None:
        before = {"tags": ["water_supply"], "capability_statement": "old"}
        changes = {"tags": ["flood_control"], "capability_statement": "new"}
        assert describe_changes("company", before, changes) == [
            "company changed capability statement",
            "company added tag flood_control",
            "company removed tag water_supply",
        ]

    def test_factor_moves_are_listed_old_to_new(self) -> None:
        before = [MatchFactor(factor="tag_overlap", contribution=0.1)]
        after = [
            MatchFactor(factor="tag_overlap", contribution=0.3),
            MatchFactor(factor="language", contribution=0.0),
        ]
        assert factor_changes(before, after) == ["tag_overlap 0.100 -> 0.300"]


class TestSessions:
    def test_the_fiscal_year_starts_in_april(self) -> None:
        assert fiscal_year(datetime(2026, 3, 31, tzinfo=UTC)) == "FY2025"
        assert fiscal_year(datetime(2026, 4, 1, tzinfo=UTC)) == "FY2026"

    def test_times_are_shown_in_each_zone(self) -> None:
        slot = Slot(
            start=datetime(2025, 10, 8, 1, tzinfo=UTC), end=datetime(2025, 10, 8, 2, tzinfo=UTC)
        )
        assert local_slot(slot, "Asia/Tokyo").start == "2025-10-08T10:00:00+09:00"
        assert local_slot(slot, "Asia/Jakarta").start == "2025-10-08T08:00:00+07:00"

    def test_a_slot_ends_after_it_starts(self) -> None:
        with pytest.raises(ValueError):
            Slot(start=NOW, end=NOW)

    def test_the_report_counts_ratings_and_next_steps(self) -> None:
        slot = Slot(start=NOW, end=NOW + timedelta(minutes=30))
        outcome = Outcome(rating=4, next_step="mou")
        meetings = [
            Meeting(
                meeting_id="m1",
                session_id="s",
                match_id="a",
                proposal_id="p",
                company_id="c",
                city_id="x",
                slot=slot,
                table="A",
                score=0.5,
                outcomes={"company": outcome},
            ),
            Meeting(
                meeting_id="m2",
                session_id="s",
                match_id="b",
                proposal_id="p",
                company_id="d",
                city_id="x",
                slot=slot,
                table="B",
                score=0.4,
            ),
        ]
        summary = report("s", meetings)
        assert summary.meetings == 2 and summary.outcomes_recorded == 1
        assert summary.average_rating == 4 and summary.meetings_with_mou == ["m1"]
