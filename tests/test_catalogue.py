"""The practice catalogue is the contract's one copy: ids as in the curriculum, every field present."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders import catalogue
from graders.checks import CHECKS
from graders.runner import implemented_stages

CURRICULUM = Path(__file__).resolve().parents[2] / "shared" / "curriculum.md"


def curriculum_ids() -> dict[str, tuple[int, str]]:
    ids, stage = {}, 0
    for line in CURRICULUM.read_text().splitlines():
        if m := re.match(r"### Stage (\d+):", line):
            stage = int(m.group(1))
        elif m := re.match(r"\| `([a-z0-9-]+)` \| (required|recommended) \|", line):
            ids[m.group(1)] = (stage, m.group(2))
    return ids


@pytest.mark.skipif(not CURRICULUM.exists(), reason="../shared/curriculum.md is only beside the developers' checkout")
def test_ids_stages_and_levels_match_the_curriculum():
    """Practice ids are a contract: none renamed, none dropped, same stage and level."""
    expected = curriculum_ids()
    assert len(expected) >= 40
    found = {p.id: (p.stage, p.level) for p in catalogue.load().practices}
    assert {k: v for k, v in found.items() if k in expected} == expected
    assert set(expected) <= set(found)


def test_every_practice_of_a_graded_stage_has_a_check():
    """Stages offered for grading have a check for every practice; no check lacks a practice."""
    cat = catalogue.load()
    assert implemented_stages()[:2] == [1, 2]
    for stage in implemented_stages():
        assert all(p.id in CHECKS for p in cat.of_stage(stage))
    assert set(CHECKS) <= {p.id for p in cat.practices}


def test_every_practice_has_why_fix_section_and_points():
    for p in catalogue.load().practices:
        assert p.title and p.why and p.fix and p.points >= 1
        notebook = p.section.split("#")[0]
        assert re.fullmatch(r"notebooks/0[1-7]-[a-z-]+\.py", notebook), p.section


def test_generated_tables_are_current():
    """The README's practice table and the instructor guide's schedule are the catalogue's
    (`make readme` rewrites them): never edited by hand."""
    from graders import generated_docs

    assert generated_docs.stale() == [], "stale generated tables: run `make readme`"


# Hints come in two levels (the `fix` nudge, the `more` on demand); neither may be the answer.
INSTRUCTIONS = ("FROM|RUN|CMD|LABEL|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG|ONBUILD|"
                "STOPSIGNAL|HEALTHCHECK|SHELL")
# An instruction written out with its arguments: a `code` span that starts with one (`USER app`),
# a line that is one (prose that merely names an instruction has punctuation), or anywhere with
# arguments that can only be a recipe: a flag, a path, a JSON array, a number, a KEY=value
# (RUN --mount=…, USER 10001, ENV PYTHONUNBUFFERED=1).
WRITTEN_OUT = re.compile(rf"`\s*(?:{INSTRUCTIONS})\s+[^`]|^\s*(?:{INSTRUCTIONS})\s+[^.;:,]*$"
                         rf"|\b(?:{INSTRUCTIONS})\s+(?:--?\w|/|\.|\[|\d|[A-Z_]+=)", re.MULTILINE)
SHELL_CHAIN = re.compile(r"&&|\|\|")   # a chained shell command line is a recipe too


@pytest.mark.parametrize("stage", range(1, 8))
def test_every_practice_has_two_hint_levels_none_of_them_a_recipe(stage):
    """Does every practice of stages 1-7 have a nudge and a second hint, and is neither a
    Dockerfile recipe (an instruction with its arguments, a chained shell command)?"""
    practices = catalogue.load().of_stage(stage)
    assert practices
    for p in practices:
        assert p.fix.strip() and p.more.strip(), f"{p.id}: needs both hint levels (fix, more)"
        assert p.more != p.fix, f"{p.id}: the second hint repeats the first"
        for level, text in (("fix", p.fix), ("more", p.more)):
            recipe = WRITTEN_OUT.search(text) or SHELL_CHAIN.search(text)
            assert not recipe, f"{p.id}.{level} gives a recipe ({recipe.group(0)!r}): {text}"


@pytest.mark.parametrize("recipe", [
    "In one RUN, do it: `RUN apt-get update && apt-get -y upgrade`.",
    "Add `USER 10001` at the end.",
    "COPY . . then pip install",
    "First:\nUSER app",
    "Mount a cache with RUN --mount=type=cache,target=/root/.cache/pip.",
    "Set ENV PYTHONUNBUFFERED=1.",
], ids=["run-chain", "user-span", "copy-line", "user-line", "run-flag", "env-assignment"])
def test_the_recipe_detector_catches_recipes(recipe):
    """The check above is not vacuous: written-out instructions are caught."""
    assert WRITTEN_OUT.search(recipe) or SHELL_CHAIN.search(recipe)


@pytest.mark.parametrize("nudge", [
    "Who is PID 1 in your container, and which instruction decides that for `docker run`?",
    "An image runs as root unless its config names another user; USER in the final stage decides.",
    "BuildKit's cache mounts (an option of RUN) keep a directory between builds.",
    "HEALTHCHECK runs a command inside the container at intervals, and reads its exit status.",
], ids=["question", "instruction-named", "option-named", "sentence-starting-with-one"])
def test_the_recipe_detector_lets_nudges_through(nudge):
    """Naming an instruction is not giving the recipe."""
    assert not (WRITTEN_OUT.search(nudge) or SHELL_CHAIN.search(nudge))
