"""Shared fixtures: a real engine (never mocked), base images, and grading each directory once
per session. Anything the grader labels must be gone when the session ends."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from pathlib import Path

import docker.errors
import pytest

from graders import engine
from graders.report import Report
from graders.workspace import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Every grading this test run makes, in this process or in the CLIs and notebook kernels it starts
# (they inherit the environment), carries this run's label: the leftover check below looks at this
# run's resources only, so another grading on the same engine (a learner's, a second test run) is
# neither blamed nor disturbed.
RUN_ID = os.environ.setdefault(engine.RUN_ENV, f"pytest-{uuid.uuid4().hex[:12]}")
# The solutions' measured metrics (graders/metrics_history.py) go to a file of this run's, never
# to the developer's cache.
os.environ.setdefault("DOCKERCOURSE_VERDICT_CACHE", str(Path(os.environ.get("TMPDIR", "/tmp")) / f"{RUN_ID}-verdicts"))
os.environ.setdefault("DOCKERCOURSE_METRICS_FILE", str(Path(os.environ.get("TMPDIR", "/tmp")) / f"{RUN_ID}-metrics.json"))


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
    # Every grading session removes what it made; anything of this run still labelled is a leak.
    left = engine.leftovers(client, run=RUN_ID)
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


# Names official-python-base must judge by the image they resolve to (fixtures FROM them).
MIRROR_PYTHON = "mirror.gcr.io/library/python:3.13-slim-trixie"
LOOKALIKE_PYTHON = "localhost/python:3.13-slim"
OFFICIAL_ENV = ("PYTHON_VERSION", "GPG_KEY", "PYTHON_SHA256", "LANG")   # what docker-library/python sets


def _has_image(client, name: str) -> bool:
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        return False
    return True


def _import_lookalike(client, session: engine.Session) -> None:
    """LOOKALIKE_PYTHON: python:3.13-slim-trixie's filesystem, flattened and re-imported without
    the official image's ENV and labels, carrying the session's labels instead."""
    source = client.images.get("python:3.13-slim-trixie")
    container = session.create(source.id, command=["true"])
    env = [e for e in source.attrs["Config"].get("Env") or [] if e.partition("=")[0] not in OFFICIAL_ENV]
    changes = [f"ENV {key}={json.dumps(value)}" for key, _, value in (e.partition("=") for e in env)]
    changes += [f"LABEL {key}={json.dumps(value)}" for key, value in session.labels.items()]
    changes.append('CMD ["python3"]')
    repository, tag = LOOKALIKE_PYTHON.rsplit(":", 1)
    client.api.import_image(src=container.export(), repository=repository, tag=tag, changes=changes, stream_src=True)
    container.remove(force=True)


@pytest.fixture(scope="session")
def python_lookalike_bases(docker_client, base_images):
    """ensure() makes (again, if another test run removed them meanwhile) two names:
    MIRROR_PYTHON, the local python:3.13-slim-trixie tagged as Google's Docker Hub mirror names
    it (the official image under a mirror's name; the tag is removed afterwards if this run made
    it), and LOOKALIKE_PYTHON, the same filesystem without the official image's ENV and labels:
    Debian with python3 from apt under a python-looking name, labelled as a grading session's
    and removed with it (PATH and the host's SSL_CERT_FILE are kept, so pip works behind the
    course's proxy)."""
    session = engine.Session(docker_client)
    tagged: list[str] = []

    def ensure() -> dict[str, str]:
        if not _has_image(docker_client, MIRROR_PYTHON):
            docker_client.images.get("python:3.13-slim-trixie").tag(*MIRROR_PYTHON.rsplit(":", 1))
            tagged.append(MIRROR_PYTHON)
        if not _has_image(docker_client, LOOKALIKE_PYTHON):
            _import_lookalike(docker_client, session)
        return {"mirror": MIRROR_PYTHON, "lookalike": LOOKALIKE_PYTHON}

    try:
        yield ensure
    finally:
        session.close()
        if tagged:
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(MIRROR_PYTHON)   # untags only: the image keeps its other tags


@pytest.fixture(autouse=True)
def _python_lookalike_bases_for_gradings(request):
    """A grading may build FROM the names python_lookalike_bases makes: make sure they exist."""
    if "graded" in request.fixturenames:
        request.getfixturevalue("python_lookalike_bases")()


@pytest.fixture
def learner(tmp_path, repo_root):
    """A copy of exercises/ (in tmp_path) where the learner has already changed the Dockerfile."""
    copy = tmp_path / "exercises"
    shutil.copytree(repo_root / "exercises", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "Dockerfile").write_text("# my own attempt\nFROM python:3.13-slim\n")
    (copy / ".dockerignore").write_text(".env\n")
    return copy
