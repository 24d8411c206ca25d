"""Stage 7's pictures, drawn from what the notebook just measured (matplotlib): where each build's
time went, step by step; each solution's image size against the base image and the size budget;
and which practices each solution passes when graded at stage 7."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .built import Built
from .display import mb
from .pictures import _finish, _pyplot
from .variant_builds import step_times

STATUS_COLOURS = {"pass": "#1e8449", "fail": "#c0392b", "error": "#e67e22", "skip": "#d5d8dc"}


def _short(step: str, width: int = 28) -> str:
    text = step.split("] ", 1)[-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_build_steps(rows: dict[str, Built], highlight: str = "pip install", title: str = "",
                     notes: dict[str, str] | None = None, save: str | Path | None = None):
    """One bar per build (label -> Built): the seconds of each step that ran, the steps whose
    name contains `highlight` in orange, the others blue, and BuildKit's own work (reading the
    context, exporting the image) in grey; beside it, the total, how many steps came from the cache,
    and `notes[label]` if given."""
    plt = _pyplot()
    labels = list(rows)
    fig, ax = plt.subplots(figsize=(11, 0.62 * len(labels) + 1.7))
    longest = max(b.result.seconds for b in rows.values()) or 1
    for i, label in enumerate(labels):
        built = rows[label]
        y = len(labels) - 1 - i
        steps = step_times(built.result)
        left = 0.0
        for step in steps:
            if step.cached or not step.seconds:
                continue
            colour = "#e67e22" if highlight in step.name else "#2f7ed8"
            ax.barh(y, step.seconds, left=left, color=colour, edgecolor="white", height=0.6)
            if step.seconds > longest * 0.12:
                ax.text(left + step.seconds / 2, y, _short(step.name, int(step.seconds / longest * 60)),
                        ha="center", va="center", fontsize=7.5, color="white", family="monospace")
            left += step.seconds
        own = max(built.result.seconds - left, 0)
        ax.barh(y, own, left=left, color="#c8ced3", height=0.6)
        cached = sum(s.cached for s in steps)
        install = [s for s in steps if highlight in s.name]
        said = ("the install came from the cache" if install and all(s.cached for s in install) else
                "the install ran" if install else "")
        ax.text(built.result.seconds + longest * 0.01, y,
                f"{built.result.seconds:.1f} s; {cached} of {len(steps)} steps from the cache"
                + (f"; {said}" if said else "") + (f"; {notes[label]}" if notes and label in notes else ""),
                va="center", fontsize=8.5)
    ax.set_yticks(range(len(labels)), list(reversed(labels)), fontsize=9)
    ax.set_xlim(0, longest * (2.1 if notes else 1.75))
    ax.set_xlabel("seconds (measured on this machine: each step as BuildKit timed it)")
    ax.set_title(title or "Where each build's time went", fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="#e67e22", label=f"a step running `{highlight}`"),
                       Patch(color="#2f7ed8", label="another step that ran"),
                       Patch(color="#c8ced3", label="BuildKit's own work: context, cache checks, export")],
              loc="upper center", bbox_to_anchor=(0.5, -0.16 - 0.4 / max(len(labels), 1)), ncol=3, fontsize=8,
              frameon=False)
    fig.tight_layout()
    return _finish(fig, save)


def plot_solution_sizes(images: dict[str, Built], budget_mb: float, save: str | Path | None = None):
    """One bar per image (label -> Built): the base image's bytes (grey) and what its Dockerfile
    added (blue, or red over the budget), uncompressed, as `docker image inspect` reports them;
    a dashed line at the base plus the budget."""
    plt = _pyplot()
    labels = list(images)
    fig, ax = plt.subplots(figsize=(min(2.2 + 1.25 * len(labels), 12), 4.6))
    base_bytes = max((b.base_image.attrs.get("Size") or 0) for b in images.values() if b.base_image is not None)
    limit = base_bytes + budget_mb * 1e6
    for x, label in enumerate(labels):
        built = images[label]
        base = (built.base_image.attrs.get("Size") or 0) if built.base_image is not None else 0
        own = built.size - base
        ax.bar(x, base / 1e6, color="#9aa5b1", width=0.62)
        ax.bar(x, own / 1e6, bottom=base / 1e6, color="#c0392b" if built.size > limit else "#2f7ed8", width=0.62)
        ax.text(x, built.size / 1e6 + 4, f"{mb(built.size)}\n+{mb(own)}", ha="center", va="bottom", fontsize=8)
    ax.axhline(limit / 1e6, color="#c0392b", linestyle="--", linewidth=1)
    ax.text(len(labels) - 0.5, limit / 1e6, f"  budget: base + {budget_mb:.0f} MB", va="bottom", ha="right",
            fontsize=8, color="#c0392b")
    ax.set_xticks(range(len(labels)), ["\n".join(textwrap.wrap(l, 14)) for l in labels], fontsize=9)
    top = max(b.size for b in images.values()) / 1e6
    ax.set_ylim(0, max(top, limit / 1e6) * 1.22)
    ax.set_ylabel("MB (10⁶ bytes), uncompressed")
    ax.set_title(f"Image size = base image {mb(base_bytes)} (grey) + what the Dockerfile added (blue; red: over "
                 "the budget), as `docker image inspect` reports .Size", fontsize=9.5, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _finish(fig, save)


def plot_scorecard(statuses: dict[str, dict[str, str]], practices, save: str | Path | None = None):
    """One column per graded workspace (label -> practice id -> status), one row per practice of
    the catalogue in stage order (`practices`: catalogue entries); a cell coloured by the status,
    a stage's rows grouped, required practices in bold."""
    from matplotlib.patches import Patch, Rectangle

    plt = _pyplot()
    columns = list(statuses)
    rows = list(practices)
    fig, ax = plt.subplots(figsize=(3.2 + 1.0 * len(columns), 0.27 * len(rows) + 1.9))
    for x, column in enumerate(columns):
        for i, practice in enumerate(rows):
            y = len(rows) - 1 - i
            status = statuses[column].get(practice.id, "skip")
            ax.add_patch(Rectangle((x, y - 0.42), 0.92, 0.84, color=STATUS_COLOURS.get(status, "#d5d8dc")))
            if status != "pass":
                ax.text(x + 0.46, y, status, ha="center", va="center", fontsize=6.5, color="white")
    previous = None
    for i, practice in enumerate(rows):
        if previous is not None and practice.stage != previous:
            ax.axhline(len(rows) - i - 0.5, color="black", linewidth=0.8)
        previous = practice.stage
    ax.set_yticks(range(len(rows)), [f"{p.stage} · {p.id}" for p in reversed(rows)], fontsize=7.5, family="monospace")
    for tick, practice in zip(ax.get_yticklabels(), reversed(rows)):
        if practice.required:
            tick.set_fontweight("bold")
    ax.set_xticks([x + 0.46 for x in range(len(columns))], columns, fontsize=8.5)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlim(-0.05, len(columns))
    ax.set_ylim(-0.6, len(rows) - 0.4)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.legend(handles=[Patch(color=c, label=s) for s, c in STATUS_COLOURS.items()], loc="upper center",
              bbox_to_anchor=(0.4, -0.005), ncol=4, fontsize=8, frameon=False)
    ax.set_title("Every practice of the course (stage · id; bold: required), graded on each solution",
                 fontsize=9.5, loc="left", pad=22)
    fig.tight_layout()
    return _finish(fig, save)
