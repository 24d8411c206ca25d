"""The check cell: grade the workspace with the real graders and show the report inline.

What is graded is exercises/, or $DOCKERCOURSE_WORKSPACE (relative to the course root). The
report goes to display outputs and stdout, never stderr: nbgrader scores a cell that writes to
stderr zero.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from .. import engine
from ..workspace import REPO_ROOT, WorkspaceError
from .display import show, show_rendered, with_progress

WORKSPACE_ENV = "DOCKERCOURSE_WORKSPACE"     # what the check cell grades, relative to REPO_ROOT


def workspace_path() -> Path:
    """What the check cell grades: exercises/, or $DOCKERCOURSE_WORKSPACE (relative to the course root)."""
    chosen = os.environ.get(WORKSPACE_ENV) or "exercises"
    path = Path(chosen)
    return path if path.is_absolute() else REPO_ROOT / path


@dataclass
class NoReport:
    """What check() returns when grading could not start (no engine, no Dockerfile...)."""

    stage: int
    reason: str
    exit_code: int = 2


def check(stage: int):
    """Grade the workspace up to `stage` with the real graders; show the report; return it.

    Everything goes to stdout or to display outputs (nbgrader scores a cell that writes to
    stderr zero). The caller ends the cell with `assert report.exit_code == 0, ...`."""
    from ..runner import StageNotAvailable, grade

    path = workspace_path()
    try:
        shown = Path(os.path.relpath(path))
    except ValueError:
        shown = path
    try:
        report = with_progress(
            f"grading {shown} (stages 1–{stage})" if stage > 1 else f"grading {shown} (stage 1)",
            lambda on_step: grade(shown, stage, on_step),
            lambda r, s: (f"✔ graded {shown} in {s:.0f} s: every required practice passes" if r.exit_code == 0 else
                          f"✘ graded {shown} in {s:.0f} s: {len(r.required_failures)} required practice(s) "
                          "not passing yet; the report below says which"),
        )
    except (engine.EngineUnavailable, WorkspaceError, StageNotAvailable) as exc:
        show(f"Grading could not start: {exc}")
        return NoReport(stage, str(exc))
    except docker.errors.DockerException as exc:  # the engine failed mid-way: not the learner's fault
        show(f"Grading could not finish: the Docker engine answered {type(exc).__name__}: {exc}\n"
             "Run the cell again; if it keeps failing, see notebook 00.")
        return NoReport(stage, str(exc))
    show_rendered(report.render)
    return report
