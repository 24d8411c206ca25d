"""Which .dockerignore line does the dockerignore message blame? The one that decides in Docker's
syntax (the last match, a `!` letting a path back in), else the one meant to match it (a
.gitignore-style pattern anchored at the root), else none."""

from __future__ import annotations

from graders.ignore_blame import blame, pattern_lines

CACHE = "src/shortlinks/__pycache__/app.cpython-313.pyc"


def test_a_gitignore_style_pattern_is_blamed_for_a_nested_cache():
    found = blame(".git\n__pycache__/\n", CACHE, "__pycache__")
    assert found.line == 2 and "anchored at the root" in found.reason


def test_a_later_exception_is_blamed_for_letting_a_path_back_in():
    found = blame("*\n!src/\n**/__pycache__\n!src/shortlinks/\n", CACHE, "__pycache__")
    assert found.line == 4 and "back in" in found.reason


def test_no_line_is_blamed_when_nothing_names_it():
    assert blame(".git\n", "tests/test_app.py", "tests").line is None


def test_lines_are_read_as_buildkit_reads_them():
    """A BOM dropped, `#` comments only in the first column, blanks skipped, lines trimmed."""
    assert pattern_lines("\ufeff# comment\n\n  .git  \n #not a comment\n") == [(3, ".git"), (4, "#not a comment")]
