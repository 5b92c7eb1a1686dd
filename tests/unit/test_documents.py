"""The pure parts of attachments: what the bytes are, what the file may be called, ranges."""

from datetime import timedelta

import pytest

from shared.documents.download import disposition
from shared.documents.media import (
    ALLOWED_MEDIA_TYPES,
    MAX_NAME_LENGTH,
    TextCheck,
    safe_name,
    sniff,
    with_true_extension,
)
from shared.documents.ranges import ByteRange, RangeNotSatisfiable, requested_range
from shared.documents.sweeper import limits_of
from shared.settings import ServiceSettings
from tests.documents import exe, pdf, png


class TestSniffing:
    @pytest.mark.parametrize(
        ("head", "name", "expected"),
        [
            (pdf(), "x.png", "application/pdf"),
            (png(), "x.pdf", "image/png"),
            (b"PK\x03\x04" + b"\x00" * 60, "x.txt", "application/zip"),
            (b"a,b\n1,2\n", "table.CSV", "text/csv"),
            (b"a,b\n1,2\n", "table.pdf", "text/plain"),
            ("こんにちは".encode()[:-1], "cut.txt", "text/plain"),  # cut mid-character
        ],
    )
    def test_the_type_comes_from_the_bytes(self, head: bytes, name: str, expected: str) -> None:
        assert sniff(head, name) == expected

    @pytest.mark.parametrize(
        "head",
        [exe(), b"\x1f\x8b\x08\x00" + b"\x00" * 40, bytes(range(256)), b"text\x00with nul", b""],
    )
    def test_anything_off_the_allow_list_is_refused(self, head: bytes) -> None:
        assert sniff(head, "innocent.pdf") is None


class TestNames:
    @pytest.mark.parametrize(
        ("declared", "expected"),
        [
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\me\\Budget.xlsx", "Budget.xlsx"),
            ('a"b<c>|d?.pdf', "a_b_c__d_.pdf"),
            ("invoice\u202efdp.exe", "invoice_fdp.exe"),  # a right-to-left override
            ("  ..hidden  ", "hidden"),
            ("Permit — 許可.pdf", "Permit — 許可.pdf"),
            ("", "attachment.pdf"),
            (None, "attachment.pdf"),
        ],
    )
    def test_names_are_sanitised(self, declared: str | None, expected: str) -> None:
        assert safe_name(declared, "application/pdf") == expected

    def test_a_long_name_keeps_its_extension(self) -> None:
        name = safe_name("x" * 500 + ".pdf", "application/pdf")
        assert len(name) == MAX_NAME_LENGTH and name.endswith(".pdf")

    @pytest.mark.parametrize(
        ("name", "media_type", "kept_as"),
        [
            ("run.bat", "text/plain", "run.bat.txt"),
            ("page.html", "text/plain", "page.html.txt"),
            ("notes", "text/plain", "notes.txt"),
            ("notes.TXT", "text/plain", "notes.TXT"),
            ("data.json", "text/plain", "data.json"),
            ("photo.jpeg", "image/jpeg", "photo.jpeg"),
            ("photo.png.exe", "image/png", "photo.png.exe.png"),
            ("Budget.xlsx", "application/zip", "Budget.xlsx"),  # a ZIP, as sniffers may see it
            ("macro.docm", "application/zip", "macro.docm.zip"),
            ("table.csv", "text/csv", "table.csv"),
        ],
    )
    def test_a_stored_name_ends_as_what_its_bytes_are(
        self, name: str, media_type: str, kept_as: str
    ) -> None:
        assert with_true_extension(name, media_type) == kept_as

    def test_a_long_name_given_its_true_extension_stays_within_the_limit(self) -> None:
        name = with_true_extension("x" * (MAX_NAME_LENGTH - 4) + ".bat", "text/plain")
        assert len(name) == MAX_NAME_LENGTH and name.endswith(".txt")

    @pytest.mark.parametrize("media_type", sorted(ALLOWED_MEDIA_TYPES))
    def test_every_allowed_type_has_a_true_extension(self, media_type: str) -> None:
        assert with_true_extension("file", media_type) != "file"

    def test_the_disposition_is_an_attachment_with_an_exact_utf8_name(self) -> None:
        assert disposition("Plan 許可.pdf") == (
            "attachment; filename=\"Plan __.pdf\"; filename*=UTF-8''Plan%20%E8%A8%B1%E5%8F%AF.pdf"
        )


class TestRanges:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            (None, None),
            ("bytes=0-9", ByteRange(0, 9)),
            ("bytes=90-", ByteRange(90, 99)),
            ("bytes=-10", ByteRange(90, 99)),
            ("bytes=-500", ByteRange(0, 99)),
            ("bytes=50-5000", ByteRange(50, 99)),
            ("bytes=0-1,5-6", None),  # several ranges: the whole file
            ("items=0-1", None),
            ("bytes=9-2", None),
        ],
    )
    def test_one_range_is_served_else_the_whole_file(
        self, header: str | None, expected: ByteRange | None
    ) -> None:
        assert requested_range(header, 100) == expected

    @pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=500-600"])
    def test_a_range_outside_the_file_is_not_satisfiable(self, header: str) -> None:
        with pytest.raises(RangeNotSatisfiable):
            requested_range(header, 100)

    def test_content_range_names_the_span_and_the_size(self) -> None:
        assert ByteRange(10, 19).content_range(100) == "bytes 10-19/100"


def test_the_default_limits_are_20_mib_per_file_100_mib_per_parent_and_a_days_grace() -> None:
    limits = limits_of(ServiceSettings())
    assert (limits.max_file_bytes, limits.max_parent_bytes) == (20 * 2**20, 100 * 2**20)
    assert limits.grace == timedelta(hours=24)


class TestWholeText:
    def test_text_fed_in_pieces_split_inside_characters_holds(self) -> None:
        check, data = TextCheck(), "説明書\tline\r\n\f".encode() * 100
        for start in range(0, len(data), 7):  # 7 bytes: pieces end inside characters
            check.feed(data[start : start + 7])
        assert check.feed(b"", final=True)

    @pytest.mark.parametrize("tail", [b"\x00", b"\x1b[31m", b"\x7f", b"\xff", b"\x0b", b"\xe8\xaa"])
    def test_a_control_character_bad_byte_or_cut_character_anywhere_fails(
        self, tail: bytes
    ) -> None:
        check = TextCheck()
        check.feed(b"a" * 10_000)
        check.feed(tail)
        assert not check.feed(b"more text", final=True)
