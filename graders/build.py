"""Building an image with BuildKit (`docker buildx build`), with a timeout and a progress feed.

docker-py can only drive the classic builder (reference.md §3.1), so builds go through the
buildx CLI; the image is then inspected and run through the SDK.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import limits, process
from .engine import docker_cli

DEFAULT_TIMEOUT = limits.seconds("build_seconds")

_STEP = re.compile(r"^#(\d+) (\[[^\]]*\] .*|\[internal\].*)$")
_DOCKERFILE_LINE = re.compile(r"^(?:\S*/)?Dockerfile[^:\s]*:(\d+)$")
_PARSE_LINE = re.compile(r"(?:line|on line) (\d+)")
_LOG_LINES = 4000  # the end of the log a BuildResult keeps


@dataclass
class BuildResult:
    ok: bool
    image_id: str | None
    seconds: float
    log: list[str] = field(default_factory=list)
    error: str | None = None          # the builder's one-line reason
    failed_step: str | None = None    # e.g. "[3/4] RUN pip install ."
    line: int | None = None           # Dockerfile line of the failure
    cached_steps: list[str] = field(default_factory=list)
    timed_out: bool = False

    def tail(self, lines: int = 15) -> list[str]:
        """The failing step's own output (or the end of the log)."""
        if self.failed_step:
            number = next((m.group(1) for l in self.log if (m := _STEP.match(l)) and m.group(2) == self.failed_step), None)
            if number:
                own = [l for l in self.log if l.startswith(f"#{number} ") and not _STEP.match(l)]
                if own:
                    return own[-lines:]
        return self.log[-lines:]


def _parse_failure(log: list[str]) -> tuple[str | None, str | None, int | None]:
    error = next((l for l in reversed(log) if l.startswith("ERROR:")), None)
    if error:
        error = error.removeprefix("ERROR: ").removeprefix("failed to solve: ")
    step = None
    for l in log:
        m = re.match(r"^ > (\[.*\] .*):$", l)
        if m:
            step = m.group(1)
    line = None
    for l in log:
        m = _DOCKERFILE_LINE.match(l.strip())
        if m:
            line = int(m.group(1))
    if line is None and error and "dockerfile parse error" in error:
        m = _PARSE_LINE.search(error)
        line = int(m.group(1)) if m else None
    return error, step, line


def build(
    context: Path,
    dockerfile: Path,
    tag: str,
    labels: dict[str, str],
    build_args: dict[str, str] | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    on_step: Callable[[str], None] | None = None,
    cgroup_parent: str | None = None,
) -> BuildResult:
    """Build `context` with BuildKit and load the image into the engine as `tag`; its RUN steps
    in `cgroup_parent` (graders/build_cgroup.py) when given."""
    iidfile = context.parent / f".iid-{tag.replace('/', '_').replace(':', '_')}"
    cmd = [docker_cli(), "buildx", "build", "--progress=plain", "--load", "--iidfile", str(iidfile),
           "--file", str(dockerfile), "--tag", tag]
    for key, value in labels.items():
        cmd += ["--label", f"{key}={value}"]
    for key, value in (build_args or {}).items():
        cmd += ["--build-arg", f"{key}={value}"]
    if cgroup_parent:
        cmd += ["--cgroup-parent", cgroup_parent]
    cmd.append(str(context))

    cached: list[str] = []
    steps: dict[str, str] = {}

    def on_line(line: str) -> None:
        m = _STEP.match(line)
        if m:
            steps[m.group(1)] = m.group(2)
            if on_step and not m.group(2).startswith("[internal]"):
                on_step(m.group(2))
        elif line.endswith(" CACHED") and line.startswith("#"):
            number = line[1:].split(" ", 1)[0]
            if number in steps:
                cached.append(steps[number])

    env = {**os.environ, "BUILDKIT_PROGRESS": "plain", "DOCKER_CLI_HINTS": "false"}
    # Stopping the buildx client (at the timeout, or on Ctrl-C / a notebook's interrupted kernel)
    # cancels the build in the daemon: "The build is canceled if the client drops the connection"
    # (Engine API).
    finished = process.run(cmd, on_line=on_line, env=env, timeout=timeout, keep=_LOG_LINES)
    seconds, lines, timed_out = finished.seconds, finished.lines, finished.timed_out

    image_id = None
    if iidfile.exists():
        image_id = iidfile.read_text().strip() or None
        iidfile.unlink()
    if finished.returncode == 0 and image_id and not timed_out:
        return BuildResult(True, image_id, seconds, lines, cached_steps=cached)

    error, step, line = _parse_failure(lines)
    if timed_out:
        error = f"the build did not finish within {timeout} s and was cancelled"
        step = step or next(reversed(steps.values()), None)
    error = error or f"docker buildx build exited {finished.returncode}"
    return BuildResult(False, None, seconds, lines, error, step, line, cached, timed_out)
