"""Running a command the grader does not trust to end: its output line by line, a timeout, and
nothing left running afterwards.

`run()` starts the command in a session of its own, so a terminal's Ctrl-C does not reach it and
the runner alone decides when it dies: at the timeout, on any exception while it waits
(KeyboardInterrupt, SystemExit, an exception raised by a signal handler or by `on_line`), and
when the command has exited but something it started still holds its output open. Stopping is
for the whole process group: SIGTERM, then SIGKILL after a grace period.

Used for `docker buildx build`, mmdebstrap and apt-get; made to run a learner's `build.sh` too
(cwd, env, timeout, bounded output).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# How often the runner looks at the clock and at the command while no output arrives.
_TICK = 0.1


@dataclass(frozen=True)
class Finished:
    """How a command ended."""

    returncode: int  # negative: ended by that signal (as when it timed out)
    lines: list[str]  # the last `keep` lines of its stdout and stderr, merged, without line ends
    timed_out: bool  # stopped at the timeout
    seconds: float


def run(
    argv: Sequence[str],
    *,
    on_line: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
    keep: int = 1000,
    grace: float = 10.0,
) -> Finished:
    """Run argv with stdin from /dev/null, passing each output line to on_line (in this thread).

    timeout: seconds from the start, after which the command is stopped and `timed_out` set.
    keep: how many of the last lines `Finished.lines` holds. grace: seconds from SIGTERM to
    SIGKILL. Raises what starting the command raises (FileNotFoundError, ...), and whatever
    interrupts the wait, after stopping the command.
    """
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=keep)

    def deliver(line: str) -> None:
        tail.append(line)
        if on_line is not None:
            on_line(line)

    command = _Command(argv, env, cwd, deliver, grace)
    try:
        timed_out = command.follow(None if timeout is None else started + timeout)
    except BaseException:
        command.stop()
        raise
    return Finished(command.proc.returncode, list(tail), timed_out, time.monotonic() - started)


class _Command:
    """A started command, a thread reading its output into a queue, and how to stop it."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None,
        cwd: Path | str | None,
        deliver: Callable[[str], None],
        grace: float,
    ) -> None:
        self.deliver = deliver
        self.grace = grace
        self.lines: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.ended = threading.Event()  # the output reached its end: nothing holds it open any more
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=None if env is None else dict(env),
            cwd=cwd,
            start_new_session=True,  # its own process group, out of reach of the terminal's signals
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        """The reader thread: every line into the queue. It alone touches the pipe."""
        stream = self.proc.stdout
        assert stream is not None
        try:
            for raw in stream:
                self.lines.put(raw.rstrip("\n"))
        except (OSError, ValueError):  # the pipe broke; what was read has been passed on
            pass
        finally:
            self.ended.set()
            stream.close()

    def follow(self, deadline: float | None) -> bool:
        """Pass the output on until it ends and the command has exited; True if the deadline came first."""
        exited_at: float | None = None  # when the command exited with its output still open
        while not (self.ended.is_set() and self.lines.empty()):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self.stop()
                self._drain()
                return True
            if exited_at is None and self.proc.poll() is not None:
                exited_at = now
            elif exited_at is not None and now - exited_at >= self.grace:
                self.stop()  # it exited, but something it started keeps the output open
                self._drain()
                return False
            try:
                line = self.lines.get(timeout=_TICK if deadline is None else min(_TICK, deadline - now))
            except queue.Empty:
                continue
            self.deliver(line)
        # The output has ended; the command may have closed it and carried on.
        try:
            self.proc.wait(timeout=None if deadline is None else max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            self.stop()
            return True
        return False

    def _drain(self) -> None:
        """Pass on what the stopped command wrote last, waiting at most the grace period for the
        output to end (something that left the process group may keep it open forever)."""
        self.ended.wait(self.grace)
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            self.deliver(line)

    def stop(self) -> None:
        """SIGTERM to the process group; SIGKILL when the command has not exited after the grace
        period (or a second interrupt cuts it short), or when the output is still held open by
        what it started. Returns once the command is reaped."""
        try:
            if self.proc.poll() is None:
                _signal_group(self.proc.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=self.grace)
        finally:
            if self.proc.poll() is None or not self.ended.wait(_TICK):
                _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is gone already
        os.killpg(pid, signum)  # the group's id is the command's pid: start_new_session made it so
