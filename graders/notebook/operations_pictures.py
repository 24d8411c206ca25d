"""Notebook 05's pictures, drawn from what it just measured (matplotlib, the style of pictures.py):
how long `docker stop` took per setup, a HEALTHCHECK's states over time, and the seconds from
`docker run` to the first 200."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .pictures import _finish, _label, _pyplot

STATUS_COLOURS = {"starting": "#f0b429", "healthy": "#1e8449", "unhealthy": "#c0392b", "(none)": "#9aa5b1"}


def plot_stop_times(stopped: dict, limit: float, grace: float, save: str | Path | None = None):
    """One bar per container (label -> stop_timing.Stopped): how long `docker stop` took, green when
    it returned within `limit` with the server's own shutdown logged, orange when fast but the
    server never logged it, red when the grace period ran out; PID 1 and the exit code beside it."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 1.25 * len(stopped) + 1.6))
    boxed = {"facecolor": "white", "edgecolor": "none", "pad": 0.5}
    for i, (label, result) in enumerate(stopped.items()):
        y = len(stopped) - 1 - i
        clean = result.logged("Shutting down")
        colour = "#c0392b" if result.seconds > limit else "#1e8449" if clean else "#e67e22"
        ax.barh(y, result.seconds, color=colour, height=0.6)
        x = result.seconds + 0.2
        ax.text(x, y + 0.2, f"{result.seconds:.1f} s, exit code {result.exit_code}"
                + (f" ({result.meaning})" if result.meaning else ""), va="center", fontsize=8.5, bbox=boxed)
        ax.text(x, y - 0.02, "the server logged its shutdown" if clean else "no shutdown line from the server",
                va="center", fontsize=8.5, color="#1e8449" if clean else "#c0392b", bbox=boxed)
        ax.text(x, y - 0.26, "PID 1: " + textwrap.shorten(result.pid1, 60), va="center",
                fontsize=7.5, color="#555", family="monospace", bbox=boxed)
    for x, words in ((limit, f"the grader's limit: {limit:.0f} s"), (grace, f"grace period: {grace:.0f} s, then SIGKILL")):
        ax.axvline(x, color="#555", linestyle="--", linewidth=1, zorder=0)
        ax.text(x, len(stopped) - 0.45, words, ha="center", fontsize=8, color="#555", bbox=boxed)
    ax.set_yticks(range(len(stopped)), list(reversed(stopped)), fontsize=9)
    ax.set_ylim(-0.6, len(stopped) - 0.2)
    ax.set_xlim(0, grace * 2.1)
    _label(ax, "seconds until `docker stop` returned", f"`docker stop` on {len(stopped)} containers of the same app, stopped side by side")
    fig.tight_layout()
    return _finish(fig, save)


def plot_health(timelines: dict, seconds: float, started_at: float | None = None, save: str | Path | None = None):
    """One row per container (label -> health_watch.Timeline): its health status over time, in
    seconds since its `docker run`; `started_at` marks when the toy server began to listen."""
    from matplotlib.patches import Patch

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 0.95 * len(timelines) + 1.8))
    for i, (label, timeline) in enumerate(timelines.items()):
        y = len(timelines) - 1 - i
        changes = timeline.changes
        for j, change in enumerate(changes):
            end = changes[j + 1].seconds if j + 1 < len(changes) else seconds
            left = 0.0 if j == 0 else change.seconds   # the status is `starting` from `docker run` on
            ax.barh(y, end - left, left=left, color=STATUS_COLOURS.get(change.status, "#9aa5b1"),
                    height=0.5)
            if j and change.status != "starting":
                ax.text(min(change.seconds + 0.1, seconds * 0.86), y + 0.33, f"{change.status} at {change.seconds:.1f} s",
                        fontsize=8)
        last = timeline.last
        if last is not None and last.status == "unhealthy" and last.output:
            ax.text(0.1, y - 0.4, "probe said: " + textwrap.shorten(last.output, 80), fontsize=7.5, color="#c0392b",
                    family="monospace")
    if started_at is not None:
        ax.axvline(started_at, color="#555", linestyle=":", linewidth=1)
        ax.text(started_at, len(timelines) - 0.3, "the toy server listens", ha="center", fontsize=8, color="#555")
    ax.set_yticks(range(len(timelines)), list(reversed(timelines)), fontsize=9)
    ax.set_ylim(-0.7, len(timelines) - 0.1)
    ax.set_xlim(0, seconds)
    ax.legend(handles=[Patch(color=STATUS_COLOURS[s], label=s) for s in ("starting", "healthy", "unhealthy")],
              loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=8, frameon=False)
    _label(ax, "seconds since `docker run`", "State.Health.Status of three toy containers, read every 0.25 s")
    fig.tight_layout()
    return _finish(fig, save)


def plot_startup(results: dict[str, list[float]], limit: float, save: str | Path | None = None):
    """One row per setup (label -> seconds of each run): every run as a dot, the median as a bar,
    and the grader's limit as a line."""
    import statistics

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 0.9 * len(results) + 1.6))
    top = max(max(v) for v in results.values())
    for i, (label, values) in enumerate(results.items()):
        y = len(results) - 1 - i
        middle = statistics.median(values)
        ax.barh(y, middle, color="#2f7ed8", height=0.5, alpha=0.35)
        ax.scatter(values, [y] * len(values), color="#2f7ed8", zorder=3, s=25)
        ax.text(middle, y + 0.36, f"median {middle:.2f} s", ha="center", va="center", fontsize=8.5)
    if limit <= top * 3:
        ax.axvline(limit, color="#555", linestyle="--", linewidth=1)
        ax.text(limit, len(results) - 0.45, f"the grader's limit: {limit:.0f} s", ha="center", fontsize=8, color="#555")
    ax.set_yticks(range(len(results)), list(reversed(results)), fontsize=9)
    ax.set_ylim(-0.6, len(results) - 0.2)
    ax.set_xlim(0, max(top * 1.35, min(limit * 1.08, top * 3)))
    _label(ax, "seconds from `docker run` to the first 200 on GET /healthz, polled every 0.25 s (each dot: one container)",
           "Start-up time, one container at a time")
    fig.tight_layout()
    return _finish(fig, save)
