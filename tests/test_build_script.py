"""Stage 3's machinery: the grading's own registry, the runs of build.sh in a throwaway clone,
their clean-up; and the static readings the checks rely on (strict mode, workflow triggers)."""

from __future__ import annotations

import time

import pytest
import yaml

from graders import engine, registry
from graders.build_script import FAILING_STEP, _with_failing_steps
from graders.checks.stage3 import runs_script, strict_mode, triggers
from graders.grading import Grading
from graders.workspace import REPO_ROOT, build_context


# --- static readings (no engine) -----------------------------------------------------------------

@pytest.mark.parametrize("script, on", [
    pytest.param("set -euo pipefail\ndocker build .", {"errexit", "nounset", "pipefail"}, id="cluster"),
    pytest.param("set -Eeuo pipefail\ndocker build .", {"errexit", "nounset", "pipefail"}, id="with-E"),
    pytest.param("set -o errexit -o nounset -o pipefail\ndocker build .", {"errexit", "nounset", "pipefail"}, id="long"),
    pytest.param("set -e\nset -u\nset -o pipefail\ndocker build .", {"errexit", "nounset", "pipefail"}, id="lines"),
    pytest.param("set -eu\ndocker build . | tee log", {"errexit", "nounset"}, id="no-pipefail"),
    pytest.param("docker build .\nset -euo pipefail", set(), id="too-late"),
    pytest.param("set -euo pipefail\nset +e\ndocker build .", {"nounset", "pipefail"}, id="turned-off"),
    pytest.param("#!/bin/bash -eu\ndocker build .", set(), id="shebang-ignored-by-bash-build.sh"),
    pytest.param("IMAGE=x\necho start\nset -euo pipefail\ndocker build .", {"errexit", "nounset", "pipefail"},
                 id="after-harmless-lines"),
])
def test_strict_mode_is_read_from_set_commands(script, on):
    assert strict_mode(script)[0] == on


@pytest.mark.parametrize("text, events", [
    pytest.param("on: push", {"push"}, id="string"),
    pytest.param("on: [push, pull_request]", {"push", "pull_request"}, id="list"),
    pytest.param("on:\n  push:\n    branches: [main]\n  pull_request:\n", {"push", "pull_request"}, id="mapping"),
    pytest.param("'on': {workflow_dispatch: {}}", {"workflow_dispatch"}, id="quoted-key"),
])
def test_workflow_triggers_survive_yaml_1_1(text, events):
    """PyYAML reads an unquoted `on` key as True (YAML 1.1 booleans): both spellings count."""
    assert triggers(yaml.safe_load(text)) == events


def test_a_step_runs_the_build_script_when_a_command_does():
    def workflow(run):
        return {"jobs": {"build": {"steps": [{"uses": "actions/checkout@v4"}, {"run": run}]}}}

    assert runs_script(workflow("./build.sh"))
    assert runs_script(workflow("set -e\nbash build.sh --push"))
    assert runs_script(workflow("cd app && sh ./build.sh"))
    assert not runs_script(workflow("echo 'see build.sh'"))
    assert not runs_script(workflow("cat build.sh"))


def test_the_failing_step_follows_every_from():
    """Whichever stage or --target a script builds, the planted step fails it."""
    text = "FROM python:3.13-slim AS base\nRUN true\nFROM base AS test\nRUN true\nFROM base\nCMD [\"x\"]\n"
    lines = _with_failing_steps(text).splitlines()
    assert [lines[i + 1] for i, line in enumerate(lines) if line.startswith("FROM")] == \
        [lines[1]] * 3 and lines[1].startswith(FAILING_STEP)


# --- the registry and the runs (real engine) -------------------------------------------------------

@pytest.mark.docker
def test_the_registry_answers_and_goes_with_its_session(docker_client, base_images):
    """A grading's registry: on loopback, empty, answering the v2 API; removed with the session."""
    session = engine.Session(docker_client)
    try:
        started = registry.start(session)
        assert started.address.startswith("127.0.0.1:")
        assert started.tags("nothing-pushed") == [] and started.snapshot("nothing-pushed") == {}
        container_id = started.container.id
    finally:
        session.close()
    assert not docker_client.containers.list(all=True, filters={"id": container_id})


@pytest.fixture
def stage3_grading(docker_client, base_images):
    with build_context(REPO_ROOT / "solutions" / "stage3", offline=True) as context:
        g = Grading(context, engine.Session(docker_client))
        try:
            yield g
        finally:
            g.close()


@pytest.mark.docker
def test_a_build_script_that_never_ends_is_stopped_at_its_timeout(stage3_grading, monkeypatch):
    """build.sh replaced (in the grader's clone only) by one that sleeps: the run is stopped at the
    timeout, said so, and nothing was pushed."""
    monkeypatch.setenv("DOCKERCOURSE_SCRIPT_TIMEOUT", "3")
    runs = stage3_grading.scripts
    runs._prepare()
    (runs.repo / "build.sh").write_text("#!/usr/bin/env bash\nsleep 600\n")
    runs._git("commit", "--quiet", "--all", "-m", "a script that never ends")
    runs._commits["feature/x"] = runs._git("rev-parse", "HEAD")
    runs._git("branch", "--force", "feature/x", "HEAD")
    started = time.monotonic()
    run = runs.run("feature/x")
    assert run.timed_out and not run.pushed
    assert time.monotonic() - started < 30
    assert "stopped after" in run.ended()


@pytest.mark.docker
def test_the_script_images_are_removed_by_namespace(stage3_grading, docker_client):
    """The script's images carry no grader label: every one of this grading's IMAGE namespace is
    removed at the end, with or without the registry's address; others are left alone."""
    g = stage3_grading
    main = g.scripts.run("main")
    assert main.ok and "latest" in main.pushed
    namespace = g.scripts.image
    outsider = docker_client.images.get("python:3.13-slim")
    outsider.tag("course-test/not-this-grading", "keep")
    try:
        assert g.scripts._namespace_references()
        g.scripts.close()
        left = [t for i in docker_client.images.list() for t in i.tags if namespace in t]
        assert left == []
        assert docker_client.images.get("course-test/not-this-grading:keep")
    finally:
        docker_client.images.remove("course-test/not-this-grading:keep")
