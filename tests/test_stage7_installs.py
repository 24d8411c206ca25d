"""Does the grader read a Dockerfile's installs the way the installers behave? Which RUN installs
the app's dependencies (dependency-layer-cached, cache-mounts), and where each installer caches
(no-package-cache, cache-mounts), across the stages the final image is made from."""

from __future__ import annotations

import pytest

from graders.dockerfile import parse_text
from graders.installs import dependency_installs, installs, mounts, used_stages


def only(text: str):
    found = installs(parse_text(text))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("command, dependencies", [
    pytest.param("pip install --require-hashes -r requirements.lock", True, id="lock"),
    pytest.param("pip install --no-deps -r requirements.lock", True, id="lock-no-deps"),
    pytest.param("pip install .", True, id="project-resolves-its-deps"),
    pytest.param("pip install --no-deps .", False, id="app-only"),
    pytest.param("pip install flask gunicorn", True, id="named"),
    pytest.param("pip install pip==25.1 setuptools", False, id="installer-upgrade"),
    pytest.param("python -m pip install -rrequirements.txt", True, id="python-m-pip"),
    pytest.param("uv pip install --system -r requirements.txt", True, id="uv-pip"),
    pytest.param("uv sync --locked --no-install-project", True, id="uv-sync"),
    pytest.param("poetry install --only-root", False, id="poetry-root-only"),
])
def test_what_counts_as_a_dependency_install(command, dependencies):
    assert only(f"FROM python:3.13-slim\nRUN {command}\n").dependencies is dependencies


@pytest.mark.parametrize("setup, command, disabled, where", [
    pytest.param("", "pip install flask", False, "/root/.cache/pip", id="pip-as-root"),
    pytest.param("", "pip install --no-cache-dir flask", True, "/root/.cache/pip", id="no-cache-dir"),
    pytest.param("ENV PIP_CACHE_DIR=/cache\n", "pip install flask", False, "/cache", id="pip-env"),
    pytest.param("", "pip install --cache-dir=/c flask", False, "/c", id="pip-flag"),
    pytest.param("ENV XDG_CACHE_HOME=/x\n", "uv pip install flask", False, "/x/uv", id="uv-xdg"),
    pytest.param("", "UV_NO_CACHE=1 uv sync", True, "/root/.cache/uv", id="uv-no-cache"),
    pytest.param("USER app\n", "pip install flask", False, None, id="non-root-home-unknown"),
    pytest.param("USER app\nENV HOME=/home/app\n", "pip install flask", False, "/home/app/.cache/pip", id="home"),
])
def test_where_each_installer_caches(setup, command, disabled, where):
    found = only(f"FROM python:3.13-slim\n{setup}RUN {command}\n")
    assert (found.cache_disabled, found.cache_dir) == (disabled, where)


def test_a_builder_stage_counts_and_a_test_stage_does_not():
    """The final image is made from its FROM chain and the stages it copies or mounts from; a
    test stage nobody copies from is not part of it."""
    df = parse_text(
        "FROM python:3.13-slim AS builder\nRUN pip install -r requirements.lock\n"
        "FROM python:3.13-slim AS wheels\nRUN pip wheel --no-deps -w /w .\n"
        "FROM python:3.13-slim AS test\nRUN pip install pytest\n"
        "FROM python:3.13-slim\nCOPY --from=builder /opt/venv /opt/venv\n"
        "RUN --mount=type=bind,from=wheels,source=/w,target=/w pip install --no-deps /w/app.whl\n")
    assert [s.name for s in used_stages(df)] == ["builder", "wheels", None]
    assert [(i.stage.name, i.text) for i in dependency_installs(df)] == [("builder", "pip install -r requirements.lock")]


def test_mount_options_are_read_under_every_name():
    df = parse_text("FROM python:3.13-slim\nRUN --mount=type=cache,dst=/root/.cache/pip,sharing=locked "
                    "--mount=source=uv.lock,target=uv.lock pip install .\n")
    assert mounts(df.final.instructions[0]) == [
        {"type": "cache", "dst": "/root/.cache/pip", "sharing": "locked", "target": "/root/.cache/pip"},
        {"source": "uv.lock", "target": "uv.lock", "type": "bind"},
    ]
