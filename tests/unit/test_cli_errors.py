"""The ``jamp`` command says in a line what it lacks, instead of a traceback."""

import os
import subprocess
import sys
from pathlib import Path

NO_DESK = "mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=100"


ROOT = Path(__file__).parents[2]


def jamp(folder: Path, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run in ``folder``, a shell outside the project: no ``jamp dev`` settings file there."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JAMP_")}
    return subprocess.run(
        [sys.executable, "-m", "jamp", *arguments],
        env={**env, "PYTHONPATH": str(ROOT), **environment},
        capture_output=True, text=True, timeout=60, cwd=folder,
    )  # fmt: skip


def test_a_desk_that_does_not_answer_is_said_in_a_line(tmp_path: Path) -> None:
    done = jamp(tmp_path, "keys", "list", JAMP_MONGODB_URI=NO_DESK, JAMP_KEY_PEPPER="x" * 32)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "no database answers" in done.stdout


def test_a_missing_secret_is_said_in_a_line(tmp_path: Path) -> None:
    adding = ["people", "add", "Sato", "--email", "sato@example.org", "--grant", "admin"]
    done = jamp(tmp_path, *adding, JAMP_MONGODB_URI=NO_DESK)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "JAMP_KEY_PEPPER is not set" in done.stdout


def test_mail_of_a_state_folder_that_is_not_there_is_refused(tmp_path: Path) -> None:
    done = jamp(tmp_path, "mail", "list", "--state-dir", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "does not exist" in as_one_line(done.stdout + done.stderr)


def as_one_line(said: str) -> str:
    """What the command said, without its box: it wraps the message at the terminal's width,
    so where a long path breaks it depends on the path (pytest numbers its folders)."""
    return " ".join(said.translate(str.maketrans("│╭╮╰╯─", "      ")).split())
