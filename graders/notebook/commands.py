"""The `docker`, `git` and shell command lines behind the notebooks' helpers: shown as a learner
would type them, then run for real with their output captured and printed to stdout (never to
the notebook's stderr: nbgrader scores a cell that writes there zero).

- `command_line(argv, env)`: `$ K=V cmd args…`, quoted as a shell needs it;
- `run(argv)`: show the line, run it (graders/process.py: a timeout, nothing left running), show
  the tail of its output and its exit code; `run_script(text)`: the same for `bash` on a script;
- `docker_run(lab, image, command)`: `docker run --rm [-e K=V…] IMAGE COMMAND…` through the Lab's
  labelled, resource-limited session, until the container exits: (exit code, log).
"""

from __future__ import annotations

import os
import shlex
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import process
from ..engine import docker_cli
from .running import Running

# No "What's next" hints from the docker CLI in a notebook's output.
QUIET_CLI = {"DOCKER_CLI_HINTS": "false"}


def command_line(argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """`$ K=V cmd args…`: the command as one shell line."""
    prefix = "".join(f"{key}={shlex.quote(value)} " for key, value in (env or {}).items())
    return f"$ {prefix}{shlex.join(argv)}"


@dataclass(frozen=True)
class Ran:
    """How a shown command ended."""

    line: str                 # the command line as shown
    returncode: int
    output: list[str]         # stdout and stderr, merged
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def _ipython_display_(self) -> None:
        """Nothing more to show when a cell ends with a run: its output is already printed."""


def run(argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
        timeout: float = 120, tail: int = 6, show: bool = True) -> Ran:
    """Show `argv` (with `env`, the variables it adds), run it, show the last `tail` lines of its
    output and its exit code. `docker` runs as the CLI the graders use."""
    line = command_line(argv, env)
    executable = [docker_cli(), *argv[1:]] if argv[0] == "docker" else list(argv)
    finished = process.run(executable, env={**os.environ, **QUIET_CLI, **(env or {})}, cwd=cwd, timeout=timeout)
    ran = Ran(line, finished.returncode, finished.lines, finished.seconds)
    if show:
        print(line)
        shown = finished.lines[-tail:] if tail else []
        if len(finished.lines) > len(shown):
            print(f"  … ({len(finished.lines) - len(shown)} earlier line(s) not shown)")
        for text in shown:
            print(f"  {text}")
        print(f"  → exit code {finished.returncode}" + (" (stopped at the timeout)" if finished.timed_out else ""))
    return ran


def run_script(text: str, name: str = "demo.sh", *, env: Mapping[str, str] | None = None, note: str = "",
               tail: int = 6) -> Ran:
    """Write `text` to a temporary `name` and run `bash name` (shown, with `note` beside it)."""
    with tempfile.TemporaryDirectory(prefix="dockercourse-script-") as tmp:
        (Path(tmp) / name).write_text(text, encoding="utf-8")
        if note:
            print(f"# {note}")
        return run(["bash", name], env=env, cwd=tmp, tail=tail)


def docker_run_line(image: str, command: Sequence[str] = (), environment: Mapping[str, str] | None = None,
                    detach: bool = False, publish: Sequence[str] = ()) -> str:
    """The `docker run` line for a container of `image` (what `docker_run` and the Lab's runs do:
    a Lab's `run()` is `detach=True, publish=["127.0.0.1::8000"]`)."""
    argv = ["docker", "run", "-d" if detach else "--rm"]
    for binding in publish:
        argv += ["-p", binding]
    for key, value in (environment or {}).items():
        argv += ["-e", f"{key}={value}"]
    return command_line([*argv, image, *command])


def docker_run(lab, image: str, command: Sequence[str], environment: Mapping[str, str] | None = None,
               timeout: float = 30.0) -> tuple[int | None, str]:
    """`docker run --rm [-e K=V…] IMAGE COMMAND…`, shown, then run through the Lab's session
    (labelled, resource-limited) until it exits; the container is removed after. (exit code, log)."""
    print(docker_run_line(image, command, environment))
    started = time.monotonic()
    running = Running(lab.session.run(image, command=list(command), environment=dict(environment or {})), started)
    code, _seconds = running.wait_exit(timeout)
    log = running.container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
    running.container.remove(force=True)
    return code, log
