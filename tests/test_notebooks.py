"""The course notebooks (notebooks/*.py, py:percent text).

Their text carries what every course notebook must: objectives, a time budget that fits the
course plan, an anchor for every catalogue section they teach, and (stage notebooks) one check
cell with nbgrader metadata whose points come from the catalogue. And each one runs top to
bottom against the real engine, as a learner runs it: no cell errors, the check cells write
nothing to stderr (nbgrader would score them zero), the learner's exercises/ is untouched, and
nothing the graders label is left behind.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from graders import catalogue, engine
from graders import notebook as course

NOTEBOOKS = course.NOTEBOOKS
SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.py"))
# What each stage notebook's check cell grades in the suite: the stage's solution, through
# DOCKERCOURSE_WORKSPACE. (exercises/ holds the learner's starter, which fails by design.)
CHECKED_WORKSPACE = {"01-working": "solutions/stage1", "02-security": "solutions/stage2", "03-ci": "solutions/stage3",
                     "04-debug": "solutions/stage4", "05-operations": "solutions/stage5",
                     "06-reproducible": "solutions/stage6", "07-optimize": "solutions/stage7"}
CELL_TIMEOUT = 900           # seconds per cell: a first build downloads from PyPI
# Set to a directory to keep the executed notebooks (.ipynb with outputs) for reading.
OUTPUT_DIR_ENV = "DOCKERCOURSE_NOTEBOOK_OUTPUT"


def stage_of(name: str) -> int | None:
    for stage in catalogue.load().stages:
        if Path(stage.notebook).stem == name:
            return stage.number
    return None


def grade_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and (c.metadata.get("nbgrader") or {}).get("grade")]


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


# --- the text ------------------------------------------------------------------------------------


def test_there_are_notebooks_to_test():
    """The setup notebook and the first stage notebooks exist as py:percent sources."""
    names = [p.stem for p in SOURCES]
    assert {"00-setup", "01-working", "02-security"} <= set(names), names


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_states_objectives_and_a_time_budget(source):
    """Does every notebook open with its objectives and say how long it takes?"""
    assert course.notebook_has_objectives(source), f"{source.name}: no '## Objectives' heading"
    budget = course.notebook_budget(source)
    assert budget is not None, f"{source.name}: no '**Time budget:** N min' line"
    assert budget > 0


def test_budgets_fit_the_course_plan():
    """Each notebook's budget is what the plan gives it, and the plan fits a day and a half."""
    planned = {name: minutes for name, _covers, minutes in course.planned_notebooks()}
    assert planned == course.PLAN_MINUTES, "the plan names exactly 00-setup and the catalogue's stage notebooks"
    assert sum(planned.values()) <= course.COURSE_MINUTES
    budgets = {p.stem: course.notebook_budget(p) for p in SOURCES}
    for name, budget in budgets.items():
        assert name in planned, f"{name} is not in the course plan (graders/notebook/plan.py PLAN_MINUTES)"
        assert budget == planned[name], f"{name} declares {budget} min, the plan gives it {planned[name]}"
    assert sum(budgets.values()) <= course.COURSE_MINUTES


@pytest.mark.parametrize("source", [p for p in SOURCES if stage_of(p.stem)], ids=lambda p: p.stem)
def test_stage_notebook_has_one_graded_check_cell(source):
    """One locked nbgrader check cell per stage notebook: points from the catalogue, ends in an assert."""
    stage = stage_of(source.stem)
    nb = jupytext.read(source)
    cells = grade_cells(nb)
    assert len(cells) == 1, f"{source.name}: {len(cells)} graded cells"
    meta = cells[0].metadata["nbgrader"]
    assert meta == {"grade": True, "grade_id": f"stage{stage}-check", "locked": True,
                    "points": course.required_points(stage), "schema_version": 3, "solution": False}
    lines = [l for l in cells[0].source.strip().splitlines() if l.strip()]
    assert f"course.check(stage={stage})" in cells[0].source
    # nbgrader gives full marks to a cell whose last value is not a number: it must end in an assert.
    assert lines[-1].startswith("assert report.exit_code == 0"), lines[-1]


