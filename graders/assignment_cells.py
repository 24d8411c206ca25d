"""What the cells of an nbgrader assignment (classroom/, graders/nbgrader_course.py) call.

The first cell grades the submission once (or reuses the verdict `python -m graders classroom`
filed for the same content: graders/classroom/cache.py), with the real graders, as `python -m graders check`
does: the packaging files in the directory the notebook runs in (nbgrader runs it in the
submission's folder), laid over the sample app. Each graded cell then asks for one practice:
`assert verdicts.passed("non-root-user"), verdicts.why("non-root-user")`. nbgrader's traps,
avoided here (../shared/reference.md §4):

- a graded cell that writes to stderr scores 0: everything goes to stdout, as short text;
- a graded cell whose last value is not a number scores full marks: each ends in an `assert`;
- what a student sees, in the notebook or in nbgrader's feedback, is the practice's message, the
  line it concerns and the catalogue's nudge: the same words `python -m graders check` prints,
  never the check's code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SUBMISSION_ENV = "DOCKERCOURSE_SUBMISSION"   # grade this directory instead of the notebook's own


@dataclass
class Verdicts:
    stage: int
    path: Path
    report: object | None = None     # graders.report.Report
    problem: str | None = None       # why grading could not run (no engine, no Dockerfile...)

    def _result(self, practice_id: str):
        if self.report is None:
            return None
        return next((r for r in self.report.results if r.id == practice_id), None)

    def passed(self, practice_id: str) -> bool:
        """Print this practice's verdict (stdout only) and say whether it passed."""
        result = self._result(practice_id)
        if result is None:
            print(f"✘ {practice_id}: not graded: {self.why(practice_id)}")
            return False
        if result.status == "pass":
            print(f"✔ {practice_id}: {result.title}")
            return True
        print(f"✘ {practice_id} ({result.status}): {result.title}")
        print(self.why(practice_id))
        return False

    def why(self, practice_id: str) -> str:
        """The grader's words for a practice that did not pass: message, line, nudge."""
        result = self._result(practice_id)
        if result is None:
            return self.problem or f"{practice_id} is not a practice of stages 1-{self.stage}"
        where = ""
        lines = self.report.lines_of(result.file)
        if result.line and 0 < result.line <= len(lines):
            where = f"\n  {result.file} line {result.line}: {lines[result.line - 1].strip()}"
        hint = f"\n  How to fix: {result.hint}" if result.hint else ""
        return f"{result.message}{where}{hint}"


def grade_submission(stage: int, path: str | Path | None = None) -> Verdicts:
    """Grade the submission up to `stage`; print one line per practice. Never raises for what the
    submission or the machine did: the graded cells then fail with the reason."""
    from .classroom import cache
    from .engine import EngineUnavailable
    from .runner import StageNotAvailable, grade
    from .workspace import WorkspaceError

    where = Path(path or os.environ.get(SUBMISSION_ENV) or Path.cwd())
    verdicts = Verdicts(stage, where)
    try:
        # A verdict for this very content (`python -m graders classroom` run on the submissions
        # first, a re-run): reused, instead of building again.
        verdicts.report = cache.reuse(where, stage)
        if verdicts.report is None:
            verdicts.report = grade(where, stage)
            cache.remember(where, stage, verdicts.report)
    except (EngineUnavailable, WorkspaceError, StageNotAvailable) as exc:
        verdicts.problem = f"grading could not run: {exc}"
        print(verdicts.problem)
        return verdicts
    report = verdicts.report
    passed = sum(r.status == "pass" for r in report.results)
    print(f"Graded {where.name} up to stage {stage}: {passed} of {len(report.results)} practices pass "
          f"({sum(r.points for r in report.results)} of {sum(r.max_points for r in report.results)} points).")
    for r in report.results:
        print(f"  {'✔' if r.status == 'pass' else '✘'} {r.id} ({r.status})")
    return verdicts
