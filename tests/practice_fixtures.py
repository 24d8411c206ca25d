"""The practice fixtures and what each must show, read from its own `fixture.toml`.

hadolint keeps one spec per rule, with the Dockerfiles it must catch and the ones it must not;
here each fixture directory (tests/fixtures/practices/NAME/) carries its own spec beside its
Dockerfile (or the edits that make it: tests/mutations.py):

    # a bad fixture: one defect
    fails = "exposes-port"          # the practice it must fail, at the line after its `# DEFECT:`
    stage = 1                       # the stage it is graded at
    says = "EXPOSE names 8080"      # what the failure message must name
    slow = true                     # optional: it waits on purpose (say why in a comment)
    grader_bug = "..."              # optional: a known grader bug, its tests strict-xfail until fixed
    [also_fails]                    # optional: other practices that do not pass, each with why
    code-not-writable = "root owns the code, so it can write it"

    # a good fixture: correct but unusual
    passes = ["non-root-user", ...] # the practices it is the good example for
    stage = 2
    [fails_by_design]               # optional: recommended practices it fails on purpose, and why
    code-not-writable = "..."
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from mutations import FIXTURES, spec_of

KEYS = {"fails", "passes", "stage", "says", "slow", "grader_bug", "also_fails", "fails_by_design",
        "mutates", "why", "edit"}


@dataclass(frozen=True)
class Fixture:
    name: str
    stage: int
    fails: str | None = None                          # bad: the practice it must fail
    passes: frozenset[str] = frozenset()              # good: the practices it demonstrates
    says: str = ""
    also_fails: dict[str, str] = field(default_factory=dict)
    fails_by_design: dict[str, str] = field(default_factory=dict)
    slow: bool = False
    grader_bug: str | None = None

    @property
    def bad(self) -> bool:
        return self.fails is not None


def load(name: str) -> Fixture:
    spec = spec_of(name)
    unknown = set(spec) - KEYS
    if unknown:
        raise ValueError(f"{name}/fixture.toml: unknown keys {sorted(unknown)}")
    return Fixture(name=name, stage=spec["stage"], fails=spec.get("fails"),
                   passes=frozenset(spec.get("passes", ())), says=spec.get("says", ""),
                   also_fails=dict(spec.get("also_fails", {})), fails_by_design=dict(spec.get("fails_by_design", {})),
                   slow=bool(spec.get("slow", False)), grader_bug=spec.get("grader_bug"))


@cache
def all_fixtures() -> dict[str, Fixture]:
    return {p.name: load(p.name) for p in sorted(FIXTURES.iterdir()) if p.is_dir()}


def bad() -> dict[str, Fixture]:
    return {n: f for n, f in all_fixtures().items() if f.bad}


def good() -> dict[str, Fixture]:
    return {n: f for n, f in all_fixtures().items() if not f.bad}
