"""No silent insecure default: without JAMP_KEY_PEPPER no service starts."""

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from jamp.dev import dev_pepper
from services.companies.app import create_app as companies
from services.inquiries.app import create_app as inquiries
from services.matching.app import create_app as matching
from services.monitor.app import create_app as monitor
from services.proposals.app import create_app as proposals
from shared.settings import MissingSecret, ServiceSettings

ROOT = Path(__file__).parents[2]


def test_settings_without_a_pepper_name_the_missing_variable() -> None:
    with pytest.raises(MissingSecret, match="JAMP_KEY_PEPPER is not set"):
        ServiceSettings(key_pepper=None).pepper()


@pytest.mark.parametrize(
    "pepper", ["short", "jamp-dev-pepper-change-me", "REPLACE-FROM-SECRET-STORE"]
)
def test_a_short_or_public_pepper_is_refused(pepper: str) -> None:
    with pytest.raises(ValidationError, match="JAMP_KEY_PEPPER"):
        ServiceSettings(key_pepper=pepper)


@pytest.mark.parametrize("create_app", [companies, proposals, inquiries, matching, monitor])
def test_no_service_app_is_built_without_a_pepper(
    create_app: Callable[[ServiceSettings], web.Application],
) -> None:
    with pytest.raises(MissingSecret):
        create_app(ServiceSettings(key_pepper=None))


def test_a_service_process_refuses_to_start_without_a_pepper() -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JAMP_")}
    finished = subprocess.run(
        [sys.executable, "-m", "services.companies"],
        env={**environment, "JAMP_HTTP_PORT": "0"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode != 0
    assert "companies refused to start: JAMP_KEY_PEPPER is not set" in finished.stderr


def test_jamp_dev_generates_its_pepper_once_and_keeps_it_private(tmp_path: Path) -> None:
    first = dev_pepper(tmp_path / "state")
    assert len(first) >= 32 and dev_pepper(tmp_path / "state") == first
    mode = (tmp_path / "state" / "key_pepper").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert dev_pepper(tmp_path / "other") != first
