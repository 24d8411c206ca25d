"""One grading run's shared state: the parsed Dockerfile, the lint, the image (built once), and
the containers (started once), computed lazily so each check pays only for what it needs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import docker.errors

from . import build as builder
from . import lint, probes
from .dockerfile import Dockerfile, Instruction, parse
from .engine import Session
from .workspace import BuildContext

DEFAULT_APP_PORT = 8000   # the sample app's port (exercises/README.md)
SERVE_LIMIT = 30.0        # serves-on-run: seconds to the first 200 from /healthz
HEALTH_PATH = "/healthz"
# runs-hardened: a read-only root filesystem, a small tmpfs /tmp, no capabilities, no privilege gain.
HARDENED_RUN = {
    "read_only": True,
    "tmpfs": {"/tmp": "rw,nosuid,nodev,size=64m"},
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
}


@dataclass
class Served:
    container: object
    port: int
    answer: probes.HttpAnswer

    @property
    def running(self) -> bool:
        return probes.container_state(self.container).get("Status") == "running"

    def logs(self, lines: int = 12) -> list[str]:
        return probes.logs_tail(self.container, lines)


class Grading:
    def __init__(self, context: BuildContext, session: Session, on_step: Callable[[str], None] | None = None,
                 build_timeout: int = builder.DEFAULT_TIMEOUT):
        self.context = context
        self.session = session
        self.client = session.client
        self.on_step = on_step or (lambda _text: None)
        self.build_timeout = build_timeout
        self.metrics: dict[str, float | int | None] = {
            "image_bytes": None, "base_image_bytes": None, "build_seconds": None,
            "rebuild_seconds": None, "startup_seconds": None, "stop_seconds": None,
        }

    # --- the Dockerfile -------------------------------------------------------------------
    @cached_property
    def dockerfile(self) -> Dockerfile:
        return parse(self.context.dockerfile)

    @cached_property
    def lint(self) -> lint.LintResult:
        return lint.run(self.context.dockerfile)

    def last(self, *cmds: str) -> Instruction | None:
        """The last of these instructions in what the final image inherits."""
        found = [i for i in self.dockerfile.final_instructions() if i.cmd in cmds]
        return found[-1] if found else None

    @property
    def final_from_line(self) -> int:
        return self.dockerfile.final.from_line

    @property
    def start_line(self) -> int:
        """Where the container's command is decided: CMD/ENTRYPOINT, else the final FROM."""
        instr = self.last("CMD", "ENTRYPOINT")
        return instr.line if instr else self.final_from_line

    # --- the image --------------------------------------------------------------------------
    @cached_property
    def build(self) -> builder.BuildResult:
        self.on_step("building the image with BuildKit")
        result = builder.build(self.context.dir, self.context.dockerfile, self.session.image_tag(),
                               self.session.labels, timeout=self.build_timeout, on_step=self.on_step)
        self.metrics["build_seconds"] = round(result.seconds, 2)
        return result

    @cached_property
    def image(self):
        if not self.build.ok:
            return None
        image = self.client.images.get(self.build.image_id)
        self.metrics["image_bytes"] = image.attrs.get("Size")
        return image

    @property
    def config(self) -> dict:
        return (self.image.attrs.get("Config") or {}) if self.image else {}

    @cached_property
    def base_image(self):
        """The external image the final stage starts from, if the engine has it."""
        reference, _line = self.dockerfile.external_base()
        try:
            image = self.client.images.get(reference)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            return None
        self.metrics["base_image_bytes"] = image.attrs.get("Size")
        return image

    # --- containers -----------------------------------------------------------------------
    @cached_property
    def candidate_ports(self) -> list[int]:
        """The ports the image exposes, then the sample app's own: all are published and probed,
        so a wrong EXPOSE fails exposes-port without hiding whether the app serves."""
        exposed = [int(p.split("/")[0]) for p in (self.config.get("ExposedPorts") or {}) if p.endswith("/tcp")]
        return list(dict.fromkeys([*exposed, DEFAULT_APP_PORT]))

    @cached_property
    def network(self):
        return self.session.network()

    def run_app(self, purpose: str, **options) -> Served:
        """Run the image as `docker run IMAGE` would (no command, no user override), plus options,
        publishing the candidate ports on loopback, and wait for GET /healthz to answer 200."""
        self.on_step(f"running the image ({purpose})")
        started = time.monotonic()
        container = self.session.run(
            self.image.id, name=f"dockercourse-{self.session.id}-{purpose}", network=self.network.name,
            ports={f"{port}/tcp": ("127.0.0.1", None) for port in self.candidate_ports}, **options)
        answer, port = probes.wait_for_200(container, self.candidate_ports, HEALTH_PATH, SERVE_LIMIT, started)
        return Served(container, port, answer)

    @cached_property
    def serving(self) -> Served:
        served = self.run_app("serve")
        if served.answer.ok:
            self.metrics["startup_seconds"] = round(served.answer.seconds, 2)
        return served

    def dockerfile_text_lines(self) -> list[str]:
        try:
            return self.context.dockerfile.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