def test_nbgrader_metadata_survives_the_ipynb_round_trip(tmp_path):
    """py:percent -> .ipynb (what `make notebooks` writes) keeps the check cells' metadata."""
    for source in SOURCES:
        if not stage_of(source.stem):
            continue
        target = tmp_path / f"{source.stem}.ipynb"
        jupytext.write(jupytext.read(source), target)
        again = nbformat.read(target, as_version=4)
        assert grade_cells(again) and grade_cells(again)[0].metadata["nbgrader"]["points"] == \
            course.required_points(stage_of(source.stem))


def test_every_catalogue_section_is_an_anchor_in_its_notebook():
    """Each practice's `section` (notebooks/NN-name.py#anchor) exists as an <a id> in that notebook."""
    existing = {p.stem: markdown(jupytext.read(p)) for p in SOURCES}
    checked = 0
    for practice in catalogue.load().practices:
        path, _, anchor = practice.section.partition("#")
        name = Path(path).stem
        if name not in existing:
            continue  # a later stage's notebook, not written yet
        assert f'<a id="{anchor}"></a>' in existing[name], f"{practice.id}: no anchor #{anchor} in {name}"
        checked += 1
    assert checked >= 11


# --- running them ----------------------------------------------------------------------------------


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.docker
@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(source, docker_client, base_images, monkeypatch):
    """Run every cell, as a learner would (kernel python3, working directory notebooks/)."""
    name = source.stem
    session = uuid.uuid4().hex[:12]
    monkeypatch.setenv(course.SESSION_ENV, session)
    if name in CHECKED_WORKSPACE:
        monkeypatch.setenv(course.WORKSPACE_ENV, CHECKED_WORKSPACE[name])
    else:
        monkeypatch.delenv(course.WORKSPACE_ENV, raising=False)
    exercises_before = _tree_digest(course.ROOT / "exercises")
    run = os.environ[engine.RUN_ENV]
    before = {kind: set(names) for kind, names in engine.leftovers(docker_client, run=run).items()}

    nb = jupytext.read(source)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.monotonic()
    try:
        client.execute()  # raises CellExecutionError at the first cell that errors
    finally:
        if os.environ.get(OUTPUT_DIR_ENV):
            out = Path(os.environ[OUTPUT_DIR_ENV])
            out.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out / f"{name}.ipynb")
    print(f"\n{name}: executed in {time.monotonic() - started:.1f} s")

    stderr = {i: "".join(o.get("text", "") for o in c.get("outputs", []) if o.get("name") == "stderr")
              for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    for cell in grade_cells(nb):
        index = nb.cells.index(cell)
        assert not stderr[index], f"the check cell wrote to stderr (nbgrader scores that 0): {stderr[index][:500]}"
        assert not [o for o in cell.outputs if o.output_type == "error"]
    noisy = {i: text[:300] for i, text in stderr.items() if text}
    assert not noisy, f"cells wrote to stderr (red noise for the learner): {noisy}"

    assert _tree_digest(course.ROOT / "exercises") == exercises_before, "the notebook changed exercises/"

    mine = {"label": f"{engine.GRADER_LABEL}={session}"}
    assert not docker_client.containers.list(all=True, filters=mine), "the notebook's Lab left containers"
    assert not docker_client.images.list(filters=mine), "the notebook's Lab left images"
    # The check cell's gradings ran in the notebook's kernel, which inherits this test run's label
    # (tests/conftest.py): whatever of this run is on the engine now and was not before, the
    # notebook left behind.
    after = engine.leftovers(docker_client, run=run)
    left = {kind: sorted(set(names) - before[kind]) for kind, names in after.items()}
    assert not any(left.values()), f"grader-labelled resources left behind: {left}"
