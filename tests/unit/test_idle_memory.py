"""What a service loads before it has work: its idle memory (≤ 150 MB each)."""

import subprocess
import sys

import pytest

SERVICES = ("companies", "proposals", "inquiries", "matching", "monitor", "notifications")


def loaded_at_start(service: str, module: str) -> bool:
    probe = f"import sys, services.{service}.app; print({module!r} in sys.modules)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip() == "True"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_without_the_docs_ui_in_memory(service: str) -> None:
    # offapi reads the three API-docs UIs it ships (~9 MB of script, ~40 MB in memory) when
    # imported: the docs page imports it at its first view instead.
    assert not loaded_at_start(service, "offapi")


def test_matching_starts_without_the_meeting_solver_in_memory() -> None:
    # scipy.optimize (the scheduler's milp) is ~30 MB of a process that only schedules
    # meetings now and then; it is imported when a schedule is solved.
    assert not loaded_at_start("matching", "scipy.optimize")
