"""The sample app's own test suite passes, run where the app runs: in a python:3.13-slim container."""

from __future__ import annotations

import pytest

from graders import engine

pytestmark = pytest.mark.docker


def test_sample_app_tests_pass_in_the_base_image(docker_client, base_images, repo_root):
    """exercises/tests, installed with the `test` extra into the course's base image (read-only
    mount of the workspace; the copy inside the container is what gets built)."""
    session = engine.Session(docker_client)
    try:
        container = session.run(
            "python:3.13-slim",
            command=["sh", "-c", "cp -r /src /tmp/app && cd /tmp/app && pip install --quiet --no-cache-dir '.[test]' "
                                 "&& python -m pytest -q -p no:cacheprovider"],
            volumes={str(repo_root / "exercises"): {"bind": "/src", "mode": "ro"}},
        )
        status = container.wait(timeout=600)
        output = container.logs().decode("utf-8", errors="replace")
    finally:
        session.close()
    assert status["StatusCode"] == 0, output
    assert " passed" in output and "failed" not in output, output
