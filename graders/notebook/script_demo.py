"""A build script run the way the stage-3 grader runs it, on demo packaging files (a solution
directory, or files given as text), against a notebook's demo registry.

The runs are the grader's own (graders/build_script.py `ScriptRuns`): a throwaway git repository of
the sample app with the packaging files laid over it, branches `feature/x` and `123-more-cowbell`
(a commit of their own each), `main`, `grader-failing-test` (a failing test planted) and
`grader-failing-step` (`RUN exit 97` after every FROM), `bash build.sh` on each with IMAGE and
REGISTRY set, and what each run pushed (the registry's tags before and after). Two things differ
from a grading: IMAGE names the demo, and the registry is the notebook's (shared by its demos).
Every git command and script run is recorded as the command line it stands for. The images the
script built carry no Lab label: `run()` removes them (ScriptRuns.close) once the runs are done;
the registry keeps what was pushed until the Lab's last cell.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

from ..build_script import RUN_ORDER, SCRIPT, ScriptRun, ScriptRuns
from ..workspace import REPO_ROOT
from . import commands
from .display import show_rich, with_progress


@dataclass
class _Submission:
    """What ScriptRuns reads of a grading: the session, the client, where the submission is, progress."""

    session: object
    client: object
    context: SimpleNamespace          # .source: the packaging files; .dir: under a temporary root
    on_step: Callable[[str], None] = field(default=lambda _text: None)

    def submission_file(self, name: str) -> Path | None:
        path = Path(self.context.source) / name
        return path if path.is_file() else None


class _RecordedRuns(ScriptRuns):
    """The grader's runs, with the demo's IMAGE and registry, every command recorded."""

    def __init__(self, g: _Submission, image: str, registry) -> None:
        super().__init__(g)
        self.image = image
        self._registry = registry
        self.commands: list[str] = []

    def _git(self, *args: str) -> str:
        self.commands.append(commands.command_line(["git", *args]))
        return super()._git(*args)

    def _run(self, name: str) -> ScriptRun:
        run = super()._run(name)
        env = {"IMAGE": self.image, "REGISTRY": self.registry.address}
        self.commands.append(f"{commands.command_line(['bash', SCRIPT], env)}    # {run.branch}: {run.ended()}")
        return run


class ScriptDemo:
    """`bash build.sh` on the grader's branches, for a notebook: the runs, a table, the commands."""

    def __init__(self, lab, registry, name: str, packaging: str | Path | dict[str, str]) -> None:
        self.name = name
        self._root = Path(tempfile.mkdtemp(prefix="dockercourse-script-demo-"))
        if isinstance(packaging, dict):
            source = self._root / "packaging"
            for relative, text in packaging.items():
                (source / relative).parent.mkdir(parents=True, exist_ok=True)
                (source / relative).write_text(text, encoding="utf-8")
        else:
            source = REPO_ROOT / packaging
        g = _Submission(lab.session, lab.client, SimpleNamespace(source=source, dir=self._root / "context"))
        # A repository name is lowercase [a-z0-9] runs joined by separators: the demo's name made one.
        repository = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "demo"
        self._runs = _RecordedRuns(g, f"{repository}-{lab.session.id}", registry.registry)
        self.image = self._runs.image
        self.runs: list[ScriptRun] = []

    @property
    def commands(self) -> list[str]:
        return self._runs.commands

    def run(self, last: str = "failing-step") -> list[ScriptRun]:
        """The grader's runs, in its order, up to `last` (one of build_script.RUN_ORDER); then the
        images the script left in the engine are removed (the registry keeps what was pushed)."""
        names = RUN_ORDER[: RUN_ORDER.index(last) + 1]

        def work(on_step):
            self._runs.g.on_step = on_step
            return [self._runs.run(name) for name in names]

        try:
            self.runs = with_progress(f"running {self.name}'s build.sh as the grader does ({len(names)} runs)", work,
                                      lambda runs, s: f"✔ {len(runs)} runs of {self.name}'s build.sh in {s:.0f} s")
        finally:
            self._runs.close()
            shutil.rmtree(self._root, ignore_errors=True)
        return self.runs

    def table(self) -> None:
        """One row per run: branch, commit, how build.sh ended, what it pushed, where `latest` points."""
        from rich.table import Table

        table = Table(title=f"{self.name}: what build.sh pushed, run by run (IMAGE={self.image})",
                      title_justify="left")
        for column in ("branch", "commit", "build.sh", "pushed (tag → digest)", "`latest` after the run"):
            table.add_column(column)
        for run in self.runs:
            pushed = ", ".join(f"{tag} → {digest[7:19]}" for tag, digest in sorted(run.pushed.items()))
            latest = run.registry.get("latest")
            table.add_row(run.branch, run.short, run.ended(), pushed or "nothing new",
                          latest[7:19] if latest else "(none)")
        show_rich(table)

    def show_commands(self) -> None:
        """The git commands and script runs, in the order the runner issued them."""
        print(f"In a throwaway clone of the sample app with {self.name}'s packaging files, in order:")
        for line in self.commands:
            print(f"  {line}")
