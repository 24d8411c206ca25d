"""Pictures drawn from what a notebook just measured (matplotlib): an image's layers by size,
where the sentinel secret sits in the layers of several images, which tags a registry held after
each run of a build script, when lines reached `docker logs`, and which layers two builds share."""

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
        _label(px, "bytes of files in the layer (MB), by distribution or directory",
               f"inside the `{contents_of}` layer: {mb(sum(contents.values()))}")
    fig.tight_layout()
    return _finish(fig, save)


def _label(ax, xlabel: str, title: str) -> None:
    """The pictures' one style for an axes: its x label, a left-aligned title, no top/right frame."""
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)


def _cell_label(layer: Layer) -> str:
    import textwrap

    words = short_step(layer.created_by, 40)
    words = re.sub(r"^(EXPOSE) map\[(\d+)/tcp:\{\}\]", r"\1 \2", words)
    words = re.sub(r'^CMD \["(\w+)".*', r"CMD [\1 …]", words)
    return "\n".join(textwrap.wrap(words, 13, max_lines=3, placeholder="…")) + f"\n{mb(layer.size)}"


def plot_secrets(scans: dict[str, tuple[Built, list[layers.Hit]]], uids: dict[str, int | None] | None = None,
                 save: str | Path | None = None, unlabelled: tuple[str, ...] = ()):
    """One row per image, one cell per layer its Dockerfile added on top of the base (in build
    order): red where the sentinel secret or a credential file is in the layer's files, orange
    where it is in the layer's history entry; and, at the end of the row, the UID of PID 1.
    The rows named in `unlabelled` show each layer's number and size, not its instruction (a
    solution's Dockerfile, before the learner's attempt)."""
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
            text = f"layer {j + 1}\n{mb(layer.size)}" if label in unlabelled else _cell_label(layer)
            ax.text(j + 0.47, y, text, ha="center", va="center", fontsize=6.5,
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


def _digest_colours(digests: list[str]) -> dict[str, str]:
    """One colour per image digest, in order of first appearance."""
    palette = ["#2f7ed8", "#e67e22", "#8e44ad", "#16a085", "#c0392b", "#7f8c8d", "#d35400", "#27ae60"]
    order = list(dict.fromkeys(digests))
    return {digest: palette[i % len(palette)] for i, digest in enumerate(order)}


def plot_tag_history(demos: dict[str, list], save: str | Path | None = None):
    """For each build script (label -> its ScriptRuns, in order): one column per run, one row per tag
    the registry held; a cell is coloured by the image digest the tag pointed at after that run
    (same colour, same image), outlined where that run pushed or moved it; blank where the tag did
    not exist yet."""
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    panels = []
    for label, runs in demos.items():
        tags = sorted(dict.fromkeys(tag for run in runs for tag in run.registry), key=lambda t: t != "latest")
        commits = {run.commit: run.branch for run in runs}
        rows = [(tag, next((f"{tag} (commit on {branch})" for commit, branch in commits.items()
                            if len(tag) >= 7 and commit.startswith(tag)), tag)) for tag in tags]
        panels.append((label, runs, rows, _digest_colours([d for run in runs for d in run.registry.values()])))
    heights = [max(len(rows), 1) + 1.6 for _l, _r, rows, _c in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 0.42 * sum(heights) + 0.6),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (label, runs, rows, colours) in zip((a[0] for a in axes), panels):
        for x, run in enumerate(runs):
            for y, (tag, _name) in enumerate(rows):
                digest = run.registry.get(tag)
                top = len(rows) - 1 - y
                if digest is None:
                    ax.add_patch(Rectangle((x, top - 0.4), 0.94, 0.8, color="#f2f4f5"))
                    continue
                pushed = tag in run.pushed
                ax.add_patch(Rectangle((x, top - 0.4), 0.94, 0.8, facecolor=colours[digest],
                                       edgecolor="black" if pushed else "none", linewidth=2 if pushed else 0))
                ax.text(x + 0.47, top, ("pushed " if pushed else "") + digest[7:14], ha="center", va="center",
                        fontsize=7.5, color="white", family="monospace")
        ax.set_xlim(-0.05, len(runs))
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_yticks(range(len(rows)), [name for _tag, name in reversed(rows)], fontsize=8.5, family="monospace")
        ax.set_xticks([x + 0.47 for x in range(len(runs))],
                      [f"{run.branch}\n{run.short[:7]}, exit {run.returncode}" for run in runs], fontsize=8)
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        images = len(colours)
        ax.set_title(f"{label}: {len(rows)} tag(s), {images} distinct image(s) in the registry after {len(runs)} runs",
                     fontsize=10, loc="left", pad=28)
    fig.suptitle("Tags in the registry after each run of build.sh (a colour is one image digest; outlined: pushed or "
                 "moved by that run)", fontsize=10, x=0.01, ha="left")
    fig.tight_layout()
    return _finish(fig, save)


def plot_log_arrivals(watched: dict, highlight: str, seconds: float, save: str | Path | None = None):
    """One row per container (label -> log_watch.Watched): a tick where each log line first
    appeared, in seconds since its `docker run`; the line containing `highlight` marked and timed,
    or said never to have arrived; the `docker stop` / `docker kill` of a container marked where it
    happened."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 0.9 * len(watched) + 1.6))
    for i, (label, seen) in enumerate(watched.items()):
        y = len(watched) - 1 - i
        others = [a.seconds for a in seen.arrivals if highlight not in a.line]
        ax.scatter(others, [y] * len(others), marker="|", s=220, color="#9aa5b1", zorder=2)
        when = seen.first(highlight)
        if when is None:
            ax.text(seconds, y + 0.22, "the app's line never arrived", ha="right", fontsize=8.5, color="#c0392b")
        else:
            ax.scatter([when], [y], marker="o", s=90, color="#1e8449", zorder=3)
            ax.text(when, y + 0.22, f"the app's line: {when:.1f} s", ha="center", fontsize=8.5, color="#1e8449")
        for at, what in seen.events:
            ax.plot([at, at], [y - 0.35, y + 0.35], color="#c0392b", linewidth=2)
            ax.text(at, y - 0.42, what, ha="center", va="top", fontsize=8, color="#c0392b")
    ax.set_yticks(range(len(watched)), list(reversed(watched)), fontsize=9)
    ax.set_ylim(-0.8, len(watched) - 0.4)
    ax.set_xlim(0, seconds * 1.02)
    _label(ax, "seconds since `docker run` (each grey tick: a line of gunicorn's own, on stderr)",
           f"When the app's start-up line (`…{highlight}…`, printed on stdout) reached `docker logs`")
    fig.tight_layout()
    return _finish(fig, save)


def plot_layer_reuse(pairs: dict, base_layers: int, save: str | Path | None = None):
    """For each pair of pushed images (label -> (first, second) layer_reuse.PushedImage), one row per
    image, one cell per layer in build order: grey the base image's, blue the first build's own,
    and for the second build green where it shares the first's layer (and all below), orange where
    the bytes are new. Each panel says how much a host holding the first image downloads for the second."""
    import textwrap

    from matplotlib.patches import Patch, Rectangle

    from .layer_reuse import new_bytes, shared_layers

    plt = _pyplot()
    width = max(len(image.diff_ids) for pair in pairs.values() for image in pair)
    fig, axes = plt.subplots(len(pairs), 1, figsize=(min(2.5 + 1.35 * width, 15), 2.6 * len(pairs) + 0.8), squeeze=False)
    colours = {"base": "#9aa5b1", "first": "#2f7ed8", "reused": "#1e8449", "new": "#e67e22"}
    for ax, (label, (first, second)) in zip((a[0] for a in axes), pairs.items()):
        shared = shared_layers(first, second)
        for row, image in enumerate((first, second)):
            y = 1 - row
            for j, (step, size) in enumerate(zip(image.steps, image.sizes)):
                kind = "base" if j < base_layers else "first" if row == 0 else "reused" if j < shared else "new"
                ax.add_patch(Rectangle((j, y - 0.42), 0.94, 0.84, color=colours[kind]))
                text = "\n".join(textwrap.wrap(step, 16, max_lines=3, placeholder="…"))
                ax.text(j + 0.47, y, f"{text}\n{mb(size)}", ha="center", va="center", fontsize=6.5,
                        color="white", family="monospace")
        ax.set_xlim(-0.05, width)
        ax.set_ylim(-0.6, 1.6)
        ax.set_yticks([1, 0], [first.label, second.label], fontsize=9)
        ax.set_xticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(f"{label}: the second build shares {shared} of {len(second.diff_ids)} layers; a host holding "
                     f"the first downloads {mb(new_bytes(first, second))} of {mb(second.total)} (compressed)",
                     fontsize=10, loc="left")
    axes[-1][0].legend(handles=[Patch(color=colours[k], label=t) for k, t in (
        ("base", "base image"), ("first", "first build's own layer"), ("reused", "same bytes as the first build"),
        ("new", "new bytes"))], loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=4, fontsize=8, frameon=False)
    fig.tight_layout()
    return _finish(fig, save)
