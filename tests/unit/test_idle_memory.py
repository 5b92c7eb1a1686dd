"""What a service loads before it has work: its idle memory (≤ 150 MB each)."""

import subprocess
import sys

import pytest

SERVICES = ("companies", "proposals", "inquiries", "matching", "monitor", "notifications")


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_without_the_docs_ui_in_memory(service: str) -> None:
    # offapi reads the three API-docs UIs it ships (~9 MB of script, ~40 MB in memory) when
    # imported: the docs page imports it at its first view instead.
    probe = f"import sys, services.{service}.app; print('offapi' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "False"
