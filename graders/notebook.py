"""What the course notebooks import (`from graders import notebook as course`).

The notebooks keep their code cells short; the plumbing lives here:

- `Lab`: a labelled grading `Session` for a notebook's demos. It builds real images with BuildKit
  (solution directories, or a Dockerfile laid over a temporary copy of the sample app; never
  `exercises/`), runs them, and removes everything it made in `close()`.
- `check(stage)`: the check cell. Grades `exercises/` (or `$DOCKERCOURSE_WORKSPACE`, relative to
  the course root) with the real graders and shows the report inline (display outputs and
  stdout, never stderr: nbgrader scores a cell that writes to stderr zero).
- `hints(stage)`, `practices(stage)`: hint and overview cells read from the catalogue
  (graders/practices.toml), never restated by hand.
- `setup_checks()` / `show_checks()`: notebook 00's look at the learner's machine.
- `plot_layers()`, `plot_secrets()`: pictures drawn from what was just measured.
- The course plan (`PLAN_MINUTES`), and readers of a notebook's objectives and time budget that
  the test suite shares.

Long operations (builds, grading) run in a worker thread while the notebook's own thread
updates one line in place (an IPython display with a display_id; no ipywidgets needed). In a
terminal the same calls print one line per step.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import docker.errors

from . import catalogue as catalogue_module
from . import engine, layers, lint, probes
from .build import BuildResult
from .build import build as buildkit_build
from .dockerfile import DockerfileError, parse
from .workspace import REPO_ROOT, SENTINEL, WorkspaceError, build_context, has_app  # SENTINEL: exercises/.env's fake secret

ROOT = REPO_ROOT
NOTEBOOKS = ROOT / "notebooks"
WORKSPACE_ENV = "DOCKERCOURSE_WORKSPACE"     # what the check cell grades, relative to ROOT
SESSION_ENV = "DOCKERCOURSE_NOTEBOOK_SESSION"  # the test suite fixes the Lab's session id with it
APP_PORT = 8000                              # the sample app's port (exercises/README.md)

# How the `runs-hardened` practice runs the image (graders/checks/stage2.py): read-only root
# file system, a small tmpfs /tmp, no capabilities, no privilege escalation.
HARDENED = {
    "read_only": True,
    "tmpfs": {"/tmp": "rw,nosuid,nodev,size=64m"},
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
}

# Linux capability numbers (capabilities(7), include/uapi/linux/capability.h), to name CapEff bits.
CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
)

# --- the course plan -----------------------------------------------------------------------------
# "A day and a half": 1.5 teaching days of 6 hours (breaks and lunch not counted).
COURSE_MINUTES = 540
# Minutes per notebook; the notebooks of stages 1-7 are named in practices.toml ([[stage]].notebook).
PLAN_MINUTES = {
    "00-setup": 15,
    "01-working": 75,
    "02-security": 90,
    "03-ci": 70,
    "04-debug": 55,
    "05-operations": 70,
    "06-reproducible": 70,
    "07-optimize": 75,
}
BUDGET_LINE = re.compile(r"\*\*Time budget:\*\*\s*(\d+)\s*min")
OBJECTIVES_HEADING = re.compile(r"^#\s*#+\s*Objectives\b", re.MULTILINE)


def notebook_budget(path: Path) -> int | None:
    """The minutes a notebook's text declares (`**Time budget:** N min`), None without one."""
    match = BUDGET_LINE.search(Path(path).read_text(encoding="utf-8"))
    return int(match.group(1)) if match else None


def notebook_has_objectives(path: Path) -> bool:
    """Whether a py:percent notebook has an `## Objectives` heading in a markdown cell."""
    return bool(OBJECTIVES_HEADING.search(Path(path).read_text(encoding="utf-8")))


def planned_notebooks() -> list[tuple[str, str, int]]:
    """(notebook name, what it covers, planned minutes), in course order."""
    rows = [("00-setup", "Set-up: engine, BuildKit, base images, disk", PLAN_MINUTES["00-setup"])]
    for stage in catalogue_module.load().stages:
        name = Path(stage.notebook).stem
        rows.append((name, f"Stage {stage.number}: {stage.title}", PLAN_MINUTES[name]))
    return rows


