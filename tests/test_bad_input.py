"""Bad input ends with a clear `error`/`fail` and the right exit code, and loses nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graders.runner import grade

BAD = Path(__file__).parent / "fixtures" / "bad-input"
pytestmark = pytest.mark.docker


def cli(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd or Path(__file__).parent.parent, timeout=900)


def statuses(report) -> dict[str, str]:
    return {r.id: r.status for r in report.results}


def test_no_dockerfile_is_a_usage_error_with_one_line(tmp_path, docker_client):
    """A directory without a Dockerfile: exit 2 and one line saying what is missing."""
    result = cli("check", "--stage", "1", str(tmp_path))
    assert result.returncode == 2, result
    assert result.stderr.strip().count("\n") == 0
    assert "no Dockerfile" in result.stderr


def test_missing_path_is_a_usage_error():
    """A path that does not exist is a usage error, not a crash."""
    result = cli("check", "--stage", "1", "/nonexistent/workspace")
    assert result.returncode == 2
    assert "not a directory" in result.stderr


def test_no_engine_is_an_environment_error(tmp_path):
    """No engine answering: exit 2, one line that says so and what to do."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    result = cli("check", "--stage", "1", str(tmp_path), env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})
    assert result.returncode == 2
    assert "no Docker engine answers" in result.stderr


def test_a_stage_the_course_does_not_have_is_a_usage_error(tmp_path):
    """Asking for a stage outside the catalogue's is refused before anything is built."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\n")
    result = cli("check", "--stage", "8", str(tmp_path))
    assert result.returncode == 2
    assert "invalid choice: 8" in result.stderr


def test_syntax_error_fails_image_builds_at_its_line(graded):
    """A typo'd instruction: image-builds fails naming line 4; nothing else is judged."""
    report = graded(BAD / "syntax-error", 1)
    result = report.result("image-builds")
    assert result.status == "fail"
    assert result.line == 4
    assert "RUNN" in result.message or "unknown instruction" in result.message.lower()
    assert {s for i, s in statuses(report).items() if i != "image-builds"} == {"error"}
    assert report.exit_code == 1


def test_failing_run_shows_step_line_and_log_tail(graded):
    """A failing RUN: the failing step, its Dockerfile line and the tail of its own output."""
    report = graded(BAD / "failing-run", 1)
    result = report.result("image-builds")
    assert result.status == "fail"
    assert result.line == 6
    assert "exit code: 3" in result.message
    assert any("about to fail on purpose" in line for line in result.details)
    assert report.exit_code == 1


def test_build_that_hangs_is_cancelled(docker_client, base_images):
    """A build that never finishes is cancelled at the timeout and reported, not waited for."""
    report = grade(BAD / "hangs-building", 1, client=docker_client, build_timeout=20)
    result = report.result("image-builds")
    assert result.status == "fail"
    assert "did not finish within 20 s" in result.message
    assert report.exit_code == 1


def test_container_that_exits_at_once(graded):
    """The server cannot import its app: serves-on-run fails with the exit code and the log."""
    report = graded(BAD / "exits-at-once", 1)
    result = report.result("serves-on-run")
    assert result.status == "fail"
    assert "the container stopped" in result.message and "exit code" in result.message
    assert any("application" in line for line in result.details), result.details
    assert result.line == 8
    assert report.exit_code == 1


@pytest.mark.slow
def test_container_that_never_serves(graded):
    """Up but never answering: serves-on-run gives up after 30 s and says so."""
    report = graded(BAD / "never-serves", 1)
    result = report.result("serves-on-run")
    assert result.status == "fail"
    assert "within 30 s" in result.message
    assert report.exit_code == 1


def test_memory_hog_is_contained(graded):
    """A container that grabs 4 GiB is killed at the grader's limit; the report says why."""
    report = graded(BAD / "memory-hog", 1)
    result = report.result("serves-on-run")
    assert result.status == "fail"
    assert "memory limit" in result.message or "exit code 137" in result.message, result.message


def test_loopback_bind_gets_a_specific_hint(graded):
    """Bound to 127.0.0.1: serves-on-run fails and the hint names the address it saw."""
    report = graded(BAD / "binds-loopback", 1)
    result = report.result("serves-on-run")
    assert result.status == "fail"
    assert "127.0.0.1:8000" in result.hint


def _tree_digest(root: Path) -> dict[str, str]:
    digest = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            digest[rel] = "link:" + os.readlink(path)
        elif path.is_file():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest() + f":{path.stat().st_mtime_ns}"
        else:
            digest[rel] = "dir"
    return digest


def test_hostile_workspace_is_never_modified(tmp_path, repo_root, docker_client, base_images):
    """A workspace with a symlink to /etc/shadow and a Dockerfile that copies everything:
    the link is copied as a link (so it names the image's own file, never the host's), and the
    workspace is byte-for-byte unchanged."""
    workspace = tmp_path / "workspace"
    shutil.copytree(repo_root / "exercises", workspace, ignore=shutil.ignore_patterns("__pycache__"))
    (workspace / "shadow").symlink_to("/etc/shadow")
    (workspace / "Dockerfile").write_text(
        "FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nRUN test -L shadow && test \"$(readlink shadow)\" = /etc/shadow\n"
        'RUN pip install --no-cache-dir .\nEXPOSE 8000\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "shortlinks.wsgi:app"]\n')
    before = _tree_digest(workspace)
    report = grade(workspace, 2, client=docker_client)
    assert report.result("image-builds").status == "pass", report.result("image-builds").details
    assert report.result("no-secrets-in-image").status == "fail"  # COPY . . took the .env
    assert _tree_digest(workspace) == before
