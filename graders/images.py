"""Base images: `python -m graders images` makes sure every tag in STANDIN_TAGS, and the registry
image stage 3 pushes to (graders/registry_image.py), exist locally.

- present locally: nothing to do (no network, instant);
- otherwise `docker pull` through the engine, with a short stall timeout (graders/pull.py);
- otherwise (air-gapped room, CI without registry access) one stand-in is built from Debian
  trixie packages with mmdebstrap (graders/standin.py), from the machine's own mirror and
  trusting its extra CA certificates (graders/host.py), and tagged with every missing tag.

This module is the entry point: ensure_base_images(), the progress display, and main().
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import docker
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import engine, registry_image, standin
from .host import debian_mirror_uri, debian_security_uri, host_extra_cas
from .pull import PullFailed
from .pull import pull as docker_pull
from .standin import (
    STANDIN_LABEL,
    TMP_PREFIX,
    BaseImageError,
    first_line,
    local_image,
    megabytes,
)

__all__ = [
    "STANDIN_LABEL", "STANDIN_TAGS", "TMP_PREFIX", "BaseImageError", "ImageOutcome",
    "debian_mirror_uri", "debian_security_uri", "ensure_base_images", "host_extra_cas", "main",
]

STANDIN_TAGS = ("python:3.13-slim-trixie", "python:3.13-slim", "python:3.13.5-slim-trixie")


@dataclass(frozen=True)
class ImageOutcome:
    """What ensure_base_images() did for one tag."""

    tag: str
    action: str  # "present", "pulled" or "built"
    image_id: str
    size_bytes: int
    stand_in: bool  # carries STANDIN_LABEL
    detail: str
    seconds: float


class Display:
    """One live line: the current step, its latest detail (e.g. mmdebstrap's "I: ..." lines) and
    the time spent; finished steps of a build or pull are printed above it. When the console is
    not a terminal (CI logs, pytest), only the finished steps and warnings are printed."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[step]}[/]:"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("", step="", total=None)

    def __enter__(self) -> Display:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._progress.stop()

    def step(self, step: str, detail: str = "") -> None:
        self._progress.reset(self._task)  # the elapsed time is this step's
        self._progress.update(self._task, step=escape(step), description=escape(detail))

    def detail(self, text: str) -> None:
        self._progress.update(self._task, description=escape(text[:120]))

    def done(self, text: str) -> None:
        self._progress.console.print(f"[green]✓[/] {escape(text)}", highlight=False)

    def warn(self, text: str) -> None:
        self._progress.console.print(f"[yellow]![/] {escape(text)}", highlight=False)


def _is_stand_in(image) -> bool:
    return STANDIN_LABEL in (image.labels or {})


def _origin(image) -> str:
    if _is_stand_in(image):
        built = re.search(r" on (\d{4}-\d\d-\d\d)", image.labels[STANDIN_LABEL])
        return "course stand-in" + (f" built {built.group(1)}" if built else "")
    if image.attrs.get("RepoDigests"):
        return "from the registry"
    return "local image, neither pulled nor a course stand-in"


def _outcome(tag: str, action: str, image, detail: str, started: float) -> ImageOutcome:
    return ImageOutcome(
        tag, action, image.id, image.attrs.get("Size", 0), _is_stand_in(image), detail,
        time.monotonic() - started,
    )


def _connect() -> docker.DockerClient:
    try:
        return engine.connect()
    except engine.EngineUnavailable as exc:
        raise BaseImageError("connecting to the Docker engine", str(exc)) from None


def ensure_base_images(
    console: Console | None = None,
    client: docker.DockerClient | None = None,
    *,
    tags: Sequence[str] = STANDIN_TAGS,
    pull: bool = True,
    mirror: str | None = None,
    registry: bool | None = None,
) -> list[ImageOutcome]:
    """Make sure every tag exists locally: present, else pulled, else built as a stand-in; then
    (with `registry`) the registry image stage 3 pushes to, the same way.

    Idempotent: tags already present are left alone, with no network access. `tags` lets tests
    build stand-ins under throwaway names; `pull=False` skips the registry; `mirror` overrides
    the Debian archive read from the machine's apt sources; `registry` defaults to making the
    registry image only for the course's own tags. Raises BaseImageError.
    """
    registry = tuple(tags) == STANDIN_TAGS if registry is None else registry
    console = console or Console(stderr=True)
    own_client = client is None
    client = client or _connect()
    try:
        with Display(console) as display:
            outcomes = _ensure(client, display, tags, pull,
                               lambda missing: standin.build(client, missing, display, mirror))
            if registry:
                outcomes += _ensure(client, display, [registry_image.REGISTRY_TAG], pull,
                                    lambda _missing: registry_image.build(client, display.detail))
    finally:
        if own_client:
            client.close()
    return outcomes


def _ensure(client, display: Display, tags: Sequence[str], pull: bool, build) -> list[ImageOutcome]:
    """Each tag: present, else pulled, else made by `build(missing tags)` (one image for all)."""
    outcomes: dict[str, ImageOutcome] = {}
    display.step("checking local images")
    for tag in tags:
        started = time.monotonic()
        image = local_image(client, tag)
        if image is not None:
            outcomes[tag] = _outcome(tag, "present", image, _origin(image), started)
    pull_failure = "" if pull else "not tried (offline)"
    for tag in [t for t in tags if t not in outcomes]:
        if pull_failure:
            break
        outcome, pull_failure = _pulled(client, tag, display)
        if outcome is not None:
            outcomes[tag] = outcome
    to_build = [t for t in tags if t not in outcomes]
    if to_build:
        started = time.monotonic()
        display.step("building a stand-in", ", ".join(to_build))
        image = build(to_build)
        for tag in to_build:
            outcomes[tag] = _outcome(tag, "built", image, f"course stand-in; registry: {pull_failure}", started)
    return [outcomes[t] for t in tags]


def _pulled(client: docker.DockerClient, tag: str, display: Display) -> tuple[ImageOutcome | None, str]:
    """`docker pull tag`: its outcome, or None and why the registry cannot be used."""
    display.step(f"docker pull {tag}")
    started = time.monotonic()
    try:
        docker_pull(client, tag, display.detail)
    except PullFailed as exc:
        reason = first_line(exc, 200) if str(exc).strip() else "failed"
        display.warn(f"docker pull {tag}: {reason}")
        return None, reason
    image = local_image(client, tag)
    if image is None:
        return None, "the pull ended but the image is missing"
    display.done(f"docker pull {tag}: {image.short_id}, in {time.monotonic() - started:.1f} s")
    return _outcome(tag, "pulled", image, "from the registry", started), ""


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m graders images`: one line per tag (present / pulled / built, size); 0, or 2 on failure."""
    parser = argparse.ArgumentParser(
        prog="python -m graders images",
        description="Make sure the python base images exist: present, pulled, or built as stand-ins.",
    )
    parser.add_argument(
        "--offline", action="store_true", help="do not try the registry; build stand-ins for missing tags"
    )
    args = parser.parse_args(argv)
    console = Console()
    try:
        outcomes = ensure_base_images(console, pull=not args.offline)
    except BaseImageError as exc:
        Console(stderr=True).print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    width = max(len(o.tag) for o in outcomes)
    for o in outcomes:
        console.print(
            f"{o.tag:<{width}}  {o.action:<7}  {megabytes(o.size_bytes):>9}  {o.image_id[7:19]}  {o.detail}",
            markup=False, highlight=False, soft_wrap=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
