"""The grading report: the JSON contract (../shared/curriculum.md), JUnit XML, and the terminal view."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

SCHEMA = 1
SYMBOLS = {"pass": "[green]✔ pass[/]", "fail": "[red]✘ fail[/]", "error": "[yellow]! error[/]", "skip": "[dim]- skip[/]"}


@dataclass
class Result:
    id: str
    stage: int
    level: str
    status: str
    message: str
    line: int | None
    hint: str
    points: int          # earned
    max_points: int
    title: str
    details: list[str] = field(default_factory=list)
    file: str = "Dockerfile"   # the file `line` is in

    def as_json(self) -> dict:
        return {"id": self.id, "stage": self.stage, "level": self.level, "status": self.status,
                "message": self.message, "line": self.line, "hint": self.hint, "points": self.points,
                "max_points": self.max_points, "title": self.title, "details": self.details, "file": self.file}


@dataclass
class Section:
    """A table the report shows after a stage's results (stage 3: what each branch pushed), and
    writes to the JSON under its own key (an extra key: the contract's keys keep their meaning)."""

    key: str                  # the JSON key, e.g. "registry"
    stage: int                # shown after this stage's results
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"title": self.title, "rows": [dict(zip(self.columns, row)) for row in self.rows], "notes": self.notes}


@dataclass
class Report:
    stage: int
    context: str
    results: list[Result]
    metrics: dict
    notes: list[str] = field(default_factory=list)
    dockerfile_lines: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    file_lines: dict[str, list[str]] = field(default_factory=dict)   # other files results point into
    baseline: tuple[int, dict] | None = None  # (N-1, solution N-1's metrics) measured on this machine

    def lines_of(self, file: str) -> list[str]:
        return self.dockerfile_lines if file == "Dockerfile" else self.file_lines.get(file, [])

    @property
    def required_failures(self) -> list[Result]:
        return [r for r in self.results if r.level == "required" and r.status != "pass"]

    @property
    def exit_code(self) -> int:
        return 0 if not self.required_failures else 1

    def result(self, practice_id: str) -> Result:
        return next(r for r in self.results if r.id == practice_id)

    def as_json(self) -> dict:
        report = {"schema": SCHEMA, "stage": self.stage, "context": self.context,
                  "results": [r.as_json() for r in self.results], "metrics": self.metrics, "notes": self.notes}
        if self.baseline:
            report["metrics_baseline"] = {"solution": self.baseline[0], "metrics": self.baseline[1]}
        for section in self.sections:
            report[section.key] = section.as_json()
        return report

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")

    def write_junit(self, path: Path) -> None:
        suites = ET.Element("testsuites", name=f"dockercourse {self.context}")
        for stage in sorted({r.stage for r in self.results}):
            results = [r for r in self.results if r.stage == stage]
            suite = ET.SubElement(suites, "testsuite", name=f"stage {stage}", tests=str(len(results)),
                                  failures=str(sum(r.status == "fail" for r in results)),
                                  errors=str(sum(r.status == "error" for r in results)),
                                  skipped=str(sum(r.status == "skip" for r in results)))
            for r in results:
                case = ET.SubElement(suite, "testcase", classname=f"stage{stage}.{r.level}", name=r.id)
                text = "\n".join(filter(None, [r.message, f"{r.file} line {r.line}" if r.line else "",
                                               f"Fix: {r.hint}" if r.hint else "", *r.details]))
                if r.status in ("fail", "error", "skip"):
                    tag = {"fail": "failure", "error": "error", "skip": "skipped"}[r.status]
                    ET.SubElement(case, tag, message=r.message).text = text
        ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)

    # --- terminal -----------------------------------------------------------------------------
    def render(self, console: Console) -> None:
        stages = sorted({r.stage for r in self.results})
        console.print(f"[bold]Grading {escape(self.context)}[/] — stages {stages[0]}–{stages[-1]}"
                      if len(stages) > 1 else f"[bold]Grading {escape(self.context)}[/] — stage {stages[0]}")
        for note in self.notes:
            console.print(f"  [dim]note: {escape(note)}[/]")
        for stage in stages:
            console.print(f"\n[bold]Stage {stage}[/]")
            for r in (r for r in self.results if r.stage == stage):
                level = "" if r.level == "required" else " [dim](recommended)[/]"
                console.print(f"  {SYMBOLS[r.status]}  {r.id}{level}  [dim]{escape(r.title)}[/]")
                if r.status == "pass":
                    continue
                lines = self.lines_of(r.file)
                if r.line and 0 < r.line <= len(lines):
                    console.print(f"      [cyan]{escape(r.file)}:{r.line}[/]  {escape(lines[r.line - 1].strip())}")
                console.print(f"      {escape(r.message)}", soft_wrap=True)
                for detail in r.details[:8]:
                    console.print(f"      [dim]│ {escape(detail)}[/]", soft_wrap=True)
                if r.hint:
                    console.print(f"      [bold]How to fix:[/] {escape(r.hint)}", soft_wrap=True)
            for section in (s for s in self.sections if s.stage == stage):
                console.print()
                console.print(self._table(section))
                for note in section.notes:
                    console.print(f"  [dim]{escape(note)}[/]", soft_wrap=True)
        if len(stages) > 1:
            console.print()
            console.print(self.scorecard())
        self._summary(console)

    @staticmethod
    def _table(section: Section) -> Table:
        table = Table(title=section.title, title_justify="left", show_lines=False)
        for column in section.columns:
            table.add_column(column)
        for row in section.rows:
            table.add_row(*(escape(cell) for cell in row))
        return table

    def scorecard(self) -> Table:
        table = Table(title="Scorecard", show_lines=False)
        table.add_column("stage")
        table.add_column("required passed", justify="right")
        table.add_column("recommended passed", justify="right")
        table.add_column("points", justify="right")
        for stage in sorted({r.stage for r in self.results}):
            rs = [r for r in self.results if r.stage == stage]
            req = [r for r in rs if r.level == "required"]
            rec = [r for r in rs if r.level != "required"]
            table.add_row(str(stage), f"{sum(r.status == 'pass' for r in req)}/{len(req)}",
                          f"{sum(r.status == 'pass' for r in rec)}/{len(rec)}",
                          f"{sum(r.points for r in rs)}/{sum(r.max_points for r in rs)}")
        return table

    def _summary(self, console: Console) -> None:
        points = sum(r.points for r in self.results)
        total = sum(r.max_points for r in self.results)
        from .metrics_history import summary

        measured = "; ".join(summary(self.metrics, self.baseline))
        console.print()
        if measured:
            console.print(f"[dim]measured: {measured}[/]")
        if self.exit_code == 0:
            console.print(f"[bold green]All required practices pass[/] ({points}/{total} points).")
        else:
            ids = ", ".join(r.id for r in self.required_failures)
            console.print(f"[bold red]{len(self.required_failures)} required practice(s) not passing:[/] {ids} "
                          f"({points}/{total} points).")
