"""Search terms: folded words, and characters plus bigrams for Japanese runs."""

import pytest

from shared.text import query_alternatives, query_terms, stemmed_terms, terms


def full_width(ascii_text: str) -> str:
    """The text as a Japanese keyboard types it: full-width forms, ideographic spaces."""
    return "".join("\u3000" if char == " " else chr(ord(char) + 0xFEE0) for char in ascii_text)


class TestLatinText:
    def test_words_are_lower_cased_and_split_on_punctuation(self) -> None:
        assert terms("Flood-Control, SMART grid!") == {"flood", "control", "smart", "grid"}

    def test_stop_words_are_dropped(self) -> None:
        assert terms("The Design of a Network for Water and Power") == {
            "design",
            "network",
            "water",
            "power",
        }

    def test_digits_are_words_too(self) -> None:
        assert terms("5G telecom since 2022") == {"5g", "telecom", "since", "2022"}

    def test_full_width_letters_and_digits_are_normalised(self) -> None:
        typed = full_width("WATER 2022")
        assert not typed.isascii()
        assert terms(typed) == {"water", "2022"}

    def test_accented_latin_letters_stay_inside_their_words_folded_to_plain_letters(
        self,
    ) -> None:
        assert terms("Café in Đà Nẵng") == {"cafe", "da", "nang"}

    def test_a_query_with_or_without_accents_finds_the_same(self) -> None:
        assert query_terms("Da Nang") == query_terms("Đà Nẵng") <= terms("Port of Đà Nẵng")

    def test_text_without_words_has_no_terms(self) -> None:
        assert terms("  --- !!! ") == set()
        assert terms("") == set()


class TestJapaneseText:
    def test_a_japanese_run_is_indexed_as_characters_and_overlapping_bigrams(self) -> None:
        bigrams = {"防災", "災シ", "シス", "ステ", "テム"}
        assert terms("防災システム") == bigrams | set("防災システム")

    def test_a_japanese_query_asks_for_its_bigrams(self) -> None:
        assert query_terms("防災システム") == {"防災", "災シ", "シス", "ステ", "テム"}

    def test_a_single_character_query_finds_it_inside_a_longer_run(self) -> None:
        assert query_terms("水") <= terms("上水道")

    def test_a_word_inside_a_longer_run_is_found_by_its_bigram(self) -> None:
        assert terms("防災") <= terms("防災システム")

    def test_a_single_cjk_character_is_its_own_term(self) -> None:
        assert terms("水") == {"水"}

    def test_half_width_katakana_is_normalised_to_full_width(self) -> None:
        assert query_terms("ﾃｽﾄ") == {"テス", "スト"}

    @pytest.mark.parametrize(
        ("title", "word"),
        [
            ("ระบบเตือนภัยน้ำท่วมกรุงเทพ", "น้ำท่วม"),  # Thai: flood, inside a title
            ("ระบบเตือนภัยน้ำท่วมกรุงเทพ", "เตือนภัย"),  # warning
            ("ໂຄງການນ້ຳປະປາວຽງຈັນ", "ນ້ຳປະປາ"),  # Lao: tap water
            ("ប្រព័ន្ធទឹកស្អាតភ្នំពេញ", "ទឹកស្អាត"),  # Khmer: clean water
            ("ရန်ကုန်မြို့ရေပေးဝေရေး", "ရေပေးဝေ"),  # Burmese: water supply
        ],
    )
    def test_a_word_of_a_script_without_spaces_is_found_inside_a_title(
        self, title: str, word: str
    ) -> None:
        # Vowel and tone marks are no letters to a regular expression: taken as word
        # breaks, they cut Thai into pieces no query lined up with.
        assert query_terms(word) <= terms(title)
        assert not query_terms("ไฟฟ้า") <= terms(title)  # electricity is not in it

    def test_mixed_text_yields_words_and_bigrams(self) -> None:
        assert query_terms("AI防災 platform") == {"ai", "防災", "platform"}

    def test_runs_split_at_spaces_and_punctuation_do_not_pair_across(self) -> None:
        assert query_terms("水道、下水") == {"水道", "下水"}


def found_by(document: str, query: str) -> bool:
    """As a MongoDB-wire engine matches: every query term by one of its alternatives."""
    stored = stemmed_terms(document)
    return all(either & stored for either in query_alternatives(query))


class TestEnglishStemming:
    def test_a_word_finds_its_inflections_both_ways(self) -> None:
        assert found_by("River flood sensors", "floods")
        assert found_by("Floods every monsoon", "flood")
        assert found_by("Flooding of the delta sensors", "flooded sensor")
        assert not found_by("Smart parking", "floods")

    def test_the_words_themselves_stay_so_terms_stored_before_stemming_still_match(
        self,
    ) -> None:
        assert terms("Cities flooding") <= stemmed_terms("Cities flooding")
        assert all(either & terms("cities") for either in query_alternatives("cities"))

    def test_japanese_is_not_stemmed(self) -> None:
        assert stemmed_terms("防災システム") == terms("防災システム")
        assert query_alternatives("防災") == [{"防災"}]

    def test_plain_terms_stay_unstemmed_for_their_other_users(self) -> None:
        assert terms("floods") == {"floods"}
        assert query_terms("floods") == {"floods"}
