"""`python -m graders classroom`: a class graded in parallel on two real engines (the main one and
a second dockerd started by scripts/second-engine.sh), reports for every platform, verdicts
reused by content, exit statuses, and nothing left behind, interrupted or not.

The class is small on purpose (the suite's time budget): solutions 1 and 2 and the starter
workspace as submissions, one build that breaks, one folder with no Dockerfile, graded at stage 2.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest

from graders import catalogue, engine
from graders.classroom.fingerprint import grader_version

from conftest import IN_CI

ROOT = Path(__file__).parent.parent
SECOND_ENGINE = ROOT / "scripts" / "second-engine.sh"
MAIN_ENGINE = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
EXPECTED = {"alice": 0, "bob": 1, "carol": 1, "dave": 1, "erin": 2}


def classroom(*args: str, **options) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "classroom", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900, **options)


@pytest.fixture(scope="session")
def second_engine(docker_client, base_images):
    """A second dockerd on this machine (its own data root, socket and bridge): started for the
    session unless it already runs, and then stopped. Without root or dockerd: fail in CI, skip
    elsewhere."""
    if os.geteuid() != 0 or not shutil.which("dockerd"):
        reason = "the second engine needs root and dockerd (scripts/second-engine.sh)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    was_running = subprocess.run([str(SECOND_ENGINE), "status"], capture_output=True).returncode == 0
    started = subprocess.run([str(SECOND_ENGINE), "start"], capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip().removeprefix("DOCKER_HOST=")
    yield url
    if not was_running:
        subprocess.run([str(SECOND_ENGINE), "stop"], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def a_class(tmp_path_factory) -> Path:
    """Five learners: solution 2 (passes stage 2), solution 1 and the starter workspace (fail it),
    a build that breaks, and a folder with no Dockerfile (no verdict)."""
    root = tmp_path_factory.mktemp("class") / "submissions"
    root.mkdir()
    shutil.copytree(ROOT / "solutions" / "stage2", root / "alice")
    shutil.copytree(ROOT / "solutions" / "stage1", root / "bob")
    shutil.copytree(ROOT / "exercises", root / "carol", ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    (root / "dave").mkdir()
    (root / "dave" / "Dockerfile").write_text("FROM python:3.13-slim\n# DEFECT: the build step fails\nRUN exit 3\n")
    (root / "erin").mkdir()
    (root / "erin" / "notes.txt").write_text("I will write the Dockerfile tomorrow\n")
    return root


def _leftovers(url: str, run: str) -> dict[str, list[str]]:
    client = docker.DockerClient(base_url=url)
    try:
        return engine.leftovers(client, run=run)
    finally:
        client.close()


@pytest.fixture(scope="module")
def graded_class(a_class, second_engine, tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    cache = tmp_path_factory.mktemp("verdicts")
    version = grader_version()
    result = classroom(str(a_class), "--stage", "2", "--workers", "2", "--engine", MAIN_ENGINE,
                       "--engine", second_engine, "--out", str(out), "--cache-dir", str(cache))
    return result, out, cache, version


@pytest.mark.docker
def test_a_class_on_two_engines_gets_a_verdict_each(graded_class, second_engine):
    """Exit 1 (some fail); each submission's exit status as `graders check` gives it, the one
    without a Dockerfile reported as such (not a crash of the batch); both engines used; nothing
    of the batch left on either engine."""
    result, out, _cache, _version = graded_class
    assert result.returncode == 1, result.stdout + result.stderr
    summary = json.loads((out / "summary.json").read_text())
    rows = {row["submission"]: row for row in summary["submissions"]}
    assert {name: row["exit_code"] for name, row in rows.items()} == EXPECTED
    assert "no Dockerfile" in rows["erin"]["problem"]
    assert rows["alice"]["required_passed"] == rows["alice"]["required"] == 7
    assert {row["engine"] for row in rows.values()} == {MAIN_ENGINE, second_engine}
    for name in EXPECTED:
        assert name in result.stdout   # the summary table
    for url in (MAIN_ENGINE, second_engine):
        left = _leftovers(url, summary["run"])
        assert not any(left.values()), f"{url}: {left}"


@pytest.mark.docker
def test_every_platform_gets_the_same_verdict(graded_class):
    """Per submission: the course's JSON, JUnit (a case per practice), Gradescope's results.json
    (score = the points earned) and GitHub Classroom's result (its base64 form decodes to the JSON)."""
    _result, out, _cache, _version = graded_class
    practices = [p.id for p in catalogue.load().up_to(2)]
    for name, code in EXPECTED.items():
        folder = out / name
        gradescope = json.loads((folder / "results.json").read_text())
        classroom_result = json.loads((folder / "github-classroom.json").read_text())
        assert json.loads(base64.b64decode((folder / "github-classroom.b64").read_text())) == classroom_result
        cases = ET.parse(folder / "report.xml").getroot().findall(".//testcase")
        if code == 2:
            assert gradescope["score"] == 0 and "No verdict" in gradescope["output"]
            assert classroom_result["status"] == "error" and [c.get("name") for c in cases] == ["no-verdict"]
            continue
        report = json.loads((folder / "report.json").read_text())
        assert [c.get("name") for c in cases] == practices
        assert gradescope["score"] == sum(r["points"] for r in report["results"])
        assert [t["status"] for t in gradescope["tests"]] == ["passed" if r["status"] == "pass" else "failed"
                                                             for r in report["results"]]
        assert classroom_result["max_score"] == sum(r["max_points"] for r in report["results"])
        assert classroom_result["status"] == ("pass" if code == 0 else "fail")
    secrets = next(t for t in json.loads((out / "bob" / "results.json").read_text())["tests"]
                   if t["name"].startswith("no-secrets-in-image"))
    assert secrets["status"] == "failed" and "How to fix:" in secrets["output"]


