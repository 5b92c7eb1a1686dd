"""The layers of the code base: ``shared/`` holds mechanisms and published contracts, so it
never imports a service or the ``jamp`` command (the composition root that may import
everything), and a service never imports another service (they talk over Kafka only)."""

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    """The top two levels of every module a file imports (``services.matching``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {".".join(name.split(".")[:2]) for name in names}


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_walk_finds_imports() -> None:
    assert {"services.matching", "jamp.dev", "typer"} <= _imported(ROOT / "jamp" / "matching.py")


def test_shared_imports_no_service_and_not_the_command() -> None:
    wrong = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _modules(ROOT / "shared")
        for name in _imported(path)
        if name.split(".")[0] in {"services", "jamp"}
    }
    assert not wrong


def test_a_service_imports_no_other_service() -> None:
    wrong = set()
    for service in (folder for folder in (ROOT / "services").iterdir() if folder.is_dir()):
        for path in _modules(service):
            for name in _imported(path):
                if name.startswith("services.") and name != f"services.{service.name}":
                    wrong.add(f"{path.relative_to(ROOT)}: {name}")
    assert not wrong
