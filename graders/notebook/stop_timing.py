"""What PID 1 is in a container, and how `docker stop` ends it: several containers stopped side by
side (one thread each, so the 10-second waits overlap), each with the plain `docker stop` command
line it stands for, its duration, the exit code `docker inspect` then reports, and whether the
server logged its own shutdown."""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass, field

from .. import catalogue, probes
from .commands import command_line
from .running import Running

# The graceful-shutdown practice's numbers (graders/practices.toml): `docker stop` must return
# within STOP_LIMIT seconds; GRACE_SECONDS is its grace period before SIGKILL (Docker's default).
_LIMITS = catalogue.load().practice("graceful-shutdown").limits
STOP_LIMIT = float(_LIMITS["seconds"])
GRACE_SECONDS = int(_LIMITS["grace_seconds"])


def pid1(running: Running) -> str:
    """PID 1's command line, read from /proc/1/cmdline inside the container (NUL-separated)."""
    text = probes.read_file(running.container, "/proc/1/cmdline")
    if text is None:
        return "(unreadable)"
    return " ".join(part for part in text.split("\0") if part)


def pid1_line(running: Running) -> str:
    """The command that reads it, as typed in a terminal."""
    return command_line(["docker", "exec", running.container.name, "cat", "/proc/1/cmdline"])


@dataclass
class Stopped:
    """One container's `docker stop`, measured."""

    label: str
    pid1: str
    line: str                       # the `docker stop` command line
    seconds: float                  # how long `docker stop` took to return
    exit_code: int | None           # State.ExitCode afterwards
    log_after: list[str] = field(default_factory=list)   # what the container logged after the stop began

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.log_after)

    @property
    def meaning(self) -> str:
        """The exit code in words (signal(7): 128 + the signal's number)."""
        return {0: "a clean exit", 137: "128 + 9: killed by SIGKILL", 143: "128 + 15: ended by SIGTERM",
                130: "128 + 2: ended by SIGINT"}.get(self.exit_code, "")


def _stop(label: str, running: Running, grace: int) -> Stopped:
    container = running.container
    command = pid1(running)
    before = set(probes.logs_tail(container, 200))
    line = command_line(["docker", "stop", "--time", str(grace), container.name])
    started = time.monotonic()
    container.stop(timeout=grace)
    seconds = time.monotonic() - started
    container.reload()
    code = (container.attrs.get("State") or {}).get("ExitCode")
    after = [l for l in probes.logs_tail(container, 200) if l not in before]
    return Stopped(label, command, line, seconds, code, after)


def stop_side_by_side(runs: dict[str, Running], grace: int = GRACE_SECONDS) -> dict[str, Stopped]:
    """`docker stop` every container at the same moment (one thread each); label -> Stopped, in
    the order given."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {label: pool.submit(_stop, label, running, grace) for label, running in runs.items()}
        return {label: future.result() for label, future in futures.items()}
