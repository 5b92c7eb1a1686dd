"""What the matching service loads before it has work: its idle memory (≤ 150 MB)."""

import subprocess
import sys


def test_the_service_starts_without_the_meeting_solver_loaded() -> None:
    # scipy.optimize (the scheduler's milp) is ~30 MB of a process that only schedules
    # meetings now and then; it is imported when a schedule is solved.
    probe = "import sys, services.matching.app; print('scipy.optimize' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "False"
