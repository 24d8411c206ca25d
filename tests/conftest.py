"""Shared fixtures: a real engine (never mocked), base images, and grading each directory once
per session. Anything the grader labels must be gone when the session ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders import engine
from graders.report import Report
from graders.workspace import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def docker_client():
    """The engine. Without one: fail in CI (CI=true), skip on a learner's laptop."""
    try:
        client = engine.connect()
        engine.ensure_buildx()
    except engine.EngineUnavailable as exc:
        if IN_CI:
            pytest.fail(f"CI=true but no usable Docker engine: {exc}")
        pytest.skip(f"no Docker engine: {exc}")
    yield client
    # Every grading session removes what it made; anything labelled now is a leak. (Another test
    # session on the same engine at the same time would show up here too: run one at a time.)
    left = engine.leftovers(client)
    assert not any(left.values()), f"grader resources left on the engine after the session: {left}"


@pytest.fixture(scope="session")
def base_images(docker_client):
    """The python:3.13-slim* images (pulled, or offline stand-ins built once)."""
    from graders.images import ensure_base_images

    return ensure_base_images(client=docker_client)


@pytest.fixture(scope="session")
def graded(docker_client, base_images):
    """grade(path, stage) -> Report, each (path, stage) built and graded once per session."""
    from graders.runner import grade

    cache: dict[tuple[str, int | None], Report] = {}

    def grade_once(path: Path | str, stage: int | None = None) -> Report:
        key = (str(Path(path).resolve()), stage)
        if key not in cache:
            cache[key] = grade(Path(path), stage, client=docker_client)
        return cache[key]

    return grade_once


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
