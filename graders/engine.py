"""The Docker engine as the grader uses it: one client, labels on everything, cleanup by label.

Every image, container, network and volume the grader creates carries GRADER_LABEL (value: the
grading session's id) and is removed when that session ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field

import docker
import docker.errors

GRADER_LABEL = "org.dockercourse.grader"

# Limits for every container the grader runs: enough for the sample app, small enough that a
# hostile or broken submission cannot take the machine down.
RUN_LIMITS = {
    "mem_limit": "512m",
    "memswap_limit": "512m",
    "pids_limit": 256,
    "nano_cpus": 1_000_000_000,
}


class EngineUnavailable(Exception):
    """No Docker engine answers, or BuildKit (buildx) is missing."""


def connect(timeout: int = 120) -> docker.DockerClient:
    """A client for the engine the CLI would use (DOCKER_HOST, else the current context)."""
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(
            "no Docker engine answers "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
            "start it (Docker Desktop, or `make engine` on Debian as root) and try again"
        ) from None
    return client


def docker_cli() -> str:
    cli = shutil.which("docker")
    if cli is None:
        raise EngineUnavailable("the `docker` command-line client is not installed (needed for BuildKit builds)")
    return cli


def ensure_buildx() -> None:
    probe = subprocess.run([docker_cli(), "buildx", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise EngineUnavailable(
            "the buildx plugin (BuildKit) is missing: install docker-buildx "
            "(Debian/Ubuntu: apt-get install docker-buildx; Docker Desktop includes it)"
        )


@dataclass
class Session:
    """The resources one grading run creates; `close()` removes all of them."""

    client: docker.DockerClient
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def labels(self) -> dict[str, str]:
        return {GRADER_LABEL: self.id}

    def image_tag(self, purpose: str = "build") -> str:
        return f"dockercourse-grade/{self.id}:{purpose}"

    def run(self, image: str, **options) -> docker.models.containers.Container:
        """Start a detached, labelled, resource-limited container."""
        settings = {**RUN_LIMITS, **options}
        settings["labels"] = {**options.get("labels", {}), **self.labels}
        return self.client.containers.run(image, detach=True, **settings)

    def network(self) -> docker.models.networks.Network:
        return self.client.networks.create(f"dockercourse-{self.id}", labels=self.labels)

    def close(self) -> None:
        remove_labelled(self.client, self.id)


def remove_labelled(client: docker.DockerClient, session_id: str | None = None) -> None:
    """Remove every container, image, network and volume carrying the grader label."""
    selector = f"{GRADER_LABEL}={session_id}" if session_id else GRADER_LABEL
    filters = {"label": selector}
    for container in client.containers.list(all=True, filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):  # 409: removal in progress
            container.remove(force=True, v=True)
    for image in client.images.list(filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client.images.remove(image.id, force=True, noprune=False)
    for network in client.networks.list(filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            network.remove()
    for volume in client.volumes.list(filters=filters):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            volume.remove(force=True)


def leftovers(client: docker.DockerClient) -> dict[str, list[str]]:
    """Everything labelled by any grading session that still exists (should be empty)."""
    filters = {"label": GRADER_LABEL}
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters=filters)],
        "images": [i.short_id for i in client.images.list(filters=filters)],
        "networks": [n.name for n in client.networks.list(filters=filters)],
        "volumes": [v.name for v in client.volumes.list(filters=filters)],
    }


def registry_reachable(host: str = "registry-1.docker.io", timeout: float = 3.0) -> bool:
    """Whether Docker Hub's registry answers (offline rooms and CI machines: no)."""
    import socket

    if os.environ.get("DOCKERCOURSE_OFFLINE") == "1":
        return False
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False
