"""Files that hold a secret of the local desk (a key pepper, object-store keys)."""

from collections.abc import Callable
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Readable by the owner only: it holds a secret."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def read_or_create(path: Path, make: Callable[[], str]) -> str:
    """The secret kept at ``path``, made (and kept, owner-only) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, make())
    return path.read_text().strip()
