"""The course plan, as a trainer reads it: the catalogue's agenda (graders/practices.toml) day by
day, each item with the teaching time elapsed when it starts. Notebook 00 shows it, and the
instructor guide's schedule is generated from it (`make readme`), so the plan lives in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import catalogue as catalogue_module


@dataclass(frozen=True)
class Row:
    day: int
    starts: int          # teaching minutes of that day before this item (breaks and lunch not counted)
    minutes: int
    what: str            # the notebook's name and what it covers, or the trainer's item
    notebook: str | None
    buffer: bool


def rows(cat: catalogue_module.Catalogue | None = None) -> list[Row]:
    cat = cat or catalogue_module.load()
    titles = {cat.course.setup_notebook: cat.course.setup_title,
              **{s.notebook: f"Stage {s.number}: {s.title}" for s in cat.stages}}
    out, elapsed = [], {}
    for item in cat.course.agenda:
        starts = elapsed.get(item.day, 0)
        what = f"{Path(item.notebook).stem}: {titles[item.notebook]}" if item.notebook else item.title
        out.append(Row(item.day, starts, item.minutes, what, item.notebook, item.buffer))
        elapsed[item.day] = starts + item.minutes
    return out


def clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def markdown_table(cat: catalogue_module.Catalogue | None = None) -> str:
    cat = cat or catalogue_module.load()
    lines = ["| day | at | minutes | what |", "|---|---|---|---|"]
    for row in rows(cat):
        what = f"*{row.what}* (buffer)" if row.buffer else row.what
        lines.append(f"| {row.day} | {clock(row.starts)} | {row.minutes} | {what} |")
    totals = [f"day {day}: {sum(r.minutes for r in rows(cat) if r.day == day)} of {available} min"
              for day, available in enumerate(cat.course.days, start=1)]
    lines += ["", f"Planned teaching time ({', '.join(totals)}), breaks and lunch not counted."]
    return "\n".join(lines)
