"""Where a dead letter may be replayed to, and what a dry run says. Pure rules."""

from services.monitor.events.model import RawRecord, index_entry
from services.monitor.letters.model import DeadLetter, dead_letter_of, dry_run, replay_refusal
from shared.contracts.companies import CompanyVerified
from shared.contracts.identity import ApiKeyIssued
from shared.envelope import Envelope
from shared.topics import Topics

TOPICS = Topics("jamp")
COMPANIES, IDENTITY = TOPICS.of("companies"), TOPICS.of("identity")


def verified() -> Envelope:
    return Envelope.wrap(
        CompanyVerified(company_id="c", version=1, by="a"), source="s", subject="c"
    )


def key_issued() -> Envelope:
    event = ApiKeyIssued.model_validate(
        {"key_id": "k", "key_hash": "h", "role": "admin", "scope": None, "label": "x",
         "issued_at": "2026-11-28T00:00:00Z"}
    )  # fmt: skip
    return Envelope.wrap(event, source="identity", subject="k")


def letter(value: bytes, dlq_topic: str, **headers: str) -> DeadLetter:
    encoded = [(name, text.encode()) for name, text in headers.items()]
    raw = RawRecord(topic=dlq_topic, partition=0, offset=1, timestamp_ms=0, key=b"k",
                    value=value, headers=encoded)  # fmt: skip
    return dead_letter_of(index_entry(raw))


class TestTarget:
    def test_the_target_is_the_dead_letter_topics_own_source_whatever_a_header_says(
        self,
    ) -> None:
        forged = letter(key_issued().to_bytes(), f"{COMPANIES}.dlq", **{
            "dlq.original_topic": IDENTITY
        })  # fmt: skip
        assert forged.original_topic == COMPANIES and forged.reported_topic == IDENTITY

    def test_a_type_that_topic_does_not_carry_is_refused(self) -> None:
        forged = letter(key_issued().to_bytes(), f"{COMPANIES}.dlq")
        refusal = replay_refusal(forged, TOPICS)
        assert (
            refusal == f"type jamp.apikey.issued.v1 is published on {IDENTITY}, not on {COMPANIES}"
        )

    def test_a_type_without_a_contract_or_no_event_at_all_is_refused(self) -> None:
        unknown = verified().model_copy(update={"type": "jamp.nothing.v9"})
        assert replay_refusal(letter(unknown.to_bytes(), f"{COMPANIES}.dlq"), TOPICS)
        assert replay_refusal(letter(b"not json", f"{COMPANIES}.dlq"), TOPICS)

    def test_a_type_of_that_topic_may_go_back(self) -> None:
        assert replay_refusal(letter(verified().to_bytes(), f"{COMPANIES}.dlq"), TOPICS) is None
        assert replay_refusal(letter(key_issued().to_bytes(), f"{IDENTITY}.dlq"), TOPICS) is None


class TestDryRun:
    def check(self, envelope: Envelope | bytes, dlq: str = f"{COMPANIES}.dlq") -> list[str]:
        value = envelope if isinstance(envelope, bytes) else envelope.to_bytes()
        return dry_run(letter(value, dlq), value, TOPICS).problems

    def test_it_names_what_the_current_schema_rejects(self) -> None:
        valid = verified()
        broken = valid.model_copy(update={"data": {"company_id": "c"}})
        assert self.check(valid) == []
        assert self.check(broken) == ["data.version: Field required", "data.by: Field required"]
        assert "not JSON" in self.check(b"nope")[0]

    def test_it_says_when_the_target_topic_does_not_carry_the_type(self) -> None:
        value = key_issued().to_bytes()
        result = dry_run(letter(value, f"{COMPANIES}.dlq"), value, TOPICS)
        assert not result.valid and result.target_topic == COMPANIES
        assert result.problems == [
            f"type jamp.apikey.issued.v1 is published on {IDENTITY}, not on {COMPANIES}"
        ]

    def test_an_unknown_type_is_one_problem_for_the_schema_and_one_for_the_target(self) -> None:
        unknown = verified().model_copy(update={"type": "jamp.nothing.v9"})
        assert self.check(unknown) == [
            "no contract for type 'jamp.nothing.v9'",
            f"type 'jamp.nothing.v9' has no contract: nothing may replay it to {COMPANIES}",
        ]
