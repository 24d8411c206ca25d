"""Ctrl-C, SIGTERM and SIGHUP end a grading cleanly: exit 2 with one line, the buildx process
killed (it runs in its own session, so no signal reaches it but the grader's), and every
container, network and image, and the temporary copy of the workspace, removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from graders import engine

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent
BAD = Path(__file__).parent / "fixtures" / "bad-input"


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: this machine runs the grader)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _grade_in_background(fixture: Path, tmp_path: Path) -> tuple[subprocess.Popen, str]:
    run = f"interrupt-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, engine.RUN_ENV: run, "TMPDIR": str(tmp_path), "DOCKERCOURSE_BUILD_TIMEOUT": "600"}
    proc = subprocess.Popen([sys.executable, "-m", "graders", "check", "--stage", "1", str(fixture)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, run


def _wait_for(condition, proc: subprocess.Popen, seconds: float = 180):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert proc.poll() is None, f"the grading ended before the signal: {proc.communicate()}"
        time.sleep(0.3)
    proc.kill()
    pytest.fail("the grading never reached the point to interrupt")


def _assert_clean_exit(proc: subprocess.Popen, name: str, docker_client, run: str, tmp_path: Path) -> None:
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 2, (out, err)
    assert err.strip().count("\n") == 0 and f"interrupted ({name})" in err, err
    assert not any(engine.leftovers(docker_client, run=run).values()), engine.leftovers(docker_client, run=run)
    assert list(tmp_path.iterdir()) == [], "the temporary copy of the workspace is still there"


def test_sigterm_during_a_build_kills_buildx_and_cleans_up(docker_client, base_images, tmp_path):
    proc, run = _grade_in_background(BAD / "hangs-building", tmp_path)
    buildx = _wait_for(lambda: [p for p in _children(proc.pid) if "buildx" in _cmdline(p)], proc)
    time.sleep(2)  # into the hanging RUN step
    proc.send_signal(signal.SIGTERM)
    _assert_clean_exit(proc, "SIGTERM", docker_client, run, tmp_path)
    assert not any(Path(f"/proc/{pid}").exists() and "buildx" in _cmdline(pid) for pid in buildx), \
        "the buildx client outlived the grader"


@pytest.mark.parametrize("signum, name", [(signal.SIGHUP, "SIGHUP"), (signal.SIGINT, "Ctrl-C")])
def test_a_signal_while_waiting_for_the_container_cleans_up(docker_client, base_images, tmp_path, signum, name):
    proc, run = _grade_in_background(BAD / "never-serves", tmp_path)
    _wait_for(lambda: docker_client.containers.list(filters={"label": f"{engine.RUN_LABEL}={run}"}), proc)
    proc.send_signal(signum)
    _assert_clean_exit(proc, name, docker_client, run, tmp_path)
