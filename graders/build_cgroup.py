"""A cgroup of the grading's own for BuildKit's RUN steps (`docker buildx build --cgroup-parent`).

A container's limits do not apply to a build: BuildKit ignores `container_limits`, and has no
pids limit (reference.md §3.6), so a fork bomb or a memory hog in a RUN step would reach the
whole machine. BuildKit does honour `--cgroup-parent` for its RUN steps: measured here (Docker
26.1.5, cgroupfs driver, cgroup v1), a parent with pids.max 50 stopped a step forking 120
processes, and one with a 256 MiB memory limit killed a step allocating 400 MiB (exit 137).

The grader can make such a cgroup only for an engine on this machine using the cgroupfs driver,
and only as root; elsewhere (systemd driver, rootless, a remote engine) builds run without it
and the grading says so.

The cgroup's path is part of BuildKit's cache key for a RUN step, so every grading uses the same
one, `dockercourse-build` (its limits are shared by gradings that build at the same moment): a
name per grading would make every build miss the cache. Removed when the grading ends, unless
another grading is still building in it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from . import limits

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "dockercourse-build"


def _local_engine() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    return host in ("", "unix:///var/run/docker.sock", "unix:///run/docker.sock") and not os.environ.get("DOCKER_CONTEXT")


def _v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def _remove(path: Path) -> None:
    """A cgroup directory and the ones BuildKit made under it (rmdir, deepest first)."""
    if not path.is_dir():
        return
    for sub in sorted((p for p in path.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        path.rmdir()


def _make_v1(name: str, memory: int, pids: int) -> list[Path]:
    made = []
    for controller, files in (("pids", {"pids.max": pids}),
                              ("memory", {"memory.limit_in_bytes": memory, "memory.memsw.limit_in_bytes": memory})):
        path = CGROUP_ROOT / controller / name
        path.mkdir(exist_ok=True)
        made.append(path)
        for file, value in files.items():
            if (path / file).exists():
                (path / file).write_text(str(value))
    return made


def _make_v2(name: str, memory: int, pids: int) -> list[Path]:
    path = CGROUP_ROOT / name
    path.mkdir(exist_ok=True)
    (path / "pids.max").write_text(str(pids))
    (path / "memory.max").write_text(str(memory))
    with contextlib.suppress(OSError):
        (path / "memory.swap.max").write_text("0")
    return [path]


@contextlib.contextmanager
def build_cgroup(cgroup_driver: str | None) -> Iterator[tuple[str | None, str | None]]:
    """(the --cgroup-parent value, None) while the grading lasts, or (None, why builds run unbounded)."""
    if cgroup_driver != "cgroupfs" or not _local_engine():
        yield None, (f"builds ran without a memory and pids limit: the engine's cgroup driver is {cgroup_driver}"
                     if cgroup_driver != "cgroupfs" else
                     "builds ran without a memory and pids limit: the engine is not on this machine")
        return
    if os.geteuid() != 0:
        yield None, "builds ran without a memory and pids limit: making a cgroup for them needs root"
        return
    name = CGROUP_NAME
    memory, pids = int(limits.value("build_memory_bytes")), int(limits.value("build_pids"))
    made: list[Path] = []
    try:
        made = _make_v2(name, memory, pids) if _v2() else _make_v1(name, memory, pids)
    except OSError as exc:
        for path in made:
            _remove(path)
        yield None, f"builds ran without a memory and pids limit: no cgroup could be made ({exc.strerror})"
        return
    try:
        yield f"/{name}", None
    finally:
        for path in made:
            _remove(path)
