"""The National Tax Agency's check-digit rule for 13-digit corporate numbers."""

import pytest

from services.companies.model import corporate_number_is_valid

NTA_EXAMPLE = "7000012050002"  # the NTA's own corporate number


def with_check_digit(body: str) -> str:
    """The rule as the docstring states it: 9 - (sum of P_n * Q_n) mod 9, P_n counted from
    the right of the twelve digits, Q_n = 1 for odd n and 2 for even n."""
    total = 0
    for n in range(1, 13):
        p_n = int(body[-n])
        q_n = 1 if n % 2 == 1 else 2
        total += p_n * q_n
    return f"{9 - total % 9}{body}"


VALID = [
    NTA_EXAMPLE,
    with_check_digit("123456789012"),
    with_check_digit("999999999999"),
    with_check_digit("000000000000"),
    with_check_digit("010101010101"),
    with_check_digit("480193726455"),
]


def test_the_national_tax_agencys_own_number_is_valid() -> None:
    assert corporate_number_is_valid(NTA_EXAMPLE)


def test_the_check_digit_computed_here_agrees_with_the_ntas_own_number() -> None:
    assert with_check_digit(NTA_EXAMPLE[1:]) == NTA_EXAMPLE


@pytest.mark.parametrize("number", VALID)
def test_a_number_whose_first_digit_checks_the_other_twelve_is_valid(number: str) -> None:
    assert corporate_number_is_valid(number)


def test_a_sum_divisible_by_nine_gives_check_digit_nine() -> None:
    assert with_check_digit("000000000000") == "9000000000000"
    assert corporate_number_is_valid("9000000000000")


@pytest.mark.parametrize("number", VALID)
def test_changing_any_single_digit_invalidates_the_number(number: str) -> None:
    for position, original in enumerate(number):
        for replacement in "0123456789":
            # Sums are taken mod 9, so swapping a 0 and a 9 is the one change the rule
            # cannot see; every other substitution must be caught.
            if replacement == original or abs(int(replacement) - int(original)) == 9:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            assert not corporate_number_is_valid(changed), changed


def test_a_corporate_number_with_a_wrong_check_digit_is_rejected() -> None:
    assert not corporate_number_is_valid("8000012050002")


@pytest.mark.parametrize(
    "number",
    [
        "",
        "700001205000",  # 12 digits
        "70000120500020",  # 14 digits
        "700001205000X",
        "7000-12050002",
        " 700001205000",
        "".join(chr(ord(digit) + 0xFEE0) for digit in NTA_EXAMPLE),  # full-width digits
        "٧٠٠٠٠١٢٠٥٠٠٠٢",  # Arabic-Indic digits pass str.isdigit but are not ASCII
    ],
)
def test_anything_but_thirteen_ascii_digits_is_rejected(number: str) -> None:
    assert not corporate_number_is_valid(number)
