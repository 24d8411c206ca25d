"""A HEALTHCHECK's states over time: each container's `State.Health` (what
`docker inspect --format '{{json .State.Health}}' NAME` prints) read every quarter of a second,
each change of status noted in seconds since that container's `docker run`, with the output of
the probe that caused it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .running import Running

INSPECT_FORMAT = "{{json .State.Health}}"


@dataclass(frozen=True)
class Change:
    seconds: float          # since the container's `docker run`
    status: str             # starting | healthy | unhealthy | (none): no HEALTHCHECK
    streak: int             # FailingStreak at that moment
    output: str             # the last probe's output (Health.Log[-1].Output), shortened


@dataclass
class Timeline:
    """One container's health, as it changed."""

    changes: list[Change] = field(default_factory=list)
    probes: int = 0         # how many probe results the engine kept (it keeps the last 5)

    def first(self, status: str) -> float | None:
        return next((c.seconds for c in self.changes if c.status == status), None)

    @property
    def last(self) -> Change | None:
        return self.changes[-1] if self.changes else None


def health(running: Running) -> dict:
    """The container's State.Health now ({} when the image declares no HEALTHCHECK)."""
    running.container.reload()
    return (running.container.attrs.get("State") or {}).get("Health") or {}


def watch(runs: dict[str, Running], seconds: float, interval: float = 0.25) -> dict[str, Timeline]:
    """Read every container's State.Health until `seconds` after the latest start; label -> Timeline."""
    timelines = {label: Timeline() for label in runs}
    end = max(run.started for run in runs.values()) + seconds
    while True:
        for label, run in runs.items():
            state = health(run)
            status = state.get("Status") or "(none)"
            log = state.get("Log") or []
            output = " ".join((log[-1].get("Output") or "").split())[:120] if log else ""
            timeline = timelines[label]
            timeline.probes = len(log)
            if timeline.last is None or timeline.last.status != status:
                timeline.changes.append(Change(time.monotonic() - run.started, status,
                                               int(state.get("FailingStreak") or 0), output))
        if time.monotonic() >= end:
            return timelines
        time.sleep(interval)
