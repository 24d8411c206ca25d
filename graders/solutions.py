"""The reference solutions: `solutions/stageN/` holds the packaging files stage N writes or
changes; `solutions/stages.toml` names the ones each stage takes unchanged from the stage before.
`files(N)` is the whole set of stage N, for `graders start` and for grading `solutions/stageN`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from .workspace import REPO_ROOT, SOLUTIONS, WorkspaceError

SPEC = SOLUTIONS / "stages.toml"


@cache
def _spec() -> dict:
    return tomllib.loads(SPEC.read_text(encoding="utf-8")) if SPEC.is_file() else {}


def folder(stage: int) -> Path:
    return SOLUTIONS / f"stage{stage}"


def stage_of(path: Path) -> int | None:
    """N when `path` is solutions/stageN itself, else None."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return None
    if resolved.parent == SOLUTIONS.resolve() and resolved.name.startswith("stage") and resolved.name[5:].isdigit():
        return int(resolved.name[5:])
    return None


def inherited(stage: int) -> list[str]:
    """The names stage N takes from stage N-1 (stages.toml)."""
    return list(_spec().get(f"stage{stage}", {}).get("inherits", []))


def _own(stage: int) -> dict[str, Path]:
    base = folder(stage)
    return {str(p.relative_to(base)): p for p in sorted(base.rglob("*")) if p.is_file()}


@cache
def files(stage: int) -> dict[str, Path]:
    """Every packaging file of solution N (relative name -> the file that holds it)."""
    if not folder(stage).is_dir():
        raise WorkspaceError(f"there is no {folder(stage).relative_to(REPO_ROOT)}")
    found: dict[str, Path] = {}
    names = inherited(stage)
    if names:
        earlier = files(stage - 1)
        for name in names:
            taken = {rel: p for rel, p in earlier.items() if rel == name or rel.startswith(name.rstrip("/") + "/")}
            if not taken:
                raise WorkspaceError(f"{SPEC.relative_to(REPO_ROOT)}: stage{stage} inherits {name!r}, which "
                                     f"solution {stage - 1} does not have")
            found.update(taken)
    found.update(_own(stage))
    return found


def inherited_files(stage: int) -> dict[str, Path]:
    """The files of solution N that live in an earlier stage's folder."""
    own = _own(stage)
    return {rel: p for rel, p in files(stage).items() if rel not in own}
