"""When lines reach `docker logs`: the containers' logs read every tenth of a second (as the
grader reads them: graders/probes.py `logs_tail`), each line noted at the moment it first
appeared, in seconds since its `docker run`; actions (a `docker stop`, a `docker kill`) taken at
set times along the way are noted too."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from .. import probes
from .running import Running


@dataclass(frozen=True)
class Arrival:
    line: str
    seconds: float            # since the container's `docker run`


@dataclass
class Watched:
    """What one container's log showed, and when."""

    arrivals: list[Arrival] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)   # (seconds, what was done)

    def first(self, text: str) -> float | None:
        """When a line containing `text` first appeared (None: never, while watched)."""
        return next((a.seconds for a in self.arrivals if text in a.line), None)


def watch(runs: dict[str, Running], seconds: float,
          actions: dict[str, tuple[float, str, Callable[[], object]]] | None = None,
          interval: float = 0.1) -> dict[str, Watched]:
    """Read each container's log until `seconds` after its start. `actions[name] = (at, what, do)`
    runs `do()` once, `at` seconds after that container started (noted as `what`)."""
    watched = {name: Watched() for name in runs}
    pending = dict(actions or {})
    seen: dict[str, set[str]] = {name: set() for name in runs}
    end = max(run.started for run in runs.values()) + seconds
    while True:
        now = time.monotonic()
        for name, run in runs.items():
            if name in pending and now - run.started >= pending[name][0]:
                _at, what, do = pending.pop(name)
                watched[name].events.append((time.monotonic() - run.started, what))
                do()
            for line in probes.logs_tail(run.container, 200):
                if line not in seen[name]:
                    seen[name].add(line)
                    watched[name].arrivals.append(Arrival(line, time.monotonic() - run.started))
        if now >= end:
            return watched
        time.sleep(interval)
