"""Retry backoff of the consumer runner, and what a dead-lettered record carries."""

from datetime import datetime

import pytest
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from shared.consumer import PoisonEvent, RetryPolicy
from shared.contracts.companies import CompanyVerified
from shared.dead_letters import dead_letter_headers
from shared.errors import describe

ORIGINAL_HEADERS = [("ce_id", b"e-1"), ("ce_type", b"jamp.company.verified.v1"), ("x", b"")]


def record(headers: list[tuple[str, bytes]]) -> ConsumerRecord:
    return ConsumerRecord(
        topic="jamp.companies.v1",
        partition=2,
        offset=41,
        timestamp=1_700_000_000_000,
        timestamp_type=0,
        key=b"c-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=2,
        headers=headers,
    )


class TestRetryPolicy:
    def test_the_delay_doubles_with_each_attempt(self) -> None:
        policy = RetryPolicy(base_seconds=0.5, max_seconds=60, max_attempts=5)
        assert [policy.delay(attempt) for attempt in range(1, 6)] == [0.5, 1, 2, 4, 8]

    def test_the_delay_is_capped(self) -> None:
        policy = RetryPolicy(base_seconds=0.2, max_seconds=10, max_attempts=5)
        assert policy.delay(6) == 6.4
        assert policy.delay(7) == 10
        assert policy.delay(50) == 10

    @pytest.mark.parametrize("attempt", [1_024, 1_025, 5_000])
    def test_the_delay_stays_capped_however_long_an_outage_lasts(self, attempt: int) -> None:
        # Transient failures and an unreachable broker are retried without an attempt limit.
        policy = RetryPolicy(base_seconds=0.2, max_seconds=10, max_attempts=5)
        assert policy.delay(attempt) == 10


class TestDeadLetterHeaders:
    def test_the_original_headers_are_kept_first_and_in_order(self) -> None:
        headers = dead_letter_headers(record(ORIGINAL_HEADERS), "matching", PoisonEvent("bad"))
        assert headers[: len(ORIGINAL_HEADERS)] == ORIGINAL_HEADERS

    def test_dlq_headers_say_why_and_where_the_record_failed(self) -> None:
        headers = dict(dead_letter_headers(record([]), "matching", PoisonEvent("no such city")))
        assert headers["dlq.error"] == b"PoisonEvent: no such city"
        assert headers["dlq.error_type"] == b"PoisonEvent"
        assert headers["dlq.original_topic"] == b"jamp.companies.v1"
        assert headers["dlq.original_partition"] == b"2"
        assert headers["dlq.original_offset"] == b"41"
        assert headers["dlq.consumer_group"] == b"matching"
        assert datetime.fromisoformat(headers["dlq.failed_at"].decode()).tzinfo is not None

    def test_only_dlq_headers_are_added(self) -> None:
        headers = dead_letter_headers(record(ORIGINAL_HEADERS), "g", ValueError("x"))
        added = headers[len(ORIGINAL_HEADERS) :]
        assert len(added) == 7
        assert all(name.startswith("dlq.") and isinstance(v, bytes) for name, v in added)

    def test_a_huge_error_message_is_truncated(self) -> None:
        headers = dict(dead_letter_headers(record([]), "g", ValueError("x" * 10_000)))
        assert len(headers["dlq.error"]) == 4000


class TestErrorTexts:
    """Stored failures and log lines never repeat the input: it may be someone's contact."""

    def failure(self) -> ValidationError:
        contact = {"company_id": ["sato@example.co.jp", "+84 236 3822 123"], "version": "x"}
        with pytest.raises(ValidationError) as caught:
            CompanyVerified.model_validate(contact)
        assert "sato@example.co.jp" in str(caught.value)  # what pydantic itself would show
        return caught.value

    def test_a_validation_error_is_described_by_where_what_and_why(self) -> None:
        assert describe(self.failure()) == (
            "ValidationError: 3 error(s) in CompanyVerified: "
            "company_id: Input should be a valid string [string_type]; "
            "version: Input should be a valid integer, unable to parse string as an integer "
            "[int_parsing]; by: Field required [missing]"
        )

    def test_the_dead_letter_header_carries_no_input(self) -> None:
        headers = dict(dead_letter_headers(record([]), "g", self.failure()))
        error = headers["dlq.error"].decode()
        assert error.startswith("ValidationError: 3 error(s) in CompanyVerified: company_id:")
        assert "sato@" not in error and "3822" not in error

    def test_other_errors_keep_type_and_message(self) -> None:
        assert describe(PoisonEvent("no such city")) == "PoisonEvent: no such city"
