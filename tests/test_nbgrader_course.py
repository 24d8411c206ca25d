"""The nbgrader course (classroom/), driven with nbgrader's own commands as an instructor would:
generate the student version, collect submissions, autograde, read the gradebook, generate
feedback, export grades. The gradebook's scores must equal the graders' verdicts.

nbgrader's traps (../shared/reference.md §4), each covered: a graded cell writing to stderr scores
0; a graded cell whose last value is not a number scores full marks; the default 30 s cell timeout;
autograde overwriting the student's Dockerfile with the released one; edited graded cells.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from graders import catalogue, nbgrader_course
from graders.runner import implemented_stages
from graders.workspace import REPO_ROOT, SOLUTIONS

CATALOGUE = catalogue.load()
STAGE = 1   # autograded end to end (a stage-1 grading is a build and a probe: seconds, warm)
STARTER_FAILS = {"serves-on-run", "absolute-workdir", "exposes-port", "copy-not-add"}

HALF_DONE = """\
FROM python:3.13-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir .
"""
BROKEN = """\
FROM python:3.13-slim
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir ./no-such-directory
"""


def nbgrader(course: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True,
                          timeout=1800)
    if ok:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copy(REPO_ROOT / "classroom" / "nbgrader_config.py", root)
    nbgrader_course.write_source(root, [STAGE])
    nbgrader(root, "generate_assignment", nbgrader_course.assignment(STAGE), "--force")
    return root


def _submit(course: Path, student: str, dockerfile: str | None = None) -> Path:
    folder = course / "submitted" / student / nbgrader_course.assignment(STAGE)
    shutil.copytree(course / "release" / nbgrader_course.assignment(STAGE), folder)
    if dockerfile is not None:
        (folder / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return folder


def _cheat(folder: Path) -> None:
    """A student who rewrote every graded cell to pass, and the grading cell to grade nothing."""
    path = folder / f"{nbgrader_course.assignment(STAGE)}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            cell.source = "assert True"
        elif cell.cell_type == "code":
            cell.source = "verdicts = None"
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def autograded(course, docker_client, base_images) -> dict[str, Path]:
    """Five students' submissions, autograded by nbgrader, and their folders."""
    submissions = {
        "alice": _submit(course, "alice", (SOLUTIONS / "stage1" / "Dockerfile").read_text()),  # the full solution
        "bob": _submit(course, "bob"),                                                          # the starter as released
        "carol": _submit(course, "carol", HALF_DONE),                                           # half-done: no CMD, no EXPOSE
        "dave": _submit(course, "dave", BROKEN),                                                # does not build
        "eve": _submit(course, "eve"),                                                          # the starter, cells edited
    }
    _cheat(submissions["eve"])
    nbgrader(course, "autograde", nbgrader_course.assignment(STAGE))
    return {student: course / "autograded" / student / nbgrader_course.assignment(STAGE) for student in submissions}


