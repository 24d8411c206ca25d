"""The course's solutions graded with the real graders at one stage (stage 7: every practice of
the course), a few gradings side by side, each timed: which practices each solution passes.

Each grading is what `python -m graders check --stage N solutions/stageM` does (its own labelled
session, removed when it ends, pass or fail); nothing here is computed any other way."""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass
from pathlib import Path

from ..report import Report
from ..workspace import SOLUTIONS
from .commands import command_line
from .display import with_progress


@dataclass
class Scorecard:
    stage: int
    reports: dict[int, Report]      # solution number -> its report
    seconds: dict[int, float]       # solution number -> how long its grading took
    wall: float                     # all of them, side by side
    workers: int

    def statuses(self) -> dict[int, dict[str, str]]:
        """solution -> practice id -> pass / fail / error / skip."""
        return {n: {r.id: r.status for r in report.results} for n, report in self.reports.items()}

    def summary(self) -> str:
        lines = [f"graded {len(self.reports)} solutions at stage {self.stage}, {self.workers} at a time: "
                 f"{self.wall:.0f} s in all"]
        for n, report in self.reports.items():
            passed = sum(r.status == "pass" for r in report.results)
            required = [r for r in report.results if r.level == "required"]
            lines.append(f"  solution {n}: {passed}/{len(report.results)} practices pass "
                         f"({sum(r.status == 'pass' for r in required)}/{len(required)} required), "
                         f"exit code {report.exit_code}, graded in {self.seconds[n]:.0f} s")
        return "\n".join(lines)


def grade_solutions(stages: list[int], stage: int = 7, workers: int = 3) -> Scorecard:
    """Grade solutions/stageN for each N at `stage`, `workers` gradings at a time."""
    from ..runner import grade

    for n in stages:
        print(command_line([".venv/bin/python", "-m", "graders", "check", "--stage", str(stage),
                            f"solutions/stage{n}"]))
    latest: dict[int, str] = {}
    seconds: dict[int, float] = {}

    def one(n: int, on_step) -> Report:
        def step(text: str) -> None:
            latest[n] = " ".join(text.split())[:40]
            on_step(" | ".join(f"{k}: {v}" for k, v in sorted(latest.items())))

        started = time.monotonic()
        try:
            return grade(Path(SOLUTIONS / f"stage{n}"), stage, step)
        finally:
            seconds[n] = time.monotonic() - started
            latest[n] = "done"

    def work(on_step) -> dict[int, Report]:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading") as pool:
            futures = {n: pool.submit(one, n, on_step) for n in stages}
            return {n: futures[n].result() for n in stages}

    started = time.monotonic()
    reports = with_progress(f"grading solutions {stages[0]}-{stages[-1]} at stage {stage}", work,
                            lambda r, s: f"✔ graded {len(r)} solutions in {s:.0f} s")
    card = Scorecard(stage, reports, seconds, time.monotonic() - started, workers)
    print(card.summary())
    return card
