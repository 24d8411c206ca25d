"""The tables in the course's documents that are generated from the catalogue
(graders/practices.toml), so that none is a hand-kept twin: the README's practice table and the
instructor guide's schedule. `make readme` (`python -m graders.generated_docs`) rewrites each block
between its markers; tests/test_catalogue.py fails when a copy is stale."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import agenda, catalogue

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "practices"
DEFECT = re.compile(r"#\s*DEFECT:\s*(.+)")


def practice_table(cat: catalogue.Catalogue | None = None) -> str:
    cat = cat or catalogue.load()
    rows = ["| stage | id | level | practice | points |", "|---|---|---|---|---|"]
    rows += [f"| {p.stage} | `{p.id}` | {p.level} | {p.title} | {p.points} |" for p in cat.practices]
    return "\n".join(rows)


def common_mistakes(cat: catalogue.Catalogue | None = None) -> str:
    """Each bad fixture of the test suite as a trainer meets it in a room: the mistake (the
    fixture's `# DEFECT:` comment), the practice it fails, and what the grader's message names
    (the fixture's `says`, which the suite checks is in the real message)."""
    cat = cat or catalogue.load()
    order = {p.id: i for i, p in enumerate(cat.practices)}
    rows = []
    for spec_file in sorted(FIXTURES.glob("fails-*/fixture.toml")):
        spec = tomllib.loads(spec_file.read_text(encoding="utf-8"))
        texts = [edit.get("replace", "") for edit in spec.get("edit", [])]
        texts += [f.read_text(encoding="utf-8", errors="replace") for f in sorted(spec_file.parent.rglob("*"))
                  if f.is_file() and f.name != "fixture.toml"]
        mistake = next((m.group(1).strip() for text in texts for m in [DEFECT.search(text)] if m), "")
        practice = cat.practice(spec["fails"])
        says = spec.get("says", "").replace("|", "\\|").replace("`", "")
        rows.append((practice.stage, order[practice.id], spec_file.parent.name,
                     f"| {practice.stage} | `{practice.id}` | {mistake.replace('|', '/')} | `{says}` |"))
    head = ["| stage | practice | the mistake | the grader's message names |", "|---|---|---|---|"]
    return "\n".join(head + [row for *_key, row in sorted(rows)])


@dataclass(frozen=True)
class Block:
    path: Path
    name: str
    render: Callable[[], str]

    @property
    def begin(self) -> str:
        return f"<!-- {self.name}: generated from graders/practices.toml by `make readme`; do not edit by hand -->"

    @property
    def end(self) -> str:
        return f"<!-- {self.name}: end -->"

    def apply(self, text: str) -> str:
        """`text` with the block between the markers rendered anew; a document without the markers
        is an error (the block's place is chosen by hand, once)."""
        start, end = text.find(self.begin), text.find(self.end)
        if start < 0 or end < start:
            raise ValueError(f"{self.path.name} has no `{self.begin}` ... `{self.end}` block")
        return text[:start + len(self.begin)] + "\n" + self.render() + "\n" + text[end:]


BLOCKS = (
    Block(ROOT / "README.md", "practices", practice_table),
    Block(ROOT / "docs" / "instructor.md", "schedule", agenda.markdown_table),
    Block(ROOT / "docs" / "instructor.md", "mistakes", common_mistakes),
)


def stale() -> list[Path]:
    """The documents whose generated blocks differ from what the catalogue gives now."""
    return [b.path for b in BLOCKS if b.apply(b.path.read_text(encoding="utf-8")) != b.path.read_text(encoding="utf-8")]


def main() -> int:
    for block in BLOCKS:
        text = block.path.read_text(encoding="utf-8")
        new = block.apply(text)
        if new != text:
            block.path.write_text(new, encoding="utf-8")
            print(f"updated the {block.name} block in {block.path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
