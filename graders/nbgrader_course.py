"""The nbgrader course in classroom/: one assignment per stage, generated from the catalogue.

`python -m graders.nbgrader_course` (`make classroom`) writes classroom/source/stageN/: the
sample app, the packaging files the stage starts from (the starter for stage 1, else solution
N-1), and stageN.ipynb, whose cells are:

- the task (locked markdown): the stage's question, the files to edit, the practices and points;
- the grading (locked code, no points): `grade_submission(stage=N)` grades the folder's packaging
  files once with the real graders (graders/assignment_cells.py);
- one graded, locked cell per practice of stages 1..N, its points from the catalogue, ending in
  `assert verdicts.passed(ID), verdicts.why(ID)`: nothing of a check is written in the notebook.

The source is generated, never kept by hand (classroom/source/ is not committed), and so are the
packaging paths autograde must not overwrite (`exclude_overwriting()`, read by
classroom/nbgrader_config.py): a student's Dockerfile is graded, not the released one.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import nbformat

from . import catalogue as catalogue_module
from .stage_start import starting_files
from .workspace import REPO_ROOT, copy_app

COURSE = REPO_ROOT / "classroom"
NBGRADER = {"schema_version": 3}
# The same discovery the course notebooks use: graders/ from the course folder above, else from
# PYTHONPATH (an nbgrader course directory outside the course folder).
IMPORT_GRADERS = """\
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders" / "assignment_cells.py").is_file()), None)
if course_root:
    sys.path.insert(0, str(course_root))
from graders.assignment_cells import grade_submission
"""


def assignment(stage: int) -> str:
    return f"stage{stage}"


def _cell(kind: str, source: str, grade_id: str, points: int | None = None) -> nbformat.NotebookNode:
    meta = {**NBGRADER, "grade_id": grade_id, "locked": True, "solution": False, "grade": points is not None}
    if points is not None:
        meta["points"] = points
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    return make(source, metadata={"nbgrader": meta})


def notebook(stage: int, cat: catalogue_module.Catalogue | None = None) -> nbformat.NotebookNode:
    cat = cat or catalogue_module.load()
    info = cat.stage(stage)
    practices = cat.up_to(stage)
    rows = "\n".join(f"| {p.stage} | `{p.id}` | {p.level} | {p.points} | {p.title} |" for p in practices)
    files = ", ".join(f"`{name}`" for name in sorted(starting_files(stage)))
    task = f"""# Stage {stage}: {info.title}

**{info.question}**

Edit the packaging files in this folder ({files}, and any you add, such as `build.sh` or a
lock file), not this notebook: the cells below grade them with the course's graders, exactly as
`python -m graders check --stage {stage}` does, and each practice's cell passes when the practice
does. Grading is cumulative: stages 1 to {stage}. The course notebook
`{Path(info.notebook).stem}` teaches what each practice asks for; run the cells here to see where
you stand, as often as you like.

| stage | practice | level | points | |
|---|---|---|---|---|
{rows}
"""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.cells = [
        _cell("markdown", task, f"{assignment(stage)}-task"),
        _cell("code", IMPORT_GRADERS + f"\nverdicts = grade_submission(stage={stage})", f"{assignment(stage)}-grading"),
    ]
    for p in practices:
        nb.cells.append(_cell("code", f'assert verdicts.passed("{p.id}"), verdicts.why("{p.id}")', p.id, p.points))
    return nb


def write_source(course: Path = COURSE, stages: list[int] | None = None) -> list[Path]:
    """classroom/source/stageN/ for each stage with graders: the app, the starting packaging files,
    the notebook. An existing source folder of a stage is replaced."""
    from .runner import implemented_stages

    written = []
    for stage in stages or implemented_stages():
        folder = course / "source" / assignment(stage)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        copy_app(folder)
        for name, content in starting_files(stage).items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
            if name.endswith(".sh"):
                (folder / name).chmod(0o755)
        nbformat.write(notebook(stage), folder / f"{assignment(stage)}.ipynb")
        written.append(folder)
    return written


def exclude_overwriting(stages: list[int] | None = None) -> dict[str, list[str]]:
    """Per assignment, the packaging files its source holds: autograde keeps the student's
    versions of these (the app's files are restored from the source, so a submission cannot
    change the app it is graded with)."""
    from .runner import implemented_stages

    return {assignment(stage): sorted(starting_files(stage)) for stage in stages or implemented_stages()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.nbgrader_course", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, default=COURSE, help="the nbgrader course directory (default: classroom/)")
    parser.add_argument("--stage", type=int, action="append", help="only this stage (repeatable)")
    args = parser.parse_args(argv)
    for folder in write_source(args.course, args.stage):
        print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
