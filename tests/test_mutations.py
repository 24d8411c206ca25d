"""Fixtures kept as one defect of a solution must fail loudly when the solution moves on."""

from __future__ import annotations

import pytest

from mutations import FIXTURES, MutationError, apply, dockerfile_text, is_mutation

BASE = ["# a header", "", "FROM python:3.13-slim", "EXPOSE 8000", "CMD [\"x\"]"]


def test_an_edit_replaces_whole_lines_and_the_header_says_why():
    text = apply("fails-demo", {"why": "Why it exists: a demo.", "edit": [
        {"find": "EXPOSE 8000", "replace": "# DEFECT: wrong port.\nEXPOSE 8080"}]}, BASE)
    lines = text.splitlines()
    assert lines[:2] == ["# fails-demo", "# Why it exists: a demo."]
    assert "EXPOSE 8080" in lines and "EXPOSE 8000" not in lines and "# a header" not in lines


def test_an_edit_that_no_longer_matches_is_an_error():
    with pytest.raises(MutationError, match="matches 0 places"):
        apply("fails-demo", {"why": "x", "edit": [{"find": "EXPOSE 9000", "replace": ""}]}, BASE)


def test_every_mutation_applies_to_the_current_solution():
    mutated = [p.name for p in FIXTURES.iterdir() if p.is_dir() and is_mutation(p.name)]
    assert mutated
    for name in mutated:
        assert dockerfile_text(name).startswith(f"# {name}\n")
