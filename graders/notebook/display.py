"""Showing things in a notebook cell, or in a terminal when the same code runs there.

Text goes out with an HTML rendering beside it (a display output, never a stream to stderr:
nbgrader scores a cell that writes to stderr zero); rich renderables are recorded, then shown
as one output. Long work runs in a worker thread while the notebook's own thread updates one
line in place (an IPython display with a display_id; no ipywidgets needed); in a terminal the
same calls print one line per step.
"""

from __future__ import annotations

import concurrent.futures
import html
import io
import time
from typing import Any, Callable

_RICH_HTML = ('<pre style="white-space: pre-wrap; line-height: 1.25; font-family: Menlo, Consolas, '
              '\'DejaVu Sans Mono\', monospace; font-size: 0.85em">{code}</pre>')


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, nbclient), False in a terminal or plain script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(text: str, html_text: str | None = None) -> None:
    """Show text (and an HTML rendering of it, in a notebook). Never writes to stderr."""
    if in_notebook():
        from IPython.display import display

        bundle = {"text/plain": text}
        if html_text is not None:
            bundle["text/html"] = html_text
        display(bundle, raw=True)
    else:
        print(text, flush=True)


def md_code(text: str) -> str:
    """`code` spans of the catalogue's texts as HTML <code>, everything else escaped."""
    parts = text.split("`")
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def _console(record: bool = False):
    from rich.console import Console

    if record:
        # Not rich's own Jupyter mode (it would display every print separately, ANSI codes and all):
        # record to a buffer, then show the text and HTML exports as one output.
        return Console(record=True, file=io.StringIO(), width=110, highlight=False, force_jupyter=False,
                       force_terminal=True, color_system="truecolor")
    return Console(highlight=False, width=None if in_notebook() else 110)


def show_rendered(draw: Callable[[Any], None]) -> None:
    """What `draw(console)` prints on a rich Console: as HTML in a notebook (display_data, not a
    stream), else to stdout."""
    if in_notebook():
        console = _console(record=True)
        draw(console)
        show(console.export_text(clear=False), console.export_html(inline_styles=True, code_format=_RICH_HTML))
    else:
        draw(_console())


def show_rich(renderable) -> None:
    """Print a rich renderable (a Table...) as `show_rendered` does."""
    show_rendered(lambda console: console.print(renderable))


class _Live:
    """One status line updated in place (notebook), or one printed line per new step (terminal)."""

    def __init__(self, text: str) -> None:
        self._handle = None
        self._step_printed: str | None = None
        if in_notebook():
            from IPython.display import display

            self._handle = display(self._bundle(text), raw=True, display_id=True)
        else:
            print(text, flush=True)

    @staticmethod
    def _bundle(text: str) -> dict[str, str]:
        return {"text/plain": text, "text/html": f"<pre style=\"margin: 0\">{html.escape(text)}</pre>"}

    def update(self, text: str, step: str | None = None) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(text), raw=True)
        elif step and step != self._step_printed:
            self._step_printed = step
            print(f"  … {step}", flush=True)

    def finish(self, text: str) -> None:
        if self._handle is not None:
            self._handle.update(self._bundle(text), raw=True)
        else:
            print(text, flush=True)


def with_progress(title: str, work: Callable[[Callable[[str], None]], Any],
                  done: Callable[[Any, float], str]) -> Any:
    """Run `work(on_step)` in a worker thread, showing the latest step and the elapsed time.

    `done(result, seconds)` gives the final line. An exception in `work` is re-raised here."""
    latest = {"step": "starting"}

    def on_step(text: str) -> None:
        latest["step"] = " ".join(text.split())[:110]

    live = _Live(f"⏳ {title}")
    started = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="course")
    future = pool.submit(work, on_step)
    try:
        while True:
            try:
                result = future.result(timeout=0.5)
                break
            except concurrent.futures.TimeoutError:
                elapsed = time.monotonic() - started
                live.update(f"⏳ {title} ({elapsed:.0f} s)\n   {latest['step']}", latest["step"])
    except KeyboardInterrupt:
        live.finish(f"✘ {title}: interrupted. The work goes on in the background until it ends; "
                    "`.venv/bin/python -m graders cleanup` removes anything it leaves.")
        pool.shutdown(wait=False)
        raise
    except Exception as exc:
        live.finish(f"✘ {title}: {type(exc).__name__}: {exc}")
        pool.shutdown(wait=False)
        raise
    pool.shutdown(wait=False)
    live.finish(done(result, time.monotonic() - started))
    return result


def mb(n: int | float | None) -> str:
    """A size in decimal units, as `docker images` shows them (kB below 1 MB)."""
    if n is None:
        return "?"
    if n < 1e6:
        return f"{n / 1e3:.1f} kB" if n else "0 B"
    return f"{n / 1e6:.1f} MB"
