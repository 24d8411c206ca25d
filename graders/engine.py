"""The Docker engine as the grader uses it: one client, labels on everything, cleanup by label.

Every image, container, network and volume the grader creates carries GRADER_LABEL (value: the
grading session's id) and is removed when that session ends, pass or fail. It also carries the
session's owner (host, process id and process start time) and, when DOCKERCOURSE_RUN is set (a
test run, a classroom batch), that run's id: so `cleanup` removes only sessions whose process is
gone, and two gradings on one engine never remove each other's containers.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field

import docker
import docker.errors
from docker.types import LogConfig

GRADER_LABEL = "org.dockercourse.grader"
OWNER_LABEL = "org.dockercourse.grader.owner"      # host:pid:process-start of the grading process
RUN_LABEL = "org.dockercourse.grader.run"          # $DOCKERCOURSE_RUN, when set (a test run, a batch)
STARTED_LABEL = "org.dockercourse.grader.started"  # Unix time the session began
RUN_ENV = "DOCKERCOURSE_RUN"
# A session owned by another host cannot be checked for a live process: it counts as stale once
# it is older than any grading can last.
STALE_AFTER_SECONDS = 12 * 3600

# Limits for every container the grader runs: enough for the sample app, small enough that a
# hostile or broken submission cannot take the machine down.
def run_limits() -> dict:
    """The limits of every container the grader runs (graders/limits.py: defaults, overrides)."""
    from . import limits

    memory = int(limits.value("run_memory_bytes"))
    return {
        "mem_limit": memory,
        "memswap_limit": memory,
        "pids_limit": int(limits.value("run_pids")),
        "nano_cpus": int(limits.value("run_cpus") * 1_000_000_000),
        # A container that floods stdout cannot fill the engine's disk: the log keeps its last bytes.
        "log_config": LogConfig(type=LogConfig.types.JSON,
                                config={"max-size": str(int(limits.value("log_bytes"))), "max-file": "1"}),
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


def _process_start(pid: int) -> str:
    """The start time of a process (clock ticks since boot, /proc/PID/stat field 22), "" off Linux."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


def owner_id(pid: int | None = None) -> str:
    """host:pid:start of a process: what a session's OWNER_LABEL holds, to tell whether it still runs."""
    pid = pid or os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def owner_alive(owner: str) -> bool | None:
    """Whether the process named by an OWNER_LABEL value still runs; None when it cannot be told
    (another host)."""
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    return not start or _process_start(pid) in ("", start)


@dataclass
class Session:
    """The resources one grading run creates; `close()` removes all of them."""

    client: docker.DockerClient
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    started: float = field(default_factory=time.time)

    @property
    def labels(self) -> dict[str, str]:
        labels = {GRADER_LABEL: self.id, OWNER_LABEL: owner_id(), STARTED_LABEL: str(int(self.started))}
        if os.environ.get(RUN_ENV):
            labels[RUN_LABEL] = os.environ[RUN_ENV]
        return labels

    def image_tag(self, purpose: str = "build") -> str:
        return f"dockercourse-grade/{self.id}:{purpose}"

    def name(self, purpose: str) -> str:
        """A container or network name of this session's own (two sessions never collide)."""
        return f"dockercourse-{self.id}-{purpose}"

    def create(self, image: str, **options) -> docker.models.containers.Container:
        """Create (not start) a labelled, resource-limited container."""
        settings = {**run_limits(), **options}
        settings["labels"] = {**options.get("labels", {}), **self.labels}
        return self.client.containers.create(image, **settings)

    def run(self, image: str, **options) -> docker.models.containers.Container:
        """Start a detached, labelled, resource-limited container. If the engine cannot start it
        (no such executable, no such user), the created container stays labelled for close()."""
        container = self.create(image, **options)
        container.start()
        return container

    def network(self) -> docker.models.networks.Network:
        return self.client.networks.create(self.name("net"), labels=self.labels)

    def close(self) -> None:
        remove_labelled(self.client, self.id)


@dataclass(frozen=True)
class Labelled:
    """One labelled resource, as the engine lists it (no second request per item: between a list
    and a get, another grading may remove it)."""

    kind: str                 # "containers", "images", "networks", "volumes"
    id: str
    name: str
    labels: dict[str, str]


def _labelled(client: docker.DockerClient, selector: str) -> dict[str, list[Labelled]]:
    api, filters = client.api, {"label": selector}
    return {
        "containers": [Labelled("containers", c["Id"], (c.get("Names") or ["/?"])[0].lstrip("/"), c.get("Labels") or {})
                       for c in api.containers(all=True, filters=filters)],
        "images": [Labelled("images", i["Id"], i["Id"].removeprefix("sha256:")[:12], i.get("Labels") or {})
                   for i in api.images(filters=filters)],
        "networks": [Labelled("networks", n["Id"], n.get("Name", "?"), n.get("Labels") or {})
                     for n in api.networks(filters=filters)],
        "volumes": [Labelled("volumes", v["Name"], v["Name"], v.get("Labels") or {})
                    for v in (api.volumes(filters=filters).get("Volumes") or [])],
    }


def remove_labelled(client: docker.DockerClient, session_id: str | None = None) -> None:
    """Remove every container, image, network and volume of one session (all sessions: None)."""
    found = _labelled(client, f"{GRADER_LABEL}={session_id}" if session_id else GRADER_LABEL)
    api = client.api

    def remove(call, *args, **kwargs) -> None:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):  # 409: removal in progress
            call(*args, **kwargs)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:  # each waits on a kill: side by side
        list(pool.map(lambda c: remove(api.remove_container, c.id, force=True, v=True), found["containers"]))
    for image in found["images"]:
        remove(api.remove_image, image.id, force=True, noprune=False)
    for network in found["networks"]:
        remove(api.remove_network, network.id)
    for volume in found["volumes"]:
        remove(api.remove_volume, volume.id, force=True)


def sessions(client: docker.DockerClient) -> dict[str, dict[str, str]]:
    """Every grading session with something on the engine: its id -> its labels."""
    found: dict[str, dict[str, str]] = {}
    for items in _labelled(client, GRADER_LABEL).values():
        for item in items:
            labels = item.labels
            found.setdefault(labels.get(GRADER_LABEL, "?"), labels)
    return found


def is_stale(labels: dict[str, str], now: float | None = None) -> bool:
    """A session is stale when its grading process is gone (same host), or, when that cannot be
    told (another host, or no owner label), once it is older than any grading lasts."""
    alive = owner_alive(labels.get(OWNER_LABEL, ""))
    if alive is not None:
        return not alive
    started = labels.get(STARTED_LABEL, "")
    return not started.isdigit() or (now or time.time()) - int(started) > STALE_AFTER_SECONDS


def remove_stale(client: docker.DockerClient) -> list[str]:
    """Remove the resources of stale sessions only (a grading in progress is left alone); their ids."""
    stale = [sid for sid, labels in sessions(client).items() if is_stale(labels)]
    for sid in stale:
        remove_labelled(client, sid)
    return stale


def leftovers(client: docker.DockerClient, run: str | None = None) -> dict[str, list[str]]:
    """What grading sessions left on the engine: of one run (RUN_LABEL), or of every session."""
    found = _labelled(client, f"{RUN_LABEL}={run}" if run else GRADER_LABEL)
    return {kind: [item.name for item in items] for kind, items in found.items()}


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
