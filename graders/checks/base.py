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
    file: str = "Dockerfile"          # the file `line` is in (build.sh, a workflow...)

    @property
    def message(self) -> str:
        if self.status == "fail" and self.expected:
            observed = self.observed.rstrip()
            stop = "" if observed.endswith((".", "!", "?", ":")) else "."
            return f"{observed}{stop} Expected: {self.expected}"
        return self.observed


def passed(observed: str, line: int | None = None, details: list[str] | None = None,
           file: str = "Dockerfile") -> Outcome:
    return Outcome("pass", observed, line=line, details=details or [], file=file)


def failed(observed: str, expected: str, line: int | None = None, fix: str | None = None,
           details: list[str] | None = None, file: str = "Dockerfile") -> Outcome:
    return Outcome("fail", observed, expected, line, fix, details or [], file)


def errored(reason: str, line: int | None = None, details: list[str] | None = None) -> Outcome:
    return Outcome("error", reason, line=line, details=details or [])


CheckFunction = Callable[["Grading"], Outcome]


@dataclass(frozen=True)
class Check:
    """A practice's check and what it needs from the grading run: the learner's image (most do;
    a stage-3 build-script check does not), and the containers it looks at, by purpose, which the
    runner starts side by side as soon as the image is built, and `prepare`, which the runner calls
    then too, so that a slow part of the check (scanning the saved image) overlaps the waits."""

    function: CheckFunction
    needs_image: bool = True
    containers: tuple[str, ...] = ()
    prepare: Callable[["Grading"], None] | None = None  # starts its slow part in the background


    def __call__(self, g: "Grading") -> Outcome:
        return self.function(g)


CHECKS: dict[str, Check] = {}


def check(practice_id: str, *, needs_image: bool = True, containers: tuple[str, ...] = (),
          prepare: Callable[["Grading"], None] | None = None) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        if practice_id in CHECKS:
            raise ValueError(f"two checks registered for {practice_id!r}")
        CHECKS[practice_id] = Check(function, needs_image, containers, prepare)
        return function

    return register