@pytest.mark.docker
def test_a_rerun_reuses_the_verdicts_unless_the_grader_changed(graded_class, a_class, second_engine, tmp_path):
    """Same content, same stage, same grader: every verdict comes from the cache (no build), on
    another engine too. If the grader's own files changed meanwhile (a developer's checkout),
    nothing may be reused."""
    _result, _out, cache, version = graded_class
    again = classroom(str(a_class), "--stage", "2", "--engine", second_engine, "--out", str(tmp_path / "again"),
                      "--cache-dir", str(cache))
    assert again.returncode == 1, again.stdout + again.stderr
    rows = {r["submission"]: r for r in json.loads((tmp_path / "again" / "summary.json").read_text())["submissions"]}
    assert {name: row["exit_code"] for name, row in rows.items()} == EXPECTED
    # (this process computed the version once, before the first run: ask a fresh one)
    unchanged = subprocess.run([sys.executable, "-c", "from graders.classroom.fingerprint import grader_version; "
                                "print(grader_version())"], capture_output=True, text=True, cwd=ROOT).stdout.strip() == version
    verdicts = {name for name, code in EXPECTED.items() if code != 2}
    assert {name for name, row in rows.items() if row["cached"]} == (verdicts if unchanged else set())
    assert json.loads((tmp_path / "again" / "alice" / "report.json").read_text())["context"].endswith("alice")


def test_an_engine_that_does_not_answer_is_exit_2_and_named(a_class, tmp_path):
    """A usage or environment error, before any grading: exit 2 with one line naming the engine."""
    missing = f"unix://{tmp_path}/no-engine.sock"
    result = classroom(str(a_class), "--stage", "2", "--engine", missing, "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and missing in result.stderr


@pytest.mark.docker
def test_an_interrupted_class_leaves_nothing_behind(a_class, second_engine, tmp_path):
    """Ctrl-C while submissions are being graded: exit 2, "interrupted", every child stopped and
    everything the batch made on the engine removed."""
    process = subprocess.Popen([sys.executable, "-m", "graders", "classroom", str(a_class), "--stage", "2",
                                "--no-cache", "--engine", second_engine, "--out", str(tmp_path / "out"),
                                "--cache-dir", str(tmp_path / "verdicts")],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        client = docker.DockerClient(base_url=second_engine)
        try:
            labelled = [s for s in engine.sessions(client).values()
                        if s.get(engine.RUN_LABEL, "").startswith("classroom-")]
        finally:
            client.close()
        if labelled:
            run = labelled[0][engine.RUN_LABEL]
            break
    assert run, "no grading of the batch ever reached the engine"
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 2, stderr
    assert "interrupted" in stderr
    assert not any(_leftovers(second_engine, run).values())
