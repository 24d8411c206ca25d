"""What a check returns, and the registry of checks by practice id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..grading import Grading

STATUSES = ("pass", "fail", "error", "skip")


@dataclass
class Outcome:
    status: str
    observed: str                     # what was seen, in the image, the container or the Dockerfile
    expected: str = ""                # what the practice asks for (failures)
    line: int | None = None           # the Dockerfile line it concerns
    fix: str | None = None            # a specific nudge; the catalogue's `fix` otherwise
    details: list[str] = field(default_factory=list)  # evidence: log lines, paths...

    @property
    def message(self) -> str:
        if self.status == "fail" and self.expected:
            observed = self.observed.rstrip()
            stop = "" if observed.endswith((".", "!", "?", ":")) else "."
            return f"{observed}{stop} Expected: {self.expected}"
        return self.observed


def passed(observed: str, line: int | None = None, details: list[str] | None = None) -> Outcome:
    return Outcome("pass", observed, line=line, details=details or [])


def failed(observed: str, expected: str, line: int | None = None, fix: str | None = None,
           details: list[str] | None = None) -> Outcome:
    return Outcome("fail", observed, expected, line, fix, details or [])


def errored(reason: str, line: int | None = None, details: list[str] | None = None) -> Outcome:
    return Outcome("error", reason, line=line, details=details or [])


CheckFunction = Callable[["Grading"], Outcome]
CHECKS: dict[str, CheckFunction] = {}


def check(practice_id: str) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        if practice_id in CHECKS:
            raise ValueError(f"two checks registered for {practice_id!r}")
        CHECKS[practice_id] = function
        return function

    return register
