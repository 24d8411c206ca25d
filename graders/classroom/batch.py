"""Grading a class: N workers, each bound to one engine, each submission graded by its own
`python -m graders check --stage N --json --junit PATH` process.

Why a process per submission: the grader reaches its engine through the environment (DOCKER_HOST
for docker-py, the same for the buildx CLI), so the engine is chosen by the child's environment,
never by mutating os.environ from threads; and the CLI already removes what it made when it ends,
whatever ends it (a SIGTERM included). Every child carries DOCKERCOURSE_RUN = this batch's id, so
all it labels is findable; each grading still has its own session id (labels and names), so two
submissions on one engine never touch each other's containers. The engines' BuildKit layer
caches are shared by their gradings as they are by any builds (the docker driver's builder).

Before grading, a worker looks the submission's content up in the verdict cache (unless
`reuse` is off: `--no-cache` grades every submission, and files the new verdicts): a hit is
written out at once. Two identical submissions in flight at once are graded once (the second
waits for the first's verdict).

Stopping (Ctrl-C, SIGTERM): no new gradings start, every child gets SIGTERM (its own clean-up
runs), then SIGKILL after a grace period, and whatever is still labelled with the batch's id on
any engine is removed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..engine import RUN_ENV, RUN_LABEL, remove_labelled, sessions
from ..workspace import REPO_ROOT
from . import platforms
from .cache import VerdictCache
from .engines import Engine
from .fingerprint import verdict_key

STOP_GRACE_SECONDS = 60     # a CLI cleaning up after SIGTERM removes containers, networks, images


@dataclass(frozen=True)
class Submission:
    name: str
    path: Path

    @property
    def label(self) -> str:
        """The path as `graders check` names it in its report (relative to the working directory)."""
        with contextlib.suppress(ValueError):
            return str(self.path.resolve().relative_to(Path.cwd().resolve()))
        return str(self.path)


@dataclass
class Outcome:
    submission: Submission
    exit_code: int
    report: dict | None        # the JSON report (schema 1); None without a verdict
    seconds: float
    engine: str
    cached: bool = False
    problem: str = ""          # why there is no verdict (exit 2)

    def _count(self, required_only: bool) -> tuple[int, int]:
        results = [r for r in (self.report or {}).get("results", []) if r["level"] == "required" or not required_only]
        if required_only:
            return sum(r["status"] == "pass" for r in results), len(results)
        return sum(r["points"] for r in results), sum(r["max_points"] for r in results)

    @property
    def required(self) -> tuple[int, int]:
        return self._count(True)

    @property
    def points(self) -> tuple[int, int]:
        return self._count(False)

    def as_json(self) -> dict:
        (passed, required), (points, total) = self.required, self.points
        return {"submission": self.submission.name, "path": self.submission.label, "exit_code": self.exit_code,
                "required_passed": passed, "required": required, "points": points, "max_points": total,
                "seconds": round(self.seconds, 2), "engine": self.engine, "cached": self.cached,
                "problem": self.problem}


class Listener(Protocol):
    def started(self, worker: int, submission: Submission, engine: Engine) -> None: ...
    def finished(self, worker: int, outcome: Outcome) -> None: ...


def discover(root: Path, out: Path) -> list[Submission]:
    """Every subdirectory of `root` (not hidden, not the results folder), by name."""
    out = out.resolve()
    return [Submission(p.name, p) for p in sorted(Path(root).iterdir())
            if p.is_dir() and not p.name.startswith(".") and p.resolve() != out]


def _error_line(log: Path) -> str:
    """The CLI's one-line reason for an exit 2 (`error: ...`), from its output."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "graders check exited 2"
    reasons = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    return (reasons or [line for line in lines if line.strip()][-1:] or ["graders check exited 2"])[-1]


