"""A Dockerfile in a notebook: its text with line numbers, and what hadolint finds in it."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from .. import lint
from ..workspace import REPO_ROOT
from .display import show


def show_dockerfile(source: str | Path) -> None:
    """A Dockerfile with line numbers: `source` is Dockerfile text, or a path relative to the course root."""
    if isinstance(source, Path) or ("\n" not in source and (REPO_ROOT / source).exists()):
        path = REPO_ROOT / source
        if path.is_dir():
            path = path / "Dockerfile"
        text = path.read_text(encoding="utf-8")
        title = str(path.relative_to(REPO_ROOT))
    else:
        text, title = str(source), "Dockerfile"
    lines = text.rstrip("\n").splitlines()
    plain = "\n".join(f"{n:>3}  {l}" for n, l in enumerate(lines, 1))
    rows = "".join(f"<span style=\"color: #888\">{n:>3}</span>  {html.escape(l)}\n" for n, l in enumerate(lines, 1))
    show(f"── {title} ──\n{plain}", f"<p><code>{html.escape(title)}</code></p><pre>{rows}</pre>")


def hadolint(dockerfile_text: str) -> list[lint.Finding]:
    """Run hadolint (JSON, ignore pragmas off) on Dockerfile text; show and return its findings."""
    with tempfile.TemporaryDirectory(prefix="dockercourse-lint-") as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_text(dockerfile_text, encoding="utf-8")
        result = lint.run(path)
    if not result.parsed:
        show(f"hadolint did not run: {result.problem}")
        return []
    rows = [f"line {f.line:>2}  {f.code:<7} {f.level:<8} {f.message}" for f in result.findings]
    show("\n".join(rows) if rows else "hadolint: no findings")
    return list(result.findings)
