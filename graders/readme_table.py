"""The README's practice table, generated from the catalogue (graders/practices.toml) so that it
is never a hand-kept twin: `python -m graders.readme_table` rewrites the block between the
markers, `python -m graders practices --markdown` prints the same table, and
tests/test_catalogue.py fails when the README's copy is stale."""

from __future__ import annotations

import sys
from pathlib import Path

from . import catalogue

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- practices: generated from graders/practices.toml by `make readme`; do not edit by hand -->"
END = "<!-- practices: end -->"


def markdown_table(cat: catalogue.Catalogue | None = None) -> str:
    cat = cat or catalogue.load()
    rows = ["| stage | id | level | practice | points |", "|---|---|---|---|---|"]
    rows += [f"| {p.stage} | `{p.id}` | {p.level} | {p.title} | {p.points} |" for p in cat.practices]
    return "\n".join(rows)


def with_table(text: str, table: str) -> str:
    """`text` with the block between the markers replaced by `table`; a README without the
    markers is an error (the table's place is chosen by hand, once)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no `{BEGIN}` ... `{END}` block")
    return text[:start + len(BEGIN)] + "\n" + table + "\n" + text[end:]


def main() -> int:
    text = README.read_text(encoding="utf-8")
    new = with_table(text, markdown_table())
    if new != text:
        README.write_text(new, encoding="utf-8")
        print(f"updated the practice table in {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
