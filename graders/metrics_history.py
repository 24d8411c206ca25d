"""What the course's own solutions measured, kept so that a grading can show its numbers against
the previous stage's solution ("image 139.0 MB at solution 6, 61.0 MB here").

A grading of `solutions/stageN` at stage N records its metrics; a grading at stage N shows the
change against solution N-1's when that has been graded on this machine (the numbers depend on
the machine, so they are never shipped). The file is a cache outside the learner's workspace:
`$DOCKERCOURSE_METRICS_FILE`, else `$XDG_CACHE_HOME/dockercourse/solution-metrics.json`."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from .workspace import SOLUTIONS

UNITS = {"image_bytes": ("image", "bytes"), "base_image_bytes": ("base", "bytes"),
         "build_seconds": ("build", "seconds"), "rebuild_seconds": ("rebuild", "seconds"),
         "startup_seconds": ("startup", "seconds"), "stop_seconds": ("stop", "seconds")}


def history_file() -> Path:
    if os.environ.get("DOCKERCOURSE_METRICS_FILE"):
        return Path(os.environ["DOCKERCOURSE_METRICS_FILE"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "dockercourse" / "solution-metrics.json"


def _load() -> dict:
    try:
        return json.loads(history_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def solution_stage(path: Path) -> int | None:
    """N when `path` is solutions/stageN of this course."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return None
    if resolved.parent == SOLUTIONS.resolve() and resolved.name.startswith("stage"):
        number = resolved.name.removeprefix("stage")
        return int(number) if number.isdigit() else None
    return None


def record(path: Path, stage: int, metrics: dict) -> None:
    """Keep the metrics of solution N graded at stage N (anything else is not a baseline)."""
    if solution_stage(path) != stage or not any(v is not None for v in metrics.values()):
        return
    data = _load()
    data[str(stage)] = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "metrics": metrics}
    target = history_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, encoding="utf-8") as out:
            json.dump(data, out, indent=2)
        os.replace(out.name, target)
    except OSError:
        pass  # a read-only home only loses the comparison, never the grading


def baseline(stage: int) -> tuple[int, dict] | None:
    """(N-1, solution N-1's metrics) when they are known on this machine."""
    entry = _load().get(str(stage - 1))
    return (stage - 1, entry["metrics"]) if entry and isinstance(entry.get("metrics"), dict) else None


def describe(name: str, value) -> str:
    unit = UNITS.get(name, (name, ""))[1]
    if unit == "bytes":
        return f"{value / 1e6:.1f} MB"
    if unit == "seconds":
        return f"{value:.1f} s"
    return str(value)


def summary(metrics: dict, known: tuple[int, dict] | None) -> list[str]:
    """One phrase per measured metric, with the previous solution's value beside it where known."""
    phrases = []
    for name, value in metrics.items():
        if value is None:
            continue
        label = UNITS.get(name, (name, ""))[0]
        before = known[1].get(name) if known else None
        if before is not None and name != "base_image_bytes":
            phrases.append(f"{label} {describe(name, before)} at solution {known[0]} → {describe(name, value)} here")
        else:
            phrases.append(f"{label} {describe(name, value)}")
    return phrases
