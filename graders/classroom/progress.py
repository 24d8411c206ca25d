"""What an instructor sees while a class is graded, and after.

On a terminal: one line per worker (its engine, the submission it grades, for how long) under a
bar of the class; when the output is a file or a CI log, one line per finished submission
instead. Then the summary table: submission, required practices passed, points, exit status
(0 pass, 1 fail, 2 no verdict, with the reason), time, and whether the verdict came from the cache.
"""

from __future__ import annotations

import threading

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .batch import Outcome, Submission
from .engines import Engine

STATUS = {0: "[green]0 pass[/]", 1: "[red]1 fail[/]", 2: "[yellow]2 no verdict[/]"}


class ClassProgress:
    def __init__(self, console: Console, total: int, workers: int) -> None:
        self.console = console
        self.live = console.is_terminal
        self._lock = threading.Lock()
        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=20),
                                  MofNCompleteColumn(), TimeElapsedColumn(), console=console, transient=True)
        self._class = self._progress.add_task("class", total=total)
        self._workers = [self._progress.add_task(f"worker {i + 1}: idle", total=None, visible=False)
                         for i in range(workers)]
        self._done = 0
        self._total = total

    def __enter__(self) -> ClassProgress:
        if self.live:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self._progress.stop()

    def note(self, text: str) -> None:
        self._progress.console.print(f"[dim]{escape(text)}[/]", highlight=False)

    def started(self, worker: int, submission: Submission, engine: Engine) -> None:
        with self._lock:
            task = self._workers[worker]
            self._progress.reset(task, total=None, visible=True,
                                 description=f"worker {worker + 1} [dim]{escape(engine.name)}[/]: {escape(submission.name)}")

    def finished(self, worker: int, outcome: Outcome) -> None:
        with self._lock:
            self._done += 1
            self._progress.update(self._workers[worker], visible=False)
            self._progress.advance(self._class)
            if not self.live:
                passed, required = outcome.required
                how = "cached" if outcome.cached else f"{outcome.seconds:.1f} s on {outcome.engine}"
                verdict = outcome.problem if outcome.exit_code == 2 else f"{passed}/{required} required"
                self.console.print(f"[{self._done}/{self._total}] {escape(outcome.submission.name)}: exit "
                                   f"{outcome.exit_code}, {escape(verdict)} ({escape(how)})", highlight=False)


def summary_table(outcomes: list[Outcome], stage: int) -> Table:
    table = Table(title=f"Class graded up to stage {stage}", title_justify="left")
    for column, justify in (("submission", "left"), ("required passed", "right"), ("points", "right"),
                            ("exit status", "left"), ("time", "right"), ("engine", "left")):
        table.add_column(column, justify=justify)
    for o in outcomes:
        (passed, required), (points, total) = o.required, o.points
        status = STATUS[o.exit_code] + (f": {escape(o.problem)}" if o.problem else "")
        table.add_row(escape(o.submission.name), f"{passed}/{required}" if o.report else "-",
                      f"{points}/{total}" if o.report else "-", status,
                      "cached" if o.cached else f"{o.seconds:.1f} s", escape(o.engine))
    return table