class Batch:
    def __init__(self, stage: int, engines: list[Engine], workers: int, out: Path, cache: VerdictCache,
                 reuse: bool, offline: bool, listener: Listener) -> None:
        self.stage, self.engines, self.out, self.cache = stage, engines, out, cache
        self.workers = max(workers, len(engines))   # at least one per engine
        self.reuse, self.offline, self.listener = reuse, offline, listener
        self.run_id = f"classroom-{uuid.uuid4().hex[:12]}"
        self._queue: queue.SimpleQueue[Submission] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._children: set[subprocess.Popen] = set()
        self._inflight: dict[str, threading.Event] = {}
        self.outcomes: list[Outcome] = []

    # --- the whole batch ---------------------------------------------------------------------
    def run(self, submissions: list[Submission]) -> list[Outcome]:
        for submission in submissions:
            self._queue.put(submission)
        threads = [threading.Thread(target=self._work, args=(i, self.engines[i % len(self.engines)]), daemon=True)
                   for i in range(min(self.workers, len(submissions)))]
        for thread in threads:
            thread.start()
        try:
            while any(thread.is_alive() for thread in threads):
                time.sleep(0.2)   # the main thread stays free for Ctrl-C and SIGTERM
        except BaseException:
            self.stop(threads)
            raise
        self._sweep()
        order = {s.name: i for i, s in enumerate(submissions)}
        return sorted(self.outcomes, key=lambda o: order[o.submission.name])

    def stop(self, threads: list[threading.Thread]) -> None:
        """No new gradings; SIGTERM to every child (it cleans up), SIGKILL after the grace period;
        then remove whatever still carries this batch's label."""
        self._stopping.set()
        with self._lock:
            children = list(self._children)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for thread in threads:
            thread.join(timeout=10)
        self._sweep()

    def _sweep(self) -> None:
        """Remove every session of this batch left on any engine (a child killed before its own
        clean-up); the live ones are over by now."""
        for engine in self.engines:
            with contextlib.suppress(Exception):  # an engine that went away keeps nothing of ours to remove
                client = engine.client(timeout=60)
                try:
                    for session_id, labels in sessions(client).items():
                        if labels.get(RUN_LABEL) == self.run_id:
                            remove_labelled(client, session_id)
                finally:
                    client.close()

    # --- one worker --------------------------------------------------------------------------
    def _work(self, worker: int, engine: Engine) -> None:
        while not self._stopping.is_set():
            try:
                submission = self._queue.get_nowait()
            except queue.Empty:
                return
            self.listener.started(worker, submission, engine)
            outcome = self._grade(submission, engine)
            if self._stopping.is_set() and outcome.exit_code == 2:
                return   # interrupted, not a verdict: left out of the results
            with self._lock:
                self.outcomes.append(outcome)
            self.listener.finished(worker, outcome)

    def _key(self, submission: Submission) -> str | None:
        try:
            return verdict_key(submission.path, self.stage, self.offline)
        except Exception:  # noqa: BLE001 (no Dockerfile, unreadable files: `graders check` says why, in its words)
            return None

    def _grade(self, submission: Submission, engine: Engine) -> Outcome:
        started = time.monotonic()
        key = self._key(submission)
        owner = True
        if key is not None and self.reuse:
            with self._lock:
                waiting = self._inflight.get(key)
                if waiting is None:
                    self._inflight[key] = threading.Event()
            if waiting is not None:
                owner = False
                waiting.wait()
        try:
            if key is not None and self.reuse:
                verdict = self.cache.get(key)
                if verdict is not None:
                    report = {**verdict.report, "context": submission.label}
                    outcome = Outcome(submission, verdict.exit_code, report, time.monotonic() - started,
                                      verdict.engine or engine.name, cached=True)
                    platforms.write_all(self.out / submission.name, submission.name, report, verdict.seconds)
                    return outcome
            outcome = self._check(submission, engine, started)
            if key is not None and outcome.report is not None:
                self.cache.put(key, outcome.report, outcome.exit_code, outcome.seconds, engine.name)
            return outcome
        finally:
            if key is not None and self.reuse and owner:
                with self._lock:
                    self._inflight.pop(key).set()

    def _check(self, submission: Submission, engine: Engine, started: float) -> Outcome:
        folder = self.out / submission.name
        folder.mkdir(parents=True, exist_ok=True)
        json_path, log = folder / "report.json", folder / "grading.log"
        for stale in folder.iterdir():
            if stale.is_file():
                stale.unlink()
        env = engine.environment()
        env[RUN_ENV] = self.run_id
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "graders", "check", "--stage", str(self.stage), "--json", str(json_path),
                "--junit", str(folder / "report.xml"), str(submission.path)]
        with open(log, "w", encoding="utf-8") as output:
            with self._lock:
                if self._stopping.is_set():
                    return Outcome(submission, 2, None, 0.0, engine.name, problem="interrupted")
                # Its own session: a terminal's Ctrl-C reaches this process alone, which stops the
                # children in order (stop()).
                child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
                self._children.add(child)
            try:
                code = child.wait()
            finally:
                with self._lock:
                    self._children.discard(child)
        seconds = time.monotonic() - started
        report, problem = None, ""
        if code in (0, 1):
            try:
                report = json.loads(json_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                code, problem = 2, f"graders check exited {code} without a readable report ({exc})"
        else:
            problem = _error_line(log) if code == 2 else f"graders check ended with status {code}"
            code = 2
        platforms.write_all(folder, submission.name, report, seconds, problem)
        return Outcome(submission, code, report, seconds, engine.name, problem=problem)


def write_summary(out: Path, batch: Batch, outcomes: list[Outcome], seconds: float) -> None:
    """The class's results in one place: summary.json (with the batch id its resources were
    labelled with) and summary.csv (one row per submission, for a spreadsheet)."""
    rows = [o.as_json() for o in outcomes]
    summary = {"run": batch.run_id, "stage": batch.stage, "engines": [e.name for e in batch.engines],
               "workers": batch.workers, "seconds": round(seconds, 2), "submissions": rows}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["submission"])
        writer.writeheader()
        writer.writerows(rows)
