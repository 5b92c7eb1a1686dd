"""Sample files for the attachment tests: real signatures, sizes chosen per test."""

import hashlib

PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
EXE_HEAD = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


def pdf(size: int = 20_000, seed: int = 0) -> bytes:
    """A PDF-signed file of ``size`` bytes; ``seed`` makes different bytes."""
    filler = f"% filler {seed} ".encode() * (size // 10 + 1)
    return (PDF_HEAD + filler)[:size]


def png(size: int = 5_000) -> bytes:
    return (PNG_HEAD + bytes(range(256)) * (size // 256 + 1))[:size]


def exe(size: int = 5_000) -> bytes:
    return (EXE_HEAD + b"\x00" * size)[:size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
