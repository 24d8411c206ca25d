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

_CATALOGUE = catalogue_module.load()
# The plan lives in the catalogue (graders/practices.toml: [course] and each [[stage]]'s minutes).
COURSE_MINUTES = _CATALOGUE.course.minutes
PLAN_MINUTES = {Path(_CATALOGUE.course.setup_notebook).stem: _CATALOGUE.course.setup_minutes,
                **{Path(s.notebook).stem: s.minutes for s in _CATALOGUE.stages}}
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
    course = _CATALOGUE.course
    rows = [(Path(course.setup_notebook).stem, course.setup_title, course.setup_minutes)]
    for stage in _CATALOGUE.stages:
        rows.append((Path(stage.notebook).stem, f"Stage {stage.number}: {stage.title}", stage.minutes))
    return rows


def show_plan() -> None:
    """The course plan, day by day (graders/agenda.py): each item, when it starts in teaching time,
    its minutes, and whether its notebook exists yet."""
    from rich.table import Table

    from ..agenda import clock, rows

    table = Table(title=f"The course plan: {COURSE_MINUTES} min of teaching over {len(_CATALOGUE.course.days)} days "
                        "(breaks and lunch not counted)", title_justify="left")
    for column in ("day", "at", "minutes", "what", "status"):
        table.add_column(column, justify="right" if column in ("at", "minutes") else "left")
    for row in rows(_CATALOGUE):
        if row.notebook:
            status = "ready" if (REPO_ROOT / row.notebook).exists() else "[dim]coming later[/]"
        else:
            status = "[dim]buffer[/]" if row.buffer else "trainer"
        table.add_row(str(row.day), clock(row.starts), str(row.minutes), row.what, status)
    show_rich(table)
