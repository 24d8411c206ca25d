"""What the course notebooks import (`from graders import notebook as course`).

The notebooks keep their code cells short; the plumbing lives in one module per job:

- `lab`: `Lab`, a labelled grading Session for a notebook's demos: builds real images with
  BuildKit (never from `exercises/`), runs them, looks inside them, removes all of it in `close()`;
  `built`: the image it returns (`Built`, its layers, `short_step`); `running`: the container
  (`Running`, its probes, `HARDENED`).
- `check_cell`: `check(stage)`, the check cell: grades the workspace with the real graders and
  shows the report inline.
- `catalogue_cells`: `practices(stage)`, `hints(stage)`, `required_points(stage)`, read from the
  catalogue (graders/practices.toml), never restated by hand.
- `dockerfile_cells`: `show_dockerfile()`, `hadolint()`.
- `machine_checks`: `setup_checks()` / `show_checks()`, notebook 00's look at the learner's machine.
- `plan`: the course plan (`PLAN_MINUTES`, `show_plan()`) and the readers of a notebook's
  objectives and time budget that the test suite shares.
- `pictures`: `plot_layers()`, `plot_secrets()`, drawn from what was just measured.
- `display`: showing text, HTML and rich output without writing to stderr, the progress line
  updated in place, `mb()`.
- `commands`: the `docker` / `git` / shell command lines behind the helpers, shown then run
  (`run_command()`, `run_script()`, `docker_run()`, `command_line()`).
- `registry_demo`: `DemoRegistry`, a registry of the notebook's own: push tags, read its tags
  list, digests and labels over HTTP, each request shown as its curl command.
- `script_demo`: `ScriptDemo`, a build.sh run on the stage-3 grader's branches, the grader's way.
- `workflow_cells`: `lint_workflow()`, actionlint and what the grader reads of a workflow.
- `log_watch`: `watch_logs()`, when each line reached `docker logs`.
- `layer_reuse`: `pushed_image()`, `shared_layers()`, `new_bytes()`: which layers two pushed
  images share, read from the registry as the stage-4 grader reads them.
- `pictures` also draws `plot_tag_history()`, `plot_log_arrivals()`, `plot_layer_reuse()`.

This file only re-exports the names the notebooks and tests/test_notebooks.py use.
"""

from ..checks.stage4 import CRASH as SEGFAULT
from ..checks.stage4 import FLUSH_SECONDS
from ..workspace import REPO_ROOT as ROOT
from ..workspace import SENTINEL
from .built import short_step
from .catalogue_cells import hints, practices, required_points
from .catalogue_cells import more_hint
from .check_cell import WORKSPACE_ENV, check
from .commands import command_line, docker_run, docker_run_line
from .commands import run as run_command
from .commands import run_script
from .display import mb
from .dockerfile_cells import hadolint, show_dockerfile
from .lab import SESSION_ENV, Lab
from .lab import DemoError
from .layer_reuse import new_bytes, pushed_image, shared_layers
from .log_watch import watch as watch_logs
from .machine_checks import setup_checks, show_checks
from .pictures import plot_layer_reuse, plot_layers, plot_log_arrivals, plot_secrets, plot_tag_history
from .registry_demo import DemoRegistry
from .script_demo import ScriptDemo
from .workflow_cells import lint_workflow
from .plan import (COURSE_MINUTES, NOTEBOOKS, PLAN_MINUTES, notebook_budget, notebook_has_objectives,
                   planned_notebooks, show_plan)
from .running import HARDENED

__all__ = [
    "COURSE_MINUTES", "HARDENED", "NOTEBOOKS", "PLAN_MINUTES", "ROOT", "SENTINEL", "SESSION_ENV", "WORKSPACE_ENV",
    "Lab", "check", "hadolint", "hints", "mb", "notebook_budget", "notebook_has_objectives", "plot_layers",
    "plot_secrets", "planned_notebooks", "practices", "required_points", "setup_checks", "short_step",
    "show_checks", "show_dockerfile", "show_plan",
    # stages 3-4
    "FLUSH_SECONDS", "SEGFAULT", "DemoRegistry", "ScriptDemo", "command_line", "docker_run", "docker_run_line",
    "lint_workflow", "new_bytes", "plot_layer_reuse", "plot_log_arrivals", "plot_tag_history", "pushed_image",
    "run_command", "run_script", "shared_layers", "watch_logs",
    # notebooks 00-02: the second hint level, a demo build that is meant to fail
    "DemoError", "more_hint",
]
