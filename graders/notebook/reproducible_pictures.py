"""Notebook 06's pictures, drawn from what it just measured (matplotlib): the versions each build
or lock holds, package by package, and what a final image's install layer holds, runtime
dependencies against test tools."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .display import mb
from .pictures import _finish, _label, _pyplot

SAME, DIFFERENT, MISSING, DEV, RUNTIME = "#d5dbe1", "#f39c12", "#ffffff", "#c0392b", "#2f7ed8"


def plot_versions(sets: Mapping[str, Mapping[str, str]], names: list[str] | None = None, title: str = "",
                  save: str | Path | None = None):
    """One row per package, one column per build (or lock): the version it holds; orange where the
    columns disagree, grey where they agree, blank where the package is absent."""
    from matplotlib.patches import Rectangle

    plt = _pyplot()
    columns = list(sets)
    names = names or sorted(set().union(*[set(s) for s in sets.values()]))
    fig, ax = plt.subplots(figsize=(2.2 + 2.1 * len(columns), 0.36 * len(names) + 1.5))
    for i, name in enumerate(names):
        y = len(names) - 1 - i
        versions = [sets[c].get(name) for c in columns]
        differ = len({v for v in versions}) > 1
        for j, version in enumerate(versions):
            colour = MISSING if version is None else DIFFERENT if differ else SAME
            ax.add_patch(Rectangle((j, y - 0.45), 0.96, 0.9, facecolor=colour, edgecolor="#9aa5b1", linewidth=0.5))
            ax.text(j + 0.48, y, version or "—", ha="center", va="center", fontsize=8.5, family="monospace")
    ax.set_yticks(range(len(names)), list(reversed(names)), fontsize=9, family="monospace")
    ax.set_xticks([j + 0.48 for j in range(len(columns))], columns, fontsize=9)
    ax.xaxis.tick_top()
    ax.set_xlim(0, len(columns))
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    changed = sum(1 for n in names if len({sets[c].get(n) for c in columns}) > 1)
    ax.set_title(title or f"{changed} of {len(names)} packages differ (orange)", fontsize=10, loc="left", pad=28)
    fig.tight_layout()
    return _finish(fig, save)


def plot_install_layers(contents: Mapping[str, Mapping[str, int]], dev: set[str], save: str | Path | None = None):
    """One bar per image: the bytes of files in its dependency-install layer, by distribution,
    test and dev tools (`dev`) in red, everything else in blue; the total beside each bar."""
    plt = _pyplot()
    labels = list(contents)
    fig, ax = plt.subplots(figsize=(10, 1.0 * len(labels) + 1.6))
    biggest = max((sum(c.values()) for c in contents.values()), default=1) or 1
    for i, label in enumerate(labels):
        y = len(labels) - 1 - i
        groups = sorted(contents[label].items(), key=lambda kv: (kv[0] in dev, -kv[1]))
        left = 0.0
        for name, size in groups:
            colour = DEV if name in dev else RUNTIME
            ax.barh(y, size / 1e6, left=left / 1e6, color=colour, edgecolor="white", linewidth=0.6, height=0.6)
            if size > biggest * 0.05:
                ax.text((left + size / 2) / 1e6, y, name, ha="center", va="center", fontsize=7.5, color="white",
                        rotation=0 if size > biggest * 0.1 else 90)
            left += size
        dev_bytes = sum(s for n, s in contents[label].items() if n in dev)
        ax.text(left / 1e6 + biggest * 0.01 / 1e6, y, f"{mb(left)}" + (f"  ({mb(dev_bytes)} test tools)" if dev_bytes else ""),
                va="center", fontsize=9)
    ax.set_yticks(range(len(labels)), list(reversed(labels)), fontsize=9)
    ax.set_xlim(0, biggest * 1.35 / 1e6)
    _label(ax, "bytes of files in the install layer (MB, uncompressed), by distribution",
           "What each image's dependency install added: runtime (blue), test tools (red)")
    fig.tight_layout()
    return _finish(fig, save)
