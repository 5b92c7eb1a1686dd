"""Factor weights with a version: the hand-set ones, or a file ``jamp matching fit`` wrote.

The version names the weights themselves (a digest of the values and of the factors'
revision), so two files with the same weights are the same version and every match can say
which weights scored it. Weights are learned for what the factors mean: a file fitted while
they meant something else is refused, since scoring with it would quietly mix two meanings
(and its version, unchanged, would not rescore the open lists).
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.matching.scoring.factors import FACTORS, WEIGHTS

FACTORS_REVISION = 4
"""Raised when a factor changes meaning (3: tag overlap counts wanted tags alike and only
claimed tags; 4: text similarity leaves out the track record, a stage named by a tag counts
as stage experience), so that a start with the new code rescores every open list and
refuses weights fitted before."""
HAND_SET_VERSION = f"hand-set-{FACTORS_REVISION}"
FILE_FORMAT = 1


class WeightsFileError(ValueError):
    """A weights file that cannot be used: the service must not start scoring with it."""


@dataclass(frozen=True)
class Weights:
    version: str
    values: Mapping[str, float]
    about: Mapping[str, Any] = field(default_factory=dict)
    """What the fit measured (cross-validated figures, the history it learned from)."""

    @classmethod
    def fitted(cls, values: Mapping[str, float], about: Mapping[str, Any]) -> "Weights":
        rounded = {name: round(float(values[name]), 6) for name in FACTORS}
        named = {"factors_revision": FACTORS_REVISION, "weights": rounded}
        digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
        return cls(f"fit-{digest[:12]}", rounded, dict(about))

    def write(self, path: Path) -> None:
        document = {
            "format": FILE_FORMAT,
            "factors_revision": FACTORS_REVISION,
            "version": self.version,
            "weights": dict(self.values),
            "about": dict(self.about),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")

    @classmethod
    def read(cls, path: Path) -> "Weights":
        try:
            document = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise WeightsFileError(f"{path}: {error}") from error
        if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
            raise WeightsFileError(f"{path}: not a weights file of format {FILE_FORMAT}")
        revision = document.get("factors_revision", "unknown (written before revisions)")
        if revision != FACTORS_REVISION:
            raise WeightsFileError(
                f"{path}: fitted for factors of revision {revision}, but they are of revision "
                f"{FACTORS_REVISION} now: run `jamp matching fit` again"
            )
        values = document.get("weights")
        if not isinstance(values, dict) or set(values) != set(FACTORS):
            raise WeightsFileError(f"{path}: weights must name exactly {', '.join(FACTORS)}")
        if not all(isinstance(v, int | float) and v >= 0 for v in values.values()):
            raise WeightsFileError(f"{path}: every weight must be a number >= 0")
        version = document.get("version")
        if not isinstance(version, str) or not version:
            raise WeightsFileError(f"{path}: no version")
        return cls(
            version, {name: float(values[name]) for name in FACTORS}, document.get("about") or {}
        )


HAND_SET = Weights(HAND_SET_VERSION, WEIGHTS)


def load_weights(path: Path | None) -> Weights:
    """The weights the service scores with: the file's when one is set, else the hand-set."""
    return HAND_SET if path is None else Weights.read(path)
