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
