"""The catalogue (graders/practices.toml) in a notebook: the overview table of a stage's
practices, the hint cells, and the points of the stage's check cell. Read, never restated by hand.

Hints come in two levels: the catalogue's `fix` (a nudge) and its `more` (the concept and where
to read about it; still not the answer). `hints(stage)` folds each practice; opened, it shows why
and the nudge, and keeps the second level behind a second fold. Where no HTML is shown (a
terminal, a plain-text front end), the text says how to ask for the second level:
`more_hint(id)`.
"""

from __future__ import annotations

from .. import catalogue as catalogue_module
from .display import md_code, show


def _anchor(practice) -> str:
    return practice.section.partition("#")[2]


def required_points(stage: int) -> int:
    """The points of a stage's own required practices: the nbgrader points of its check cell."""
    return sum(p.points for p in catalogue_module.load().of_stage(stage) if p.required)


def practices(stage: int) -> None:
    """The practices a stage's grader checks, from the catalogue: id, level, points, title, section."""
    rows = catalogue_module.load().of_stage(stage)
    text = "\n".join(f"{p.id:<22} {p.level:<11} {p.points} pt  {p.title}" for p in rows)
    body = "".join(
        f"<tr><td><code>{p.id}</code></td><td>{p.level}</td><td>{p.points}</td><td>{md_code(p.title)}</td>"
        f"<td><a href=\"#{_anchor(p)}\">{_anchor(p)}</a></td></tr>" for p in rows)
    required = required_points(stage)
    page = ("<table><thead><tr><th>practice</th><th>level</th><th>points</th><th>passes when…</th>"
            f"<th>section</th></tr></thead><tbody>{body}</tbody></table>"
            f"<p>Required practices of this stage: {required} points (they decide the check cell's result); "
            "recommended ones are reported and scored but do not fail it.</p>")
    show(text + f"\nrequired points: {required}", page)


def hints(stage: int) -> None:
    """One folded hint per practice of the stage: why it matters and a nudge (level 1, the
    catalogue's `fix`); inside it, folded again, the second level (`more`)."""
    blocks, lines = [], []
    for p in catalogue_module.load().of_stage(stage):
        head = f"{p.id} ({p.level}, {p.points} pt): {p.title}"
        lines += [head, f"    why:   {p.why}", f"    nudge: {p.fix}"]
        if p.more:
            lines.append(f"    still stuck? course.more_hint({p.id!r}) shows a second hint")
        lines.append("")
        second = (f"<details style=\"margin: 0.3em 0 0.3em 1.2em\"><summary>Still stuck? A second hint "
                  f"(the idea, and where to read about it)</summary><p>{md_code(p.more)}</p></details>"
                  if p.more else "")
        blocks.append(
            f"<details style=\"margin-bottom: 0.4em\"><summary><b><code>{p.id}</code></b> "
            f"({p.level}, {p.points} pt): {md_code(p.title)}</summary>"
            f"<p><b>Why:</b> {md_code(p.why)}</p><p><b>Nudge:</b> {md_code(p.fix)}</p>{second}"
            f"<p>Back to the section: <a href=\"#{_anchor(p)}\">{_anchor(p)}</a></p></details>")
    show("\n".join(lines).rstrip(), "".join(blocks))


def more_hint(practice_id: str) -> None:
    """The second-level hint of one practice (the catalogue's `more`), on demand."""
    p = catalogue_module.load().practice(practice_id)
    text = p.more or "(no second hint in the catalogue for this practice)"
    show(f"{p.id}, second hint: {text}", f"<p><b><code>{p.id}</code>, second hint:</b> {md_code(text)}</p>")
