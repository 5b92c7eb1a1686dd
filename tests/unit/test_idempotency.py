"""The request an Idempotency-Key names: the same JSON however it is spelled."""

from shared.idempotency import claim_of


def fingerprint(body: bytes) -> str:
    return claim_of("key-1", "POST", "/companies", "order-7", body).fingerprint


class TestFingerprint:
    def test_the_same_json_spaced_and_ordered_otherwise_is_the_same_request(self) -> None:
        compact = b'{"name_en":"Aqua","tags":["water_supply"],"size":"small"}'
        spaced = b'{\n  "size": "small",\n  "tags": [ "water_supply" ],\n  "name_en": "Aqua"\n}'
        escaped = b'{"size":"small","tags":["water_supply"],"name_en":"\\u0041qua"}'
        assert fingerprint(compact) == fingerprint(spaced) == fingerprint(escaped)

    def test_another_value_or_order_within_a_list_is_another_request(self) -> None:
        first = fingerprint(b'{"tags":["a","b"]}')
        assert first != fingerprint(b'{"tags":["b","a"]}')
        assert first != fingerprint(b'{"tags":["a","c"]}')

    def test_integers_past_a_double_stay_apart(self) -> None:
        assert fingerprint(b'{"n":123456789012345678901234567890}') != fingerprint(
            b'{"n":123456789012345678901234567891}'
        )

    def test_a_body_that_is_not_json_is_compared_as_sent(self) -> None:
        assert fingerprint(b"--boundary\r\nfile") != fingerprint(b"--boundary\r\nfile ")
        assert fingerprint(b"[" * 100_000) != fingerprint(b"[" * 100_001)  # too deep to read
