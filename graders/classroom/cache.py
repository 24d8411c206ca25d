"""Verdicts already reached, filed by content hash (fingerprint.verdict_key), so that a re-run, a
second instructor sharing the directory, or an nbgrader cell grading the same files reuses a
verdict instead of building again.

Where: `$DOCKERCOURSE_VERDICT_CACHE`, else `$XDG_CACHE_HOME/dockercourse/verdicts` (default
`~/.cache/dockercourse/verdicts`); `classroom --cache-dir` overrides both. One JSON file per key,
`<key[:2]>/<key>.json`: the report as `graders check --json` writes it (schema 1), its exit status,
how long the grading took, when and on which engine. Written to a temporary file and renamed, so
concurrent writers (workers, two instructors) never leave half a file; the first verdict stays.

Only verdicts are kept (exit 0 or 1): an exit 2 (no Dockerfile, no engine, interrupted) may be
the machine's, and grading it again costs nothing.

For nbgrader's cells: `reuse(path, stage)` gives the graders.report.Report of an earlier grading
of the same content (or None), `remember(path, stage, report)` files one.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..engine import registry_reachable
from ..report import Report, Result, Section
from ..workspace import WorkspaceError
from .fingerprint import verdict_key

CACHE_ENV = "DOCKERCOURSE_VERDICT_CACHE"
FORMAT = 1
# The report's own keys; any other top-level key is a Section (stage 3's registry table...).
REPORT_KEYS = {"schema", "stage", "context", "results", "metrics", "notes", "metrics_baseline"}


def default_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dockercourse" / "verdicts"


@dataclass(frozen=True)
class Verdict:
    report: dict          # the JSON report, schema 1
    exit_code: int        # 0 or 1
    seconds: float        # how long the grading that reached it took
    graded_at: float      # Unix time
    engine: str


class VerdictCache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root else default_dir()

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> Verdict | None:
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != FORMAT or data.get("key") != key or data.get("exit_code") not in (0, 1):
            return None
        return Verdict(data["report"], data["exit_code"], data.get("seconds", 0.0), data.get("graded_at", 0.0),
                       data.get("engine", ""))

    def put(self, key: str, report: dict, exit_code: int, seconds: float, engine: str) -> None:
        if exit_code not in (0, 1):
            return
        target = self._file(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        entry = {"format": FORMAT, "key": key, "exit_code": exit_code, "seconds": round(seconds, 2),
                 "graded_at": time.time(), "engine": engine, "report": report}
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a second instructor
            if target.exists():
                return  # another writer was first; the same content has the same verdict
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


def report_from_json(data: dict, dockerfile_lines: list[str] | None = None) -> Report:
    """A graders.report.Report from its JSON (to write JUnit, or for an nbgrader cell's `why()`).
    The Dockerfile's lines are not in the JSON: pass them to show the line a result points at."""
    results = [Result(**{**r, "details": list(r.get("details") or [])}) for r in data["results"]]
    sections = []
    for key, value in data.items():
        if key in REPORT_KEYS or not isinstance(value, dict) or "rows" not in value:
            continue
        rows = value.get("rows") or []
        columns = list(rows[0]) if rows else []
        sections.append(Section(key, data["stage"], value.get("title", key), columns,
                                [[str(row.get(c, "")) for c in columns] for row in rows], list(value.get("notes", []))))
    baseline = data.get("metrics_baseline")
    return Report(data["stage"], data["context"], results, data.get("metrics", {}), list(data.get("notes", [])),
                  list(dockerfile_lines or []), sections, {},
                  (baseline["solution"], baseline["metrics"]) if baseline else None)


def _dockerfile_lines(path: Path) -> list[str]:
    try:
        return (Path(path) / "Dockerfile").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def reuse(path: Path, stage: int, cache: VerdictCache | None = None) -> Report | None:
    """The report of an earlier grading of the same content at `stage`, or None."""
    try:
        key = verdict_key(Path(path), stage, offline=not registry_reachable())
    except WorkspaceError:
        return None
    verdict = (cache or VerdictCache()).get(key)
    if verdict is None:
        return None
    return report_from_json(verdict.report, _dockerfile_lines(path))


def remember(path: Path, stage: int, report: Report, seconds: float = 0.0, cache: VerdictCache | None = None) -> None:
    """File `report` (just graded in this process) under the content of `path`."""
    try:
        key = verdict_key(Path(path), stage, offline=not registry_reachable())
    except WorkspaceError:
        return
    (cache or VerdictCache()).put(key, report.as_json(), report.exit_code, seconds, os.environ.get("DOCKER_HOST", ""))
