"""Pictures drawn from what a notebook just measured (matplotlib): an image's layers by size,
and where the sentinel secret sits in the layers of several images."""

from __future__ import annotations

import re
from pathlib import Path

from .. import layers
from .built import Built, Layer, short_step
from .display import in_notebook, mb

SECRET_COLOURS = {"file": "#c0392b", "history": "#e67e22", "clean": "#9aa5b1", "empty": "#e5e8eb"}


def _pyplot():
    import logging

    # A first import on a fresh machine logs "Matplotlib is building the font cache" to stderr:
    # red noise in a learner's notebook (and a zero under nbgrader if it lands in a graded cell).
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib

    if not in_notebook():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, save: str | Path | None):
    if save:
        fig.savefig(save, dpi=110, bbox_inches="tight")
    if in_notebook():
        _pyplot().show()
    return fig


def plot_layers(built: Built, contents: dict[str, int] | None = None, contents_of: str = "",
                save: str | Path | None = None):
    """The image's layers by size, oldest at the top: the base image's (grey) vs this Dockerfile's
    own (blue). With `contents` (Lab.layer_contents), a second panel: what one layer holds."""
    plt = _pyplot()
    rows = built.layers()
    panels = 2 if contents else 1
    fig, axes = plt.subplots(1, panels, figsize=(12 if contents else 9.5, max(0.55 * len(rows), 0.32 * len(contents or {})) + 1.8),
                             gridspec_kw={"width_ratios": [3, 2] if contents else [1]}, squeeze=False)
    ax = axes[0][0]
    ys = list(range(len(rows)))[::-1]
    colours = ["#9aa5b1" if r.base else "#2f7ed8" for r in rows]
    sizes = [r.size / 1e6 for r in rows]
    ax.barh(ys, sizes, color=colours)
    biggest = max(sizes) if sizes else 1
    for y, r, size in zip(ys, rows, sizes):
        label = mb(r.size) if r.size else "0 B (no files changed)"
        inside = size > biggest * 0.45
        ax.text(size - biggest * 0.01 if inside else size + biggest * 0.01, y, label, va="center",
                ha="right" if inside else "left", color="white" if inside else "black", fontsize=9)
    ax.set_yticks(ys, [r.step for r in rows], fontsize=9, family="monospace")
    ax.set_xlim(0, biggest * 1.3)
    ax.set_xlabel("layer size (MB, uncompressed, from docker history)")
    base = sum(r.size for r in rows if r.base)
    own = sum(r.size for r in rows if not r.base)
    ax.set_title(f"{built.name}: {mb(built.size)} = base {mb(base)} (grey) + its own layers {mb(own)} (blue)",
                 fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if contents:
        px = axes[0][1]
        names = list(contents)
        values = [contents[n] / 1e6 for n in names]
        pys = list(range(len(names)))[::-1]
        px.barh(pys, values, color="#2f7ed8")
        top = max(values) if values else 1
        for y, n in zip(pys, names):
            px.text(contents[n] / 1e6 + top * 0.02, y, mb(contents[n]), va="center", fontsize=8)
        px.set_yticks(pys, names, fontsize=9, family="monospace")
        px.set_xlim(0, top * 1.35)
        px.set_xlabel("bytes of files in the layer (MB), by distribution or directory")
        px.set_title(f"inside the `{contents_of}` layer: {mb(sum(contents.values()))}",
                     fontsize=10, loc="left")
        px.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _finish(fig, save)


def _cell_label(layer: Layer) -> str:
    import textwrap

    words = short_step(layer.created_by, 40)
    words = re.sub(r"^(EXPOSE) map\[(\d+)/tcp:\{\}\]", r"\1 \2", words)
    words = re.sub(r'^CMD \["(\w+)".*', r"CMD [\1 …]", words)
    return "\n".join(textwrap.wrap(words, 13, max_lines=3, placeholder="…")) + f"\n{mb(layer.size)}"


def plot_secrets(scans: dict[str, tuple[Built, list[layers.Hit]]], uids: dict[str, int | None] | None = None,
                 save: str | Path | None = None):
    """One row per image, one cell per layer its Dockerfile added on top of the base (in build
    order): red where the sentinel secret or a credential file is in the layer's files, orange
    where it is in the layer's history entry; and, at the end of the row, the UID of PID 1."""
    from matplotlib.patches import Patch, Rectangle

    plt = _pyplot()
    uids = uids or {}
    rows = []
    for label, (built, hits) in scans.items():
        own = [l for l in built.layers() if not l.base]
        in_files = {h.created_by for h in hits if h.where == "layer"}
        in_history = {h.created_by for h in hits if h.where == "history"}
        in_config = any(h.where == "config" for h in hits)
        rows.append((label, own, in_files, in_history, in_config, len(hits)))
    width = max(len(r[1]) for r in rows) + (1.6 if uids else 0)
    fig, ax = plt.subplots(figsize=(min(2 + width * 1.05, 15), 1.25 * len(rows) + 1.6))
    for i, (label, own, in_files, in_history, in_config, count) in enumerate(rows):
        y = len(rows) - 1 - i
        for j, layer in enumerate(own):
            kind = ("file" if layer.created_by in in_files else "history" if layer.created_by in in_history
                    else "clean" if layer.size else "empty")
            ax.add_patch(Rectangle((j, y - 0.42), 0.94, 0.84, color=SECRET_COLOURS[kind]))
            ax.text(j + 0.47, y, _cell_label(layer), ha="center", va="center", fontsize=6.5,
                    color="white" if kind in ("file", "history") else "black", family="monospace")
        if label in uids:
            uid = uids[label]
            colour = "#c0392b" if uid == 0 else "#1e8449"
            ax.text(width - 0.75, y, f"UID {uid}" + ("\n(root)" if uid == 0 else ""), ha="center", va="center",
                    fontsize=10, fontweight="bold", color=colour,
                    bbox={"boxstyle": "round", "fc": "white", "ec": colour})
    ax.set_yticks(range(len(rows)),
                  [f"{r[0]}\n{r[5]} finding(s)" + ("\n+ in the config" if r[4] else "") for r in reversed(rows)],
                  fontsize=9)
    ax.set_xticks([])
    ax.set_xlim(-0.1, width)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if uids:
        ax.text(width - 0.75, len(rows) - 0.45, "PID 1", ha="center", va="bottom", fontsize=9)
    ax.set_title("Layers each Dockerfile adds on top of the base image, in build order; where `docker save` "
                 "shows the sentinel secret", fontsize=10, loc="left")
    ax.legend(handles=[Patch(color=SECRET_COLOURS["file"], label="secret / credential file in the layer's files"),
                       Patch(color=SECRET_COLOURS["history"], label="secret in the layer's history entry"),
                       Patch(color=SECRET_COLOURS["clean"], label="files, no secret"),
                       Patch(color=SECRET_COLOURS["empty"], label="0 B: no files changed")],
              loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return _finish(fig, save)
