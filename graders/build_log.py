"""Which steps a BuildKit build ran and which it took from its cache, read from the plain
progress log (`#12 [builder 4/8] RUN pip install ...`, then `#12 CACHED` or `#12 DONE 3.1s`),
and which Dockerfile instruction each step is: BuildKit's own verdict on reuse, for every stage,
including the ones whose layers the final image does not keep (a multi-stage builder)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .build import BuildResult
from .dockerfile import Dockerfile, Instruction
from .installs import normalised

_STEP = re.compile(r"^#(\d+) \[(?P<where>[^\]]*)\] (?P<text>.*)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
_WHERE = re.compile(r"^(?:(?P<stage>\S+) )?\d+/\d+$")


@dataclass(frozen=True)
class Step:
    number: str
    stage: str | None     # the stage's name as shown ("builder", "stage-0"), None for a one-stage build
    text: str             # the instruction as BuildKit shows it
    cached: bool


def steps(result: BuildResult) -> list[Step]:
    """The Dockerfile steps of a build, in the order the log first shows them."""
    found: dict[str, tuple[str | None, str]] = {}
    cached: set[str] = set()
    for line in result.log:
        if (m := _STEP.match(line)) and (where := _WHERE.match(m.group("where"))):
            found.setdefault(m.group(1), (where.group("stage"), m.group("text")))
        elif m := _CACHED.match(line):
            cached.add(m.group(1))
    return [Step(number, stage, text, number in cached) for number, (stage, text) in found.items()]


def _stage_label(df: Dockerfile, instr: Instruction) -> str | None:
    for stage in df.stages:
        if instr in stage.instructions:
            return stage.name or f"stage-{stage.index}"
    return None


def step_of(found: list[Step], df: Dockerfile, instr: Instruction) -> Step | None:
    """The build step of a Dockerfile instruction: the same text, in the same stage when the log
    names stages (BuildKit names an unnamed one `stage-N`; a one-stage build shows no name)."""
    text = normalised(instr.original)
    label = _stage_label(df, instr)
    candidates = [s for s in found if normalised(s.text) == text or text.startswith(normalised(s.text) + " ")]
    return next((s for s in candidates if s.stage in (label, None)), candidates[0] if candidates else None)

