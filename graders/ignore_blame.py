"""Which line of an ignore file lets a path into the build context, and why, in Docker's pattern
syntax (docker-py's port of its matcher, as graders/workspace.py uses it): the last pattern that
matches the path or a directory above it decides; a `!` pattern there lets it back in. When no
pattern matches, the line that was meant to (one naming the same file or directory) is blamed
for the usual reason: a Docker pattern is anchored at the root of the context, so `__pycache__/`
(which .gitignore matches at any depth) misses `src/pkg/__pycache__`."""

from __future__ import annotations

import os
from dataclasses import dataclass

from docker.utils.build import Pattern


@dataclass(frozen=True)
class Blame:
    line: int | None       # 1-based line of the ignore file, None when no line is to blame
    reason: str


def pattern_lines(text: str) -> list[tuple[int, str]]:
    """(line number, pattern) as BuildKit reads an ignore file: a BOM dropped, `#` comments only
    in the first column, lines trimmed, blank ones skipped."""
    return [(n, line.strip()) for n, line in enumerate(text.removeprefix("\ufeff").split("\n"), 1)
            if line.strip() and not line.startswith("#")]


def _matches(pattern: Pattern, path: str) -> bool:
    parts = path.split("/")
    return any(pattern.match(os.path.join(*parts[:n])) for n in range(len(parts), 0, -1))


def blame(text: str, path: str, name: str) -> Blame:
    """Why `path` (relative to the context) is sent; `name` is the file or directory it is (`tests`)."""
    deciding = None
    for number, raw in pattern_lines(text):
        pattern = Pattern(raw)
        if _matches(pattern, path):
            deciding = (number, raw, pattern)
    if deciding and deciding[2].exclusion:
        return Blame(deciding[0], f"line {deciding[0]} `{deciding[1]}` lets {path} back in")
    for number, raw in pattern_lines(text):
        bare = raw.lstrip("!").strip("/")
        bare = bare.removeprefix("**/")
        if bare.split("/")[-1] in (name, f"{name}*") and not raw.startswith("!"):
            return Blame(number, f"line {number} `{raw}` does not match {path}: a .dockerignore pattern is anchored at "
                                 "the root of the context (unlike .gitignore), and `**/` makes it match at any depth")
    return Blame(None, f"no pattern matches {path}")
