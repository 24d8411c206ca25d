"""The Lab: one notebook's demos, built and run under a labelled grading Session.

It builds real images with BuildKit (solution directories, or a Dockerfile laid over a temporary
copy of the sample app; never `exercises/`), runs them, looks inside them, and removes
everything it made in `close()`.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from .. import engine, layers
from ..build import BuildResult
from ..build import build as buildkit_build
from ..dockerfile import DockerfileError, parse
from ..grading import DEFAULT_APP_PORT
from ..workspace import REPO_ROOT, SENTINEL, build_context, has_app  # SENTINEL: exercises/.env's fake secret
from .built import Built, short_step
from .cli_lines import build_line, run_line
from .display import show, with_progress
from .running import Running

SESSION_ENV = "DOCKERCOURSE_NOTEBOOK_SESSION"  # the test suite fixes the Lab's session id with it


class DemoError(Exception):
    """A demo build or run failed: the environment, not the learner (see notebook 00)."""


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


def _file_group(name: str) -> str:
    """`usr/local/lib/python3.13/site-packages/werkzeug/x.py` -> `werkzeug`; `usr/local/bin/flask` -> `/usr/local/bin`."""
    parts = name.lstrip("./").split("/")
    for marker in ("site-packages", "dist-packages"):
        if marker in parts and parts.index(marker) + 1 < len(parts):
            top = parts[parts.index(marker) + 1]
            top = re.sub(r"-[^-]+\.(dist-info|egg-info)$", "", top).lower().replace("_", "-")
            return top
    return "/" + "/".join(parts[:-1][:3] or parts)


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
        atexit.register(self.close, quiet=True)
        version = self.client.version()
        where = "no registry answers (fine: the course works offline, see notebook 00)" if self.offline \
            else "the registry answers"
        show(f"Lab ready: Docker Engine {version.get('Version')} (API {version.get('ApiVersion')}); {where}.\n"
             f"Everything this notebook builds or runs carries the label "
             f"{engine.GRADER_LABEL}={self.session.id}; the last cell removes it.")

    # building -----------------------------------------------------------------------------------
    def build(self, source: str | Path | None = None, *, dockerfile: str | None = None, append: str | None = None,
              name: str | None = None, build_args: dict[str, str] | None = None,
              show_command: bool = True) -> Built:
        """Build with BuildKit, showing progress.

        - `build("solutions/stage1")`: a solution directory (packaging files only), laid over a
          temporary copy of the sample app, as the grader does;
        - `build(dockerfile=TEXT)`: that Dockerfile over a temporary copy of the sample app;
        - `append=` adds instructions to the end of the source's Dockerfile (in the copy).
        Prints the `docker buildx build` line it stands for first (`show_command=False`: not).
        Never touches exercises/ (the learner's workspace)."""
        self.closed = False  # built after close(): close() must run again
        name = name or (Path(source).name if source else "demo")
        purpose = re.sub(r"[^a-z0-9_.-]+", "-", name.lower()).strip("-.")[:100] or "demo"
        tag = self.session.image_tag(purpose)
        with tempfile.TemporaryDirectory(prefix="dockercourse-demo-") as tmp:
            packaging = Path(tmp) / "packaging"
            packaging.mkdir()
            if source is not None:
                src = REPO_ROOT / source
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
            if show_command:
                where = (f"a temporary copy of the sample app with {source}'s files" if source is not None
                         else "a temporary copy of the sample app with the Dockerfile above")
                print(build_line(tag, build_args, where + (" (lines appended)" if append else "")))
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

                result = with_progress(f"building {name} with BuildKit", work, done)
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
    def run(self, built: Built, command: list[str] | None = None, *, show_command: bool = True,
            **options) -> Running:
        """`docker run` the image (detached, labelled, resource-limited), its port 8000 published on
        127.0.0.1. `command` overrides the image's CMD, as `docker run IMAGE COMMAND...` does.
        Prints the `docker run` line it stands for first (`show_command=False`: not)."""
        return self._start(built, command, show_command, False, options)

    def _start(self, built: Built, command: list[str] | None, show_command: bool, one_off: bool,
               options: dict) -> Running:
        self.closed = False
        started = time.monotonic()
        settings = {"ports": {f"{DEFAULT_APP_PORT}/tcp": ("127.0.0.1", None)}, **options}
        if command is not None:
            settings["command"] = command
        if show_command:
            image = built.image.tags[0] if built.image.tags else built.id
            print(run_line(image, {k: v for k, v in settings.items() if not (one_off and k == "ports")},
                           command, one_off))
        return Running(self.session.run(built.id, **settings), started)

    def run_once(self, built: Built, command: list[str], timeout: float = 60.0, *, show_command: bool = True,
                 **options) -> tuple[int | None, str]:
        """Run a command in a fresh container of the image (`options` as for `run`); (exit code,
        output) when it ends. Prints the `docker run --rm` line it stands for first."""
        running = self._start(built, command, show_command, True, options)
        code, _seconds = running.wait_exit(timeout)
        output = running.container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        return code, output

    def pending_updates(self, built: Built, timeout: float = 180.0) -> PendingUpdates:
        """Which installed Debian packages have a newer version in the archive right now: `apt-get
        update` and `apt list --upgradable` as root in a throwaway container (the image is unchanged)."""
        script = ("apt-get update -qq >/dev/null 2>&1 || { echo 'apt-get update failed (no network to the "
                  "Debian archive?)'; exit 3; }; apt list --upgradable 2>/dev/null | grep -F '[upgradable' || true")
        code, output = self.run_once(built, ["sh", "-c", script], timeout, user="0")
        if code != 0:
            reason = output.strip().splitlines()[-1] if output.strip() else f"exit code {code}"
            return PendingUpdates(False, [], [], reason)
        packages = [line.split("/", 1)[0] for line in output.splitlines() if "[upgradable" in line]
        security = [line.split("/", 1)[0] for line in output.splitlines()
                    if "[upgradable" in line and "-security" in line.split(" ", 1)[0]]
        return PendingUpdates(True, packages, security, "")

    # looking inside -----------------------------------------------------------------------------
    def layer_contents(self, built: Built, step: str) -> dict[str, int]:
        """Bytes per group of files in the layer the newest history step starting with `step` made,
        read from `docker save` output: a Python distribution's files (package and .dist-info)
        by its name, anything else by its first two directories. Biggest first."""
        groups: dict[str, int] = {}
        with layers.saved(built.image) as image:
            matches = [i for i, text in enumerate(image.layer_steps) if short_step(text or "", 400).startswith(step)]
            if not matches:
                raise DemoError(f"no layer of {built.name} was made by a step starting with {step!r}")
            with tarfile.open(fileobj=image.layer(matches[-1]), mode="r|*") as files:
                for member in files:
                    if not member.isfile() or "/.wh." in "/" + member.name:
                        continue
                    key = _file_group(member.name)
                    groups[key] = groups.get(key, 0) + member.size
        return dict(sorted(groups.items(), key=lambda kv: -kv[1]))

    def scan_secrets(self, built: Built) -> list[layers.Hit]:
        """Where the sentinel secret (exercises/.env) and credential files sit in the saved image,
        as the grader looks (`docker save`, every layer above the base, history and config)."""
        return layers.scan(self.client, built.id, SENTINEL, frozenset(built.base_layer_ids))

    # cleaning up --------------------------------------------------------------------------------
    def _labelled(self) -> dict[str, int]:
        """How many containers and images carry this session's label."""
        selector = {"label": f"{engine.GRADER_LABEL}={self.session.id}"}
        return {
            "containers": len(self.client.containers.list(all=True, filters=selector)),
            "images": len(self.client.images.list(filters=selector)),
        }

    def close(self, quiet: bool = False) -> None:
        """Remove every container, image, network and volume this notebook's session made."""
        if self.closed:
            return
        counts = self._labelled()
        for attempt in range(3):
            try:
                self.session.close()
                break
            except docker.errors.APIError:  # e.g. 409 "removal already in progress" (a concurrent cleanup)
                time.sleep(1 + attempt)
        self.closed = True
        left = self._labelled()
        if not quiet:
            remaining = "nothing is left" if not any(left.values()) else f"still there: {left}"
            show(f"Removed {counts['containers']} container(s) and {counts['images']} image(s) labelled "
                 f"{engine.GRADER_LABEL}={self.session.id}; {remaining}. (The BuildKit cache stays, so "
                 "the next build of the same steps is fast; `docker builder prune` empties it.)")