# --- output: notebook or terminal ------------------------------------------------------------------


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, nbclient), False in a terminal or plain script."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(text: str, html_text: str | None = None) -> None:
    """Show text (and an HTML rendering of it, in a notebook). Never writes to stderr."""
    if in_notebook():
        from IPython.display import display

        bundle = {"text/plain": text}
        if html_text is not None:
            bundle["text/html"] = html_text
        display(bundle, raw=True)
    else:
        print(text, flush=True)


def _md_code(text: str) -> str:
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


def _rich(renderable) -> None:
    """Print a rich renderable: as HTML in a notebook (display_data, not a stream), else to stdout."""
    if in_notebook():
        console = _console(record=True)
        console.print(renderable)
        text = console.export_text(clear=False)
        page = console.export_html(inline_styles=True, code_format=_RICH_HTML)
        _show(text, page)
    else:
        _console().print(renderable)


_RICH_HTML = ('<pre style="white-space: pre-wrap; line-height: 1.25; font-family: Menlo, Consolas, '
              '\'DejaVu Sans Mono\', monospace; font-size: 0.85em">{code}</pre>')


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


def _with_progress(title: str, work: Callable[[Callable[[str], None]], Any],
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


# --- the catalogue in hint and overview cells ----------------------------------------------------------


def _anchor(practice) -> str:
    return practice.section.partition("#")[2]


def practices(stage: int) -> None:
    """The practices a stage's grader checks, from the catalogue: id, level, points, title, section."""
    rows = catalogue_module.load().of_stage(stage)
    text = "\n".join(f"{p.id:<22} {p.level:<11} {p.points} pt  {p.title}" for p in rows)
    body = "".join(
        f"<tr><td><code>{p.id}</code></td><td>{p.level}</td><td>{p.points}</td><td>{_md_code(p.title)}</td>"
        f"<td><a href=\"#{_anchor(p)}\">{_anchor(p)}</a></td></tr>" for p in rows)
    required = sum(p.points for p in rows if p.required)
    page = ("<table><thead><tr><th>practice</th><th>level</th><th>points</th><th>passes when…</th>"
            f"<th>section</th></tr></thead><tbody>{body}</tbody></table>"
            f"<p>Required practices of this stage: {required} points (they decide the check cell's result); "
            "recommended ones are reported and scored but do not fail it.</p>")
    _show(text + f"\nrequired points: {required}", page)


def hints(stage: int) -> None:
    """One folded hint per practice of the stage: why it matters, and a nudge (the catalogue's `fix`)."""
    blocks, lines = [], []
    for p in catalogue_module.load().of_stage(stage):
        head = f"{p.id} ({p.level}, {p.points} pt): {p.title}"
        lines += [head, f"    why:   {p.why}", f"    nudge: {p.fix}", ""]
        blocks.append(
            f"<details style=\"margin-bottom: 0.4em\"><summary><b><code>{p.id}</code></b> "
            f"({p.level}, {p.points} pt): {_md_code(p.title)}</summary>"
            f"<p><b>Why:</b> {_md_code(p.why)}</p><p><b>Nudge:</b> {_md_code(p.fix)}</p>"
            f"<p>Back to the section: <a href=\"#{_anchor(p)}\">{_anchor(p)}</a></p></details>")
    _show("\n".join(lines).rstrip(), "".join(blocks))


def required_points(stage: int) -> int:
    """The points of a stage's own required practices: the nbgrader points of its check cell."""
    return sum(p.points for p in catalogue_module.load().of_stage(stage) if p.required)


# --- the check cell ------------------------------------------------------------------------------------


def workspace_path() -> Path:
    """What the check cell grades: exercises/, or $DOCKERCOURSE_WORKSPACE (relative to the course root)."""
    chosen = os.environ.get(WORKSPACE_ENV) or "exercises"
    path = Path(chosen)
    return path if path.is_absolute() else ROOT / path


@dataclass
class NoReport:
    """What check() returns when grading could not start (no engine, no Dockerfile...)."""

    stage: int
    reason: str
    exit_code: int = 2


def check(stage: int):
    """Grade the workspace up to `stage` with the real graders; show the report; return it.

    Everything goes to stdout or to display outputs (nbgrader scores a cell that writes to
    stderr zero). The caller ends the cell with `assert report.exit_code == 0, ...`."""
    from .runner import StageNotAvailable, grade

    path = workspace_path()
    try:
        shown = Path(os.path.relpath(path))
    except ValueError:
        shown = path
    try:
        report = _with_progress(
            f"grading {shown} (stages 1–{stage})" if stage > 1 else f"grading {shown} (stage 1)",
            lambda on_step: grade(shown, stage, on_step),
            lambda r, s: (f"✔ graded {shown} in {s:.0f} s: every required practice passes" if r.exit_code == 0 else
                          f"✘ graded {shown} in {s:.0f} s: {len(r.required_failures)} required practice(s) "
                          "not passing yet; the report below says which"),
        )
    except (engine.EngineUnavailable, WorkspaceError, StageNotAvailable) as exc:
        _show(f"Grading could not start: {exc}")
        return NoReport(stage, str(exc))
    except docker.errors.DockerException as exc:  # the engine failed mid-way: not the learner's fault
        _show(f"Grading could not finish: the Docker engine answered {type(exc).__name__}: {exc}\n"
              "Run the cell again; if it keeps failing, see notebook 00.")
        return NoReport(stage, str(exc))
    if in_notebook():
        console = _console(record=True)
        report.render(console)
        _show(console.export_text(clear=False), console.export_html(inline_styles=True, code_format=_RICH_HTML))
    else:
        report.render(_console())
    return report


# --- showing Dockerfiles and lint findings -----------------------------------------------------------


def show_dockerfile(source: str | Path) -> None:
    """A Dockerfile with line numbers: `source` is Dockerfile text, or a path relative to the course root."""
    if isinstance(source, Path) or ("\n" not in source and (ROOT / source).exists()):
        path = ROOT / source
        if path.is_dir():
            path = path / "Dockerfile"
        text = path.read_text(encoding="utf-8")
        title = str(path.relative_to(ROOT))
    else:
        text, title = str(source), "Dockerfile"
    lines = text.rstrip("\n").splitlines()
    plain = "\n".join(f"{n:>3}  {l}" for n, l in enumerate(lines, 1))
    rows = "".join(f"<span style=\"color: #888\">{n:>3}</span>  {html.escape(l)}\n" for n, l in enumerate(lines, 1))
    _show(f"── {title} ──\n{plain}", f"<p><code>{html.escape(title)}</code></p><pre>{rows}</pre>")


def hadolint(dockerfile_text: str) -> list[lint.Finding]:
    """Run hadolint (JSON, ignore pragmas off) on Dockerfile text; show and return its findings."""
    with tempfile.TemporaryDirectory(prefix="dockercourse-lint-") as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_text(dockerfile_text, encoding="utf-8")
        result = lint.run(path)
    if not result.parsed:
        _show(f"hadolint did not run: {result.problem}")
        return []
    rows = [f"line {f.line:>2}  {f.code:<7} {f.level:<8} {f.message}" for f in result.findings]
    _show("\n".join(rows) if rows else "hadolint: no findings")
    return list(result.findings)


# --- the lab: building and running real images -------------------------------------------------------


class DemoError(Exception):
    """A demo build or run failed: the environment, not the learner (see notebook 00)."""


@dataclass(frozen=True)
class Layer:
    index: int            # position in the image's history, oldest first
    step: str             # the instruction, shortened
    size: int             # bytes
    base: bool            # inherited from the base image
    created_by: str       # the history entry as the engine records it


def short_step(created_by: str, width: int = 60) -> str:
    text = (created_by or "").replace(" # buildkit", "").replace("/bin/sh -c #(nop) ", "")
    text = text.replace("/bin/sh -c ", "").strip()
    text = re.sub(r"^RUN \|\d+ ", "RUN ", text)          # BuildKit's "|1 NAME=value" prefix kept below
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass
class Built:
    """An image a Lab built: the build result, the image, and its base image."""

    name: str
    result: BuildResult
    image: Any
    base_reference: str
    base_image: Any | None
    dockerfile: str

    @property
    def id(self) -> str:
        return self.image.id

    @property
    def size(self) -> int:
        return self.image.attrs.get("Size") or 0

    @property
    def config(self) -> dict:
        return self.image.attrs.get("Config") or {}

    @property
    def base_origin(self) -> str:
        """Where the base image came from: a course stand-in, the registry, or neither."""
        from .images import STANDIN_LABEL

        if self.base_image is None:
            return "not in the engine"
        labels = self.base_image.labels or {}
        count = len((self.base_image.attrs.get("RootFS") or {}).get("Layers") or [])
        plural = f"{count} layer" + ("" if count == 1 else "s")
        if STANDIN_LABEL in labels:
            return f"the course's offline stand-in ({plural}, built from Debian trixie packages)"
        if self.base_image.attrs.get("RepoDigests"):
            return f"pulled from the registry ({plural})"
        return f"a local image, neither pulled nor a course stand-in ({plural})"

    def layers(self) -> list[Layer]:
        """Every history entry, oldest first, marked as base or as this Dockerfile's own."""
        history = list(reversed(self.image.history()))
        base_count = len(self.base_image.history()) if self.base_image is not None else 0
        out = []
        for i, entry in enumerate(history):
            created_by = entry.get("CreatedBy") or ""
            is_base = i < base_count
            step = short_step(created_by) if created_by else f"(base image {self.base_reference})"
            out.append(Layer(i, step, int(entry.get("Size") or 0), is_base, created_by))
        return out

    def apt_upgrade_summary(self) -> str:
        """What `apt-get upgrade` reported in this build's log (or that its step came from the cache)."""
        for line in self.result.log:
            m = re.search(r"(\d+) upgraded, (\d+) newly installed, (\d+) to remove and (\d+) not upgraded", line)
            if m:
                return (f"apt-get upgrade in this build: {m.group(1)} upgraded, {m.group(2)} newly installed, "
                        f"{m.group(4)} not upgraded")
        if any("apt-get" in step and "upgrade" in step for step in self.result.cached_steps):
            return ("the apt-get upgrade step came from the build cache: it ran in an earlier build, "
                    "and nothing new was installed now")
        return "no apt-get upgrade output in this build's log"


@dataclass
class Running:
    """A container a Lab started, with the probes the notebooks use."""

    container: Any
    started: float

    def wait_for_http(self, path: str = "/healthz", limit: float = 30.0) -> probes.HttpAnswer:
        answer, _port = probes.wait_for_200(self.container, [APP_PORT], path, limit, self.started)
        return answer

    def get(self, path: str = "/healthz") -> tuple[int | None, str]:
        """(HTTP status, body) from the published port; (None, reason) when nothing answers."""
        url = probes.published_url(self.container, APP_PORT, path)
        if url is None:
            return None, "port not published"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (loopback only)
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            exc.close()
            return exc.code, body
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            return None, str(getattr(exc, "reason", exc))

    def wait_exit(self, timeout: float = 30.0) -> tuple[int | None, float]:
        """(exit code, seconds since start) once the container stops; (None, ...) if it still runs."""
        try:
            status = self.container.wait(timeout=timeout)
        except Exception:  # requests' ReadTimeout / ConnectionError: still running
            return None, time.monotonic() - self.started
        return status.get("StatusCode"), time.monotonic() - self.started

    def logs(self, lines: int = 20) -> list[str]:
        return probes.logs_tail(self.container, lines)

    def exec(self, *cmd: str) -> tuple[int, str]:
        return probes.exec_output(self.container, list(cmd))

    def pid1(self) -> dict[str, Any]:
        """PID 1's UIDs and effective capabilities, read from /proc/1/status inside the container."""
        text = probes.read_file(self.container, "/proc/1/status") or ""
        found: dict[str, Any] = {}
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key in ("Uid", "Gid"):
                found[key.lower()] = [int(x) for x in rest.split()]
            elif key == "CapEff":
                mask = int(rest.strip(), 16)
                found["capabilities"] = [name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1]
        return found

    def listening(self) -> list[str] | str:
        """The TCP addresses listening inside the container (/proc/net/tcp and tcp6), as the grader reads them."""
        for _attempt in range(3):
            found = probes.listening_sockets(self.container)
            if found is not None:
                return [f"{l.address}:{l.port}" for l in found]
            time.sleep(0.5)
        state = probes.container_state(self.container)
        return f"unknown: /proc/net/tcp could not be read (container {state.get('Status')})"


def _file_group(name: str) -> str:
    """`usr/local/lib/python3.13/site-packages/werkzeug/x.py` -> `werkzeug`; `usr/local/bin/flask` -> `/usr/local/bin`."""
    parts = name.lstrip("./").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            top = parts[parts.index(marker) + 1]
            top = re.sub(r"-[^-]+\.(dist-info|egg-info)$", "", top).lower().replace("_", "-")
            return top
    return "/" + "/".join(parts[:-1][:3] or parts)


@dataclass
class PendingUpdates:
    ok: bool                # the archive could be asked
    packages: list[str]     # installed packages with a newer version
    security: list[str]     # of which from the -security suite
    problem: str

    def __str__(self) -> str:
        if not self.ok:
            return f"could not ask the Debian archive: {self.problem}"
        shown = ", ".join(self.packages[:12]) + (" …" if len(self.packages) > 12 else "")
        return (f"{len(self.packages)} installed package(s) have a newer version in the archive now, "
                f"{len(self.security)} of them from the security suite" + (f": {shown}" if shown else ""))


class Lab:
    """One notebook's demo session: builds and containers carry the session's label; `close()`
    removes them (it also runs when the kernel shuts down, and `.venv/bin/python -m graders cleanup`
    removes anything left by a crash)."""

    def __init__(self, notebook: str = "notebook") -> None:
        self.client = engine.connect()
        engine.ensure_buildx()
        session_id = os.environ.get(SESSION_ENV) or None
        self.session = engine.Session(self.client, **({"id": session_id} if session_id else {}))
        self.offline = not engine.registry_reachable()
        self.notebook = notebook
        self.closed = False
        self._running: list[Running] = []
        atexit.register(self.close, quiet=True)
        version = self.client.version()
        where = "no registry answers (fine: the course works offline, see notebook 00)" if self.offline \
            else "the registry answers"
        _show(f"Lab ready: Docker Engine {version.get('Version')} (API {version.get('ApiVersion')}); {where}.\n"
              f"Everything this notebook builds or runs carries the label "
              f"{engine.GRADER_LABEL}={self.session.id}; the last cell removes it.")

    # building -----------------------------------------------------------------------------------
    def build(self, source: str | Path | None = None, *, dockerfile: str | None = None, append: str | None = None,
              name: str | None = None, build_args: dict[str, str] | None = None) -> Built:
        """Build with BuildKit, showing progress.

        - `build("solutions/stage1")`: a solution directory (packaging files only), laid over a
          temporary copy of the sample app, as the grader does;
        - `build(dockerfile=TEXT)`: that Dockerfile over a temporary copy of the sample app;
        - `append=` adds instructions to the end of the source's Dockerfile (in the copy).
        Never touches exercises/ (the learner's workspace)."""
        self.closed = False  # built after close(): close() must run again
        name = name or (Path(source).name if source else "demo")
        purpose = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")[:100] or "demo"
        tag = self.session.image_tag(purpose)
        with tempfile.TemporaryDirectory(prefix="dockercourse-demo-") as tmp:
            packaging = Path(tmp) / "packaging"
            packaging.mkdir()
            if source is not None:
                src = ROOT / source
                if has_app(src):
                    raise DemoError(f"{source} holds the app itself: demos build solution directories or "
                                    "Dockerfile text, never the learner's workspace")
                shutil.copytree(src, packaging, dirs_exist_ok=True)
            if dockerfile is not None:
                (packaging / "Dockerfile").write_text(dockerfile, encoding="utf-8")
            if append:
                text = (packaging / "Dockerfile").read_text(encoding="utf-8").rstrip("\n")
                (packaging / "Dockerfile").write_text(f"{text}\n{append.strip()}\n", encoding="utf-8")
            text = (packaging / "Dockerfile").read_text(encoding="utf-8")
            with build_context(packaging, self.offline) as context:
                try:
                    base_reference = parse(context.dockerfile).external_base()[0]
                except DockerfileError as exc:
                    raise DemoError(str(exc)) from None

                def work(on_step):
                    return buildkit_build(context.dir, context.dockerfile, tag, self.session.labels,
                                          build_args=build_args, on_step=on_step)

                def done(result: BuildResult, seconds: float) -> str:
                    if not result.ok:
                        return f"✘ building {name} failed after {seconds:.1f} s: {result.error}"
                    cached = f", {len(result.cached_steps)} from the build cache" if result.cached_steps else ""
                    return f"✔ built {name} with BuildKit in {result.seconds:.1f} s{cached}"

                result = _with_progress(f"building {name} with BuildKit", work, done)
        if not result.ok:
            raise DemoError(f"the demo build of {name} failed at {result.failed_step}: {result.error}\n"
                            + "\n".join(result.tail(12)))
        image = self.client.images.get(result.image_id)
        try:
            base_image = self.client.images.get(base_reference)
        except Exception:
            base_image = None
        return Built(name, result, image, base_reference, base_image, text)

    # running ------------------------------------------------------------------------------------
    def run(self, built: Built, command: list[str] | None = None, **options) -> Running:
        """`docker run` the image (detached, labelled, resource-limited), its port 8000 published on
        127.0.0.1. `command` overrides the image's CMD, as `docker run IMAGE COMMAND...` does."""
        self.closed = False
        started = time.monotonic()
        settings = {"ports": {f"{APP_PORT}/tcp": ("127.0.0.1", None)}, **options}
        if command is not None:
            settings["command"] = command
        container = self.session.run(built.id, **settings)
        running = Running(container, started)
        self._running.append(running)
        return running

    def run_once(self, built: Built, command: list[str], timeout: float = 60.0) -> tuple[int | None, str]:
        """Run a command in a fresh container of the image; (exit code, output) when it ends."""
        running = self.run(built, command)
        code, _seconds = running.wait_exit(timeout)
        output = running.container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        return code, output

    def pending_updates(self, built: Built, timeout: float = 180.0) -> PendingUpdates:
        """Which installed Debian packages have a newer version in the archive right now: `apt-get
        update` and `apt list --upgradable` as root in a throwaway container (the image is unchanged)."""
        script = ("apt-get update -qq >/dev/null 2>&1 || { echo 'apt-get update failed (no network to the "
                  "Debian archive?)'; exit 3; }; apt list --upgradable 2>/dev/null | grep -F '[upgradable' || true")
        running = self.run(built, ["sh", "-c", script], user="0")
        code, _seconds = running.wait_exit(timeout)
        output = running.container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        if code != 0:
            reason = output.strip().splitlines()[-1] if output.strip() else f"exit code {code}"
            return PendingUpdates(False, [], [], reason)
        packages = [line.split("/", 1)[0] for line in output.splitlines() if "[upgradable" in line]
        security = [line.split("/", 1)[0] for line in output.splitlines()
                    if "[upgradable" in line and "-security" in line.split(" ", 1)[0]]
        return PendingUpdates(True, packages, security, "")

    def layer_contents(self, built: Built, step: str) -> dict[str, int]:
        """Bytes per group of files in the layer the newest history step starting with `step` made,
        read from `docker save` output: a Python distribution's files (package and .dist-info)
        by its name, anything else by its first two directories. Biggest first."""
        groups: dict[str, int] = {}
        with tempfile.TemporaryFile() as saved:
            for chunk in built.image.save(named=False):
                saved.write(chunk)
            saved.seek(0)
            with tarfile.open(fileobj=saved, mode="r:") as archive:
                manifest = json.load(archive.extractfile("manifest.json"))[0]
                config = json.load(archive.extractfile(manifest["Config"]))
                steps = [h.get("created_by") or "" for h in config.get("history") or [] if not h.get("empty_layer")]
                matches = [i for i, text in enumerate(steps) if short_step(text, 400).startswith(step)]
                if not matches:
                    raise DemoError(f"no layer of {built.name} was made by a step starting with {step!r}")
                layer = archive.extractfile(manifest["Layers"][matches[-1]])
                with tarfile.open(fileobj=layer, mode="r|*") as files:
                    for member in files:
                        if not member.isfile() or "/.wh." in "/" + member.name:
                            continue
                        key = _file_group(member.name)
                        groups[key] = groups.get(key, 0) + member.size
        return dict(sorted(groups.items(), key=lambda kv: -kv[1]))

    def scan_secrets(self, built: Built) -> list[layers.Hit]:
        """Where the sentinel secret (exercises/.env) and credential files sit in the saved image,
        as the grader looks (`docker save`, every layer above the base, history and config)."""
        skip = frozenset((built.base_image.attrs.get("RootFS") or {}).get("Layers") or []) \
            if built.base_image is not None else frozenset()
        return layers.scan(self.client, built.id, SENTINEL, skip)

    # cleaning up --------------------------------------------------------------------------------
    def close(self, quiet: bool = False) -> None:
        """Remove every container, image, network and volume this notebook's session made."""
        if self.closed:
            return
        selector = {"label": f"{engine.GRADER_LABEL}={self.session.id}"}
        counts = {
            "containers": len(self.client.containers.list(all=True, filters=selector)),
            "images": len(self.client.images.list(filters=selector)),
        }
        for attempt in range(3):
            try:
                self.session.close()
                break
            except docker.errors.APIError:  # e.g. 409 "removal already in progress" (a concurrent cleanup)
                time.sleep(1 + attempt)
        self.closed = True
        left = {
            "containers": len(self.client.containers.list(all=True, filters=selector)),
            "images": len(self.client.images.list(filters=selector)),
        }
        if not quiet:
            remaining = "nothing is left" if not any(left.values()) else f"still there: {left}"
            _show(f"Removed {counts['containers']} container(s) and {counts['images']} image(s) labelled "
                  f"{engine.GRADER_LABEL}={self.session.id}; {remaining}. (The BuildKit cache stays, so "
                  "the next build of the same steps is fast; `docker builder prune` empties it.)")


# --- notebook 00: the learner's machine ----------------------------------------------------------------

MIN_FREE_GB = 5  # course estimate, see notebook 00 (the base image, one image per stage, the build cache)


@dataclass
class SetupCheck:
    name: str
    status: str           # "ok", "warn" (works, read the note) or "fail"
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def _cli_version(*args: str) -> str | None:
    cli = shutil.which("docker")
    if cli is None:
        return None
    proc = subprocess.run([cli, *args], capture_output=True, text=True, timeout=30)
    return proc.stdout.strip() if proc.returncode == 0 else None


def setup_checks() -> list[SetupCheck]:
    """Look at what the course needs; every check says how to fix what it finds missing. Offline-safe."""
    from .images import STANDIN_LABEL, STANDIN_TAGS

    checks: list[SetupCheck] = []
    in_venv = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    checks.append(SetupCheck(
        "Python kernel", "ok" if in_venv else "warn",
        f"Python {sys.version.split()[0]} at {sys.prefix}",
        "" if in_venv else "Use the course's environment: `make lab` starts JupyterLab from .venv "
                           "(or pick the .venv kernel in Kernel → Change Kernel)."))

    cli = shutil.which("docker")
    client_version = _cli_version("version", "--format", "{{.Client.Version}}") if cli else None
    checks.append(SetupCheck(
        "docker CLI", "ok" if cli else "fail",
        f"{cli} (client {client_version or '?'})" if cli else "no `docker` command on PATH",
        "" if cli else "Install the Docker CLI (Docker Desktop includes it; Debian: apt-get install docker-cli)."))

    client = None
    try:
        client = engine.connect(timeout=20)
        info = client.info()
        version = client.version()
        checks.append(SetupCheck(
            "Docker engine answers", "ok",
            f"Engine {version.get('Version')}, API {version.get('ApiVersion')}, storage {info.get('Driver')}, "
            f"{info.get('OperatingSystem')}"))
    except engine.EngineUnavailable as exc:
        info = {}
        checks.append(SetupCheck("Docker engine answers", "fail", str(exc).split(";")[0],
                                 "Start Docker Desktop, or on Debian as root: `bash scripts/ensure-engine.sh` "
                                 "(also `make engine`). Then run this notebook again."))

    try:
        engine.ensure_buildx()
        buildx = _cli_version("buildx", "version") or "present"
        checks.append(SetupCheck("BuildKit (docker buildx)", "ok", buildx))
        buildx_ok = True
    except engine.EngineUnavailable as exc:
        checks.append(SetupCheck("BuildKit (docker buildx)", "fail", "missing", str(exc)))
        buildx_ok = False

    if client is not None and buildx_ok:
        checks.append(_test_build(client))

    reachable = engine.registry_reachable()
    checks.append(SetupCheck(
        "Registry (Docker Hub)", "ok",
        "reachable" if reachable else "not reachable: fine, the course works offline with local stand-ins",
        "" if reachable else "Nothing to do. Base images come from the stand-ins below; a `# syntax=` line "
                             "in a Dockerfile is neutralised by the grader (it would need the registry)."))

    if client is not None:
        for tag in STANDIN_TAGS:
            try:
                image = client.images.get(tag)
            except Exception:
                checks.append(SetupCheck(f"Base image {tag}", "fail", "missing",
                                         "Run `.venv/bin/python -m graders images` in a terminal (or `make images`): it "
                                         "pulls the image, or builds a stand-in from Debian trixie packages "
                                         "when no registry answers."))
                continue
            found = f"{image.short_id}, {mb(image.attrs.get('Size'))}"
            if STANDIN_LABEL in (image.labels or {}):
                checks.append(SetupCheck(f"Base image {tag}", "ok", f"{found}, the course's offline stand-in"))
            elif image.attrs.get("RepoDigests"):
                checks.append(SetupCheck(f"Base image {tag}", "ok", f"{found}, pulled from the registry"))
            else:
                checks.append(SetupCheck(
                    f"Base image {tag}", "warn", f"{found}, a local image: neither pulled nor a course stand-in",
                    f"Fine if you built it on purpose. Otherwise `docker image rm {tag}`, then "
                    "`.venv/bin/python -m graders images` pulls the official image or builds the stand-in."))

    root_dir = info.get("DockerRootDir") if info else None
    where = root_dir if root_dir and Path(root_dir).exists() else "/"
    usage = shutil.disk_usage(where)
    free_gb = usage.free / 1e9
    note = "" if where == root_dir else f" (Docker's data directory {root_dir or '?'} is not on this machine's " \
                                        "file system, e.g. inside Docker Desktop's VM: measured / instead)"
    checks.append(SetupCheck(
        "Free disk space", "ok" if free_gb >= MIN_FREE_GB else "fail",
        f"{free_gb:.1f} GB free of {usage.total / 1e9:.0f} GB at {where}{note}",
        "" if free_gb >= MIN_FREE_GB else
        f"Free at least {MIN_FREE_GB} GB: `docker builder prune` and `docker image prune` remove unused build "
        "cache and dangling images (Docker Desktop: raise the disk limit in Settings → Resources)."))

    if client is not None:
        left = engine.leftovers(client)
        count = sum(len(v) for v in left.values())
        checks.append(SetupCheck(
            "Leftovers from earlier grading", "ok" if count == 0 else "warn",
            "none" if count == 0 else ", ".join(f"{len(v)} {k}" for k, v in left.items() if v)
            + " (another grading run may be in progress)",
            "" if count == 0 else "If no grading is running, `.venv/bin/python -m graders cleanup` removes them."))
        client.close()
    return checks


def _test_build(client) -> SetupCheck:
    """A tiny real BuildKit build (FROM scratch, one file), loaded into the engine, then removed."""
    session = engine.Session(client)
    try:
        with tempfile.TemporaryDirectory(prefix="dockercourse-setup-") as tmp:
            context = Path(tmp)
            (context / "hello.txt").write_text("hello from BuildKit\n")
            (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
            result = buildkit_build(context, context / "Dockerfile", session.image_tag("setup"), session.labels,
                                    timeout=120)
        if result.ok:
            return SetupCheck("A BuildKit build works", "ok", f"built and loaded a test image in {result.seconds:.1f} s")
        return SetupCheck("A BuildKit build works", "fail", f"{result.error}",
                          "Read the error; on Docker Desktop restart it; on Linux check `docker buildx ls` "
                          "and that the engine's storage has space.")
    finally:
        session.close()


def show_checks(checks: list[SetupCheck]) -> None:
    """The summary table: ✔ / ⚠ / ✘ per check, what was found, and how to fix it."""
    from rich.table import Table

    marks = {"ok": "[green]✔[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✘[/]"}
    table = Table(title="Is this machine ready for the course?", show_lines=True, title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", ratio=2)
    table.add_column("found", ratio=3)
    table.add_column("how to fix", ratio=4)
    for c in checks:
        table.add_row(marks[c.status], c.name, c.found, c.fix)
    _rich(table)


def show_plan() -> None:
    """The course plan: notebooks, what they cover, minutes, and whether each notebook exists yet."""
    from rich.table import Table

    table = Table(title=f"The course plan ({COURSE_MINUTES} min available: a day and a half of 6-hour days)",
                  title_justify="left")
    for column in ("notebook", "covers", "minutes", "status"):
        table.add_column(column, justify="right" if column == "minutes" else "left")
    total = 0
    for name, covers, minutes in planned_notebooks():
        path = NOTEBOOKS / f"{name}.py"
        total += minutes
        table.add_row(name, covers, str(minutes), "ready" if path.exists() else "[dim]coming later[/]")
    table.add_row("", "[bold]total[/]", f"[bold]{total}[/]", f"{COURSE_MINUTES - total} min spare")
    _rich(table)


# --- pictures ------------------------------------------------------------------------------------------


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


SECRET_COLOURS = {"file": "#c0392b", "history": "#e67e22", "clean": "#9aa5b1", "empty": "#e5e8eb"}


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
