"""Every bound the grader puts on a submission, in one place: its default, the environment
variable that changes it, and what enforces it. `python -m graders limits` shows them.

A classroom grader builds and runs code strangers wrote (docs/security.md): nothing a
submission does may hang the grader, take the machine down, or outlive its grading. Values are
read when used, so a test or a classroom can set the variables per process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    name: str
    default: float
    unit: str          # "s", "bytes", "count", "cpus"
    env: str
    what: str
    enforced_by: str

    @property
    def value(self) -> float:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{self.env}={raw!r} is not a number ({self.what}, in {self.unit})") from None
        if value <= 0:
            raise ValueError(f"{self.env}={raw!r} must be positive ({self.what})")
        return value


MB = 10**6
MiB = 1 << 20
_LIMITS = (
    Limit("grading_seconds", 1800, "s", "DOCKERCOURSE_GRADING_TIMEOUT",
          "a whole grading, every stage and every build included",
          "the grader's own deadline: everything it started is stopped and removed, exit 2"),
    Limit("build_seconds", 900, "s", "DOCKERCOURSE_BUILD_TIMEOUT", "one image build",
          "the buildx client is stopped, which cancels the build in the daemon"),
    Limit("build_memory_bytes", 1024 * MiB, "bytes", "DOCKERCOURSE_BUILD_MEMORY",
          "memory of a build's RUN steps, all together",
          "a cgroup of the grading's own given to BuildKit (--cgroup-parent), where the grader can make one"),
    Limit("build_pids", 1024, "count", "DOCKERCOURSE_BUILD_PIDS", "processes of a build's RUN steps, all together",
          "the same cgroup (pids.max)"),
    Limit("script_seconds", 300, "s", "DOCKERCOURSE_SCRIPT_TIMEOUT", "one run of a stage-3 build.sh",
          "its process group is killed, and the images it made removed"),
    Limit("run_memory_bytes", 512 * MiB, "bytes", "DOCKERCOURSE_RUN_MEMORY", "memory of a container (no swap)",
          "the engine (mem_limit = memswap_limit)"),
    Limit("run_pids", 256, "count", "DOCKERCOURSE_RUN_PIDS", "processes of a container", "the engine (pids_limit)"),
    Limit("run_cpus", 1, "cpus", "DOCKERCOURSE_RUN_CPUS", "CPU of a container", "the engine (nano_cpus)"),
    Limit("log_bytes", 5 * MB, "bytes", "DOCKERCOURSE_LOG_BYTES", "what a container's log keeps",
          "the engine's json-file log driver (max-size, one file)"),
    Limit("context_bytes", 500 * MB, "bytes", "DOCKERCOURSE_CONTEXT_BYTES",
          "the build context, after .dockerignore", "the grader, while copying it (the submission is refused beyond)"),
    Limit("context_files", 50_000, "count", "DOCKERCOURSE_CONTEXT_FILES", "files in the build context, after .dockerignore",
          "the grader, while copying it"),
    Limit("dockerfile_bytes", 1 * MB, "bytes", "DOCKERCOURSE_DOCKERFILE_BYTES", "the Dockerfile",
          "the grader, before reading it"),
)
LIMITS = {limit.name: limit for limit in _LIMITS}


def value(name: str) -> float:
    return LIMITS[name].value


def seconds(name: str) -> int:
    return int(value(name))


def describe(limit: Limit) -> str:
    v = limit.value
    if limit.unit == "bytes":
        return f"{v / MiB:.0f} MiB" if v % MiB == 0 else f"{v / MB:.0f} MB"
    if limit.unit == "s":
        return f"{v:.0f} s"
    if limit.unit == "cpus":
        return f"{v:g} CPU"
    return f"{v:.0f}"


NOT_ENFORCED = (
    "disk written by a build step or a container: the engine has no per-container quota on this "
    "storage driver (overlay2 without project quotas); the engine's data root must have room, and "
    "docs/security.md says how to bound it (a VM or a dedicated filesystem per batch)",
)
