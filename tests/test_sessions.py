"""Two gradings on one engine never disturb each other, and `graders cleanup` removes only what
crashed or killed gradings left (a session whose process is gone), never a grading in progress."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graders import engine

from mutations import fixture_path

pytestmark = pytest.mark.docker
ROOT = Path(__file__).parent.parent


def cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graders", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})


def _network_owned_by(docker_client, owner: str, started: float | None = None):
    """A network labelled as a grading session's, owned by `owner` (the cheapest labelled resource)."""
    session = engine.Session(docker_client)
    labels = {**session.labels, engine.OWNER_LABEL: owner}
    if started is not None:
        labels[engine.STARTED_LABEL] = str(int(started))
    return session.id, docker_client.networks.create(session.name("net"), labels=labels)


def test_cleanup_removes_only_sessions_whose_process_is_gone(docker_client):
    """A session owned by a finished process is stale; one owned by a live process (this test's,
    and another one's) is a grading in progress and is left alone; one from another host counts
    as stale only once it is older than any grading lasts."""
    finished = subprocess.Popen(["true"])
    finished.wait()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        dead_id, _ = _network_owned_by(docker_client, engine.owner_id(finished.pid))
        live_id, _ = _network_owned_by(docker_client, engine.owner_id(sleeper.pid))
        own_id, _ = _network_owned_by(docker_client, engine.owner_id())
        far_new_id, _ = _network_owned_by(docker_client, "another-host:123:456", time.time())
        far_old_id, _ = _network_owned_by(docker_client, "another-host:123:456", time.time() - 2 * engine.STALE_AFTER_SECONDS)
        result = subprocess.run([sys.executable, "-m", "graders", "cleanup"], cwd=ROOT, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        left = set(engine.sessions(docker_client))
        assert dead_id not in left and far_old_id not in left, result.stdout
        assert {live_id, own_id, far_new_id} <= left, result.stdout
        assert "still in progress alone" in result.stdout
    finally:
        sleeper.kill()
        sleeper.wait()
        for sid in (live_id, own_id, far_new_id):
            engine.remove_labelled(docker_client, sid)


def test_two_gradings_at_once_and_a_cleanup_in_between(graded, docker_client, tmp_path):
    """Two CLI gradings run at the same time on one engine while `graders cleanup` runs in the
    middle of them: both finish, with the same verdicts as when each ran alone (one of them runs
    build.sh five times against its own registry, pushing images named for its own session)."""
    names = {"a": ROOT / "solutions" / "stage3", "b": fixture_path("fails-exposes-port-wrong-port")}
    stages = {"a": 3, "b": 1}
    running = {key: cli("check", "--stage", str(stages[key]), "--json", str(tmp_path / f"{key}.json"), str(path))
               for key, path in names.items()}
    deadline = time.monotonic() + 300
    mine = {"label": f"{engine.RUN_LABEL}={os.environ[engine.RUN_ENV]}"}  # the CLIs inherit this run's label
    while time.monotonic() < deadline:  # until both gradings have a container running
        sessions = {c.labels.get(engine.GRADER_LABEL) for c in docker_client.containers.list(filters=mine)}
        if len(sessions) >= 2 or any(p.poll() is not None for p in running.values()):
            break
        time.sleep(0.5)
    cleanup = subprocess.run([sys.executable, "-m", "graders", "cleanup"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert cleanup.returncode == 0 and "Removed nothing" in cleanup.stdout, cleanup.stdout
    for key, proc in running.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
        alone = graded(names[key], stages[key])
        together = json.loads((tmp_path / f"{key}.json").read_text())
        assert {r["id"]: r["status"] for r in together["results"]} == {r.id: r.status for r in alone.results}

