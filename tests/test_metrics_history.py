"""The previous solution's numbers beside a grading's: recorded only from solutions/stageN graded
at stage N, shown with the value "at solution N-1" and this grading's, never written to the
learner's workspace."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from graders import metrics_history
from graders.report import Report
from graders.workspace import SAMPLE_APP, SOLUTIONS

METRICS = {"image_bytes": 139_012_345, "base_image_bytes": 127_900_000, "build_seconds": 12.34,
           "rebuild_seconds": None, "startup_seconds": 0.61, "stop_seconds": None}


@pytest.fixture
def history(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    monkeypatch.setenv("DOCKERCOURSE_METRICS_FILE", str(path))
    return path


def test_a_solution_graded_at_its_stage_is_the_next_stages_baseline(history):
    metrics_history.record(SOLUTIONS / "stage6", 6, METRICS)
    assert metrics_history.baseline(7) == (6, METRICS)
    assert metrics_history.baseline(6) is None
    assert json.loads(history.read_text())["6"]["metrics"] == METRICS


@pytest.mark.parametrize("path, stage", [(SAMPLE_APP, 6), (SOLUTIONS / "stage5", 6), (SOLUTIONS / "stage6", 7)],
                         ids=["a learner's workspace", "a solution at a later stage", "a solution at another"])
def test_nothing_else_is_recorded(history, path, stage):
    metrics_history.record(path, stage, METRICS)
    assert not history.exists()


def test_the_summary_shows_the_change_against_the_previous_solution(history):
    now = {**METRICS, "image_bytes": 61_000_000, "build_seconds": 3.0}
    phrases = metrics_history.summary(now, (6, METRICS))
    assert "image 139.0 MB at solution 6 → 61.0 MB here" in phrases
    assert "build 12.3 s at solution 6 → 3.0 s here" in phrases
    assert "base 127.9 MB" in phrases                    # the base is the same image: no "change"
    assert not any(p.startswith(("rebuild", "stop")) for p in phrases)   # not measured: not shown


def test_the_terminal_report_and_the_json_carry_the_baseline(history):
    report = Report(7, "exercises", [], {**METRICS, "image_bytes": 61_000_000}, baseline=(6, METRICS))
    console = Console(record=True, width=200)
    report._summary(console)
    assert "image 139.0 MB at solution 6 → 61.0 MB here" in console.export_text()
    assert report.as_json()["metrics_baseline"] == {"solution": 6, "metrics": METRICS}
    assert report.as_json()["metrics"]["image_bytes"] == 61_000_000


def test_an_unwritable_cache_loses_only_the_comparison(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("DOCKERCOURSE_METRICS_FILE", str(blocked / "metrics.json"))
    metrics_history.record(SOLUTIONS / "stage2", 2, METRICS)   # must not raise
    assert metrics_history.baseline(3) is None
