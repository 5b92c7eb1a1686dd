"""``jamp chaos`` in its short form: one round of every fault, one after another on one
desk (every service, the broker and the database), reconciled to zeros."""

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from jamp.chaos.faults import FAULTS

REQUESTS = 20


def written_rounds(folder: Path) -> list[dict[str, Any]]:
    [written] = folder.glob("chaos-*.json")
    rounds: list[dict[str, Any]] = json.loads(written.read_text())["rounds"]
    return rounds


@pytest.mark.deadline(1260)  # the run's own bound (1200 s) reports first, with its output
async def test_one_short_round_of_every_fault_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "jamp", "chaos", "--rounds", "1", "--desk", "one",
        "--requests", str(REQUESTS), "--concurrency", "4", "--output", str(tmp_path),
        "--state-dir", str(tmp_path / "desks"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 1200)
    assert process.returncode == 0, output.decode()[-4000:]
    rounds = await asyncio.to_thread(written_rounds, tmp_path)
    assert [row["fault"] for row in rounds] == list(FAULTS)
    for row in rounds:
        assert row["accepted"] == REQUESTS, row
        assert (row["lost"], row["duplicated"], row["wrong_answers"]) == (0, 0, 0), row
        assert (row["extra_dead_letters"], row["outbox_pending"], row["missing"]) == (0, 0, {})
        assert row["recovery_seconds"] is not None, row
