"""``jamp`` commands talk to the desk whose state folder they are pointed at."""

from pathlib import Path

import pytest

from jamp.dev import ENV_FILE, STATE_DIR_VARIABLE, desk_settings
from shared.settings import ServiceSettings


def started_desk(state_dir: Path, mongodb_port: int) -> None:
    """What ``jamp dev --state-dir`` leaves in its folder for other terminals."""
    state_dir.mkdir(parents=True)
    (state_dir / ENV_FILE).write_text(f"JAMP_MONGODB_URI=mongodb://127.0.0.1:{mongodb_port}\n")


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout where two desks were started, the default one and another; no JAMP_
    variable of the shell running the tests leaks in."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JAMP_MONGODB_URI", raising=False)
    monkeypatch.delenv(STATE_DIR_VARIABLE, raising=False)
    started_desk(tmp_path / ".jamp" / "dev", 27001)
    started_desk(tmp_path / "other", 27002)
    return tmp_path


def test_the_default_desk_is_the_default_state_folders(checkout: Path) -> None:
    assert desk_settings(ServiceSettings).mongodb_uri == "mongodb://127.0.0.1:27001"


def test_a_second_desk_does_not_redirect_the_first_ones_commands(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_DIR_VARIABLE, str(checkout / "other"))
    assert desk_settings(ServiceSettings).mongodb_uri == "mongodb://127.0.0.1:27002"
    assert desk_settings(ServiceSettings, checkout / ".jamp" / "dev").mongodb_uri.endswith("27001")


def test_the_environment_wins_over_the_desks_file(
    checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JAMP_MONGODB_URI", "mongodb://db.example:27017")
    assert desk_settings(ServiceSettings).mongodb_uri == "mongodb://db.example:27017"