def _scores(course: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    name = nbgrader_course.assignment(STAGE)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {p.id: gradebook.find_grade(p.id, name, name, student).score for p in CATALOGUE.up_to(STAGE)}


# --- the generated notebooks ---------------------------------------------------------------------


@pytest.mark.parametrize("stage", implemented_stages())
def test_every_practice_has_one_graded_cell_with_its_catalogue_points(stage):
    nb = nbgrader_course.notebook(stage)
    graded = [c for c in nb.cells if c.metadata["nbgrader"].get("grade")]
    assert [c.metadata["nbgrader"]["grade_id"] for c in graded] == [p.id for p in CATALOGUE.up_to(stage)]
    assert [c.metadata["nbgrader"]["points"] for c in graded] == [p.points for p in CATALOGUE.up_to(stage)]
    assert all(c.metadata["nbgrader"]["locked"] for c in nb.cells)


@pytest.mark.parametrize("stage", implemented_stages())
def test_graded_cells_end_in_an_assert_and_hold_no_check(stage):
    """A last value that is not a number would score full marks; and nothing of a check is in the
    notebook a student receives: each graded cell asks the graders for one practice's verdict."""
    for cell in (c for c in nbgrader_course.notebook(stage).cells if c.metadata["nbgrader"].get("grade")):
        pid = cell.metadata["nbgrader"]["grade_id"]
        assert cell.source == f'assert verdicts.passed("{pid}"), verdicts.why("{pid}")'


def test_the_config_gives_builds_time_and_keeps_the_students_packaging_files(course):
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    assert config.Execute.timeout >= 900, "nbgrader's default 30 s cannot build an image"
    kept = config.Autograde.exclude_overwriting
    for stage in implemented_stages():
        assert "Dockerfile" in kept[nbgrader_course.assignment(stage)]
    assert set(kept[nbgrader_course.assignment(3)]) >= {"Dockerfile", ".dockerignore"}


def test_the_released_assignment_holds_the_app_and_the_starting_files(course):
    release = course / "release" / nbgrader_course.assignment(STAGE)
    assert (release / "pyproject.toml").is_file() and (release / "src" / "shortlinks" / "app.py").is_file()
    assert (release / "Dockerfile").read_bytes() == subprocess.run(
        ["git", "-C", str(REPO_ROOT), "show", "HEAD:exercises/Dockerfile"], capture_output=True, check=True).stdout


# --- autograde, end to end -------------------------------------------------------------------------


@pytest.mark.docker
def test_gradebook_scores_equal_the_graders_verdicts(course, autograded, graded):
    """Each graded cell's score is the practice's points when the graders pass it, else 0; the
    graders' verdict here comes from grading the autograded folder directly."""
    for student, folder in autograded.items():
        report = graded(folder, STAGE)
        expected = {r.id: float(r.max_points if r.status == "pass" else 0) for r in report.results}
        assert _scores(course, student) == expected, student


@pytest.mark.docker
def test_each_submission_scores_what_it_deserves(course, autograded):
    total = {p.id: p.points for p in CATALOGUE.up_to(STAGE)}
    assert _scores(course, "alice") == {pid: float(points) for pid, points in total.items()}
    bob = _scores(course, "bob")
    assert {pid for pid, score in bob.items() if score == 0} == STARTER_FAILS
    assert _scores(course, "carol")["absolute-workdir"] == total["absolute-workdir"]
    assert _scores(course, "carol")["serves-on-run"] == 0
    assert set(_scores(course, "dave").values()) == {0.0}, "a build that fails scores nothing"
    assert _scores(course, "eve") == bob, "edited graded cells are restored from the gradebook"


@pytest.mark.docker
def test_autograde_kept_each_students_dockerfile(course, autograded):
    assert (autograded["alice"] / "Dockerfile").read_text() == (SOLUTIONS / "stage1" / "Dockerfile").read_text()
    assert (autograded["dave"] / "Dockerfile").read_text() == BROKEN


@pytest.mark.docker
def test_no_graded_cell_writes_to_stderr(autograded):
    """nbgrader scores a cell with stderr output 0, whatever it asserted."""
    for student, folder in autograded.items():
        nb = nbformat.read(folder / f"{nbgrader_course.assignment(STAGE)}.ipynb", as_version=4)
        streams = [o.get("name") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream"]
        assert "stderr" not in streams, student


@pytest.mark.docker
def test_feedback_shows_each_failing_practice_message_and_hint(course, autograded):
    nbgrader(course, "generate_feedback", nbgrader_course.assignment(STAGE))
    name = nbgrader_course.assignment(STAGE)
    html = (course / "feedback" / "bob" / name / f"{name}.html").read_text(encoding="utf-8")
    for pid in STARTER_FAILS:
        assert f"✘ {pid} (fail)" in html, pid
    assert html.count("How to fix:") >= len(STARTER_FAILS)


@pytest.mark.docker
def test_grades_export_as_csv(course, autograded):
    nbgrader(course, "export")
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    maximum = float(sum(p.points for p in CATALOGUE.up_to(STAGE)))
    assert float(rows["alice"]["score"]) == maximum == float(rows["alice"]["max_score"])
    assert float(rows["dave"]["score"]) == 0.0
    assert float(rows["eve"]["score"]) == float(rows["bob"]["score"]) < maximum
