"""The command line and its reports: the JSON contract of ../shared/curriculum.md, JUnit, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from graders import catalogue
from graders.runner import implemented_stages

ROOT = Path(__file__).parent.parent
RESULT_KEYS = {"id", "stage", "level", "status", "message", "line", "hint", "points"}
METRIC_KEYS = {"image_bytes", "base_image_bytes", "build_seconds", "rebuild_seconds", "startup_seconds", "stop_seconds"}


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "check", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)


@pytest.fixture(scope="module")
def solution2_reports(tmp_path_factory, docker_client, base_images):
    out = tmp_path_factory.mktemp("reports")
    result = check("--stage", "2", "--json", str(out / "report.json"), "--junit", str(out / "report.xml"),
                   "solutions/stage2")
    return result, json.loads((out / "report.json").read_text()), ET.parse(out / "report.xml")


@pytest.mark.docker
def test_passing_solution_exits_0_with_a_readable_report(solution2_reports):
    """Every required practice passes: exit 0, one line per practice in the terminal report."""
    result, _report, _xml = solution2_reports
    assert result.returncode == 0, result.stdout + result.stderr
    for practice in catalogue.load().up_to(2):
        assert practice.id in result.stdout
    assert "All required practices pass" in result.stdout


@pytest.mark.docker
def test_json_report_follows_the_contract(solution2_reports):
    """schema 1, the graded stage, the context, one result per practice of stages 1-2, the six metrics."""
    _result, report, _xml = solution2_reports
    assert report["schema"] == 1
    assert report["stage"] == 2
    assert report["context"] == "solutions/stage2"
    assert [r["id"] for r in report["results"]] == [p.id for p in catalogue.load().up_to(2)]
    for r in report["results"]:
        assert RESULT_KEYS <= set(r), r
        assert r["status"] in ("pass", "fail", "error", "skip")
        assert r["level"] in ("required", "recommended")
        assert isinstance(r["points"], int)
    assert set(report["metrics"]) == METRIC_KEYS
    assert report["metrics"]["image_bytes"] > report["metrics"]["base_image_bytes"] > 0
    assert report["metrics"]["build_seconds"] >= 0
    assert report["metrics"]["stop_seconds"] is None  # not measured before stage 5


@pytest.mark.docker
def test_junit_report_has_a_case_per_practice(solution2_reports):
    """CI systems read JUnit: one testcase per practice, grouped by stage, none failing here."""
    _result, _report, xml = solution2_reports
    cases = xml.getroot().findall(".//testcase")
    assert {c.get("name") for c in cases} == {p.id for p in catalogue.load().up_to(2)}
    assert not xml.getroot().findall(".//failure")


@pytest.mark.docker
def test_failing_solution_exits_1_and_names_line_and_fix(docker_client, base_images, tmp_path):
    """Solution 1 at stage 2: exit 1; the report shows the Dockerfile line, observed, expected, fix."""
    result = check("--stage", "2", "--json", str(tmp_path / "r.json"), "solutions/stage1")
    assert result.returncode == 1
    assert "Dockerfile:" in result.stdout and "Expected:" in result.stdout and "How to fix:" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    secrets = next(r for r in report["results"] if r["id"] == "no-secrets-in-image")
    assert secrets["status"] == "fail" and secrets["points"] == 0
    copy_line = next(n for n, text in enumerate((ROOT / "solutions/stage1/Dockerfile").read_text().splitlines(), 1)
                     if text.startswith("COPY . ."))
    assert secrets["line"] == copy_line


def test_a_report_that_cannot_be_written_is_a_usage_error_before_grading(tmp_path):
    """--json into a folder that does not exist: exit 2 with one line, at once (not after a build)."""
    result = check("--stage", "1", "--json", str(tmp_path / "no" / "such" / "r.json"), "solutions/stage1")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "does not exist" in result.stderr


def test_usage_error_exits_2():
    """An unknown option is a usage error (exit 2), as the curriculum specifies."""
    result = check("--stage", "9")
    assert result.returncode == 2


def test_practices_lists_the_catalogue():
    """`python -m graders practices` prints every practice id (the README points to it)."""
    result = subprocess.run([sys.executable, "-m", "graders", "practices", "--markdown"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 0
    for practice in catalogue.load().practices:
        assert f"`{practice.id}`" in result.stdout


@pytest.mark.docker
def test_without_stage_every_graded_stage_gets_a_scorecard(docker_client, base_images):
    """No --stage: every stage that has graders is graded, with a stage-by-practice scorecard,
    and the report says which stages have no graders yet (if any)."""
    newest = max(implemented_stages())
    result = check(f"solutions/stage{newest}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Scorecard" in result.stdout
    assert ("have no graders yet" in result.stdout) == (newest < max(catalogue.load().stage_numbers))
