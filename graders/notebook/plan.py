"""The course plan: minutes per notebook, and each notebook's declared objectives and time budget.

The test suite reads the same plan to hold every notebook to it.
"""

from __future__ import annotations

import re
from pathlib import Path

from .. import catalogue as catalogue_module
from ..workspace import REPO_ROOT
from .display import show_rich

NOTEBOOKS = REPO_ROOT / "notebooks"

# "A day and a half": 1.5 teaching days of 6 hours (breaks and lunch not counted).
COURSE_MINUTES = 540
# Minutes per notebook; the notebooks of stages 1-7 are named in practices.toml ([[stage]].notebook).
PLAN_MINUTES = {
    "00-setup": 15,
    "01-working": 75,
    "02-security": 90,
    "03-ci": 70,
    "04-debug": 55,
    "05-operations": 70,
    "06-reproducible": 70,
    "07-optimize": 75,
}
BUDGET_LINE = re.compile(r"\*\*Time budget:\*\*\s*(\d+)\s*min")
OBJECTIVES_HEADING = re.compile(r"^#\s*#+\s*Objectives\b", re.MULTILINE)


def notebook_budget(path: Path) -> int | None:
    """The minutes a notebook's text declares (`**Time budget:** N min`), None without one."""
    match = BUDGET_LINE.search(Path(path).read_text(encoding="utf-8"))
    return int(match.group(1)) if match else None


def notebook_has_objectives(path: Path) -> bool:
    """Whether a py:percent notebook has an `## Objectives` heading in a markdown cell."""
    return bool(OBJECTIVES_HEADING.search(Path(path).read_text(encoding="utf-8")))


def planned_notebooks() -> list[tuple[str, str, int]]:
    """(notebook name, what it covers, planned minutes), in course order."""
    rows = [("00-setup", "Set-up: engine, BuildKit, base images, disk", PLAN_MINUTES["00-setup"])]
    for stage in catalogue_module.load().stages:
        name = Path(stage.notebook).stem
        rows.append((name, f"Stage {stage.number}: {stage.title}", PLAN_MINUTES[name]))
    return rows


def show_plan() -> None:
    """The course plan: notebooks, what they cover, minutes, and whether each notebook exists yet."""
    from rich.table import Table

    table = Table(title=f"The course plan ({COURSE_MINUTES} min available: a day and a half of 6-hour days)",
                  title_justify="left")
    for column in ("notebook", "covers", "minutes", "status"):
        table.add_column(column, justify="right" if column == "minutes" else "left")
    total = 0
    for name, covers, minutes in planned_notebooks():
        path = NOTEBOOKS / f"{name}.py"
        total += minutes
        table.add_row(name, covers, str(minutes), "ready" if path.exists() else "[dim]coming later[/]")
    table.add_row("", "[bold]total[/]", f"[bold]{total}[/]", f"{COURSE_MINUTES - total} min spare")
    show_rich(table)
