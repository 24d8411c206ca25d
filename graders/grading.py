"""One grading run's shared state, computed lazily so each check pays only for what it needs:
the parsed Dockerfile, the lint, the images (the learner's build, and variants a check asks for:
other build arguments, an edited copy of the context), and containers by purpose ("serve",
"hardened", ...), each started once, all removed with the session.

A check that needs something the run cannot provide (the image did not build, the container did
not start) raises NotChecked; the runner reports that practice as `error` with the reason.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import posixpath
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import docker.errors

from . import build as builder
from . import catalogue, lint, probes
from .dockerfile import Dockerfile, Instruction, parse
from .engine import Session
from .workspace import BuildContext

DEFAULT_APP_PORT = 8000   # the sample app's port (exercises/README.md)
HEALTH_PATH = "/healthz"
SERVE_LIMIT = float(catalogue.load().practice("serves-on-run").limits["seconds"])
MAX_PUBLISHED_PORTS = 8   # EXPOSE 1-65535 must not make the grader publish 65535 ports
# read-only-rootfs: a read-only root filesystem and a small tmpfs /tmp, nothing else changed.
READ_ONLY_RUN = {
    "read_only": True,
    "tmpfs": {"/tmp": "rw,nosuid,nodev,size=64m"},
}
# runs-hardened: that, plus no capabilities and no privilege gain.
HARDENED_RUN = {
    **READ_ONLY_RUN,
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
}
# How each purpose runs the image: `docker run IMAGE` with no command and no user override, plus these.
# ("crash": faulthandler crashes its server on purpose, so no other check watches a dying one;
# "stop": graceful-shutdown stops its own, without the engine's init even where the daemon adds one
# by default, so that what stops it is the image's own PID 1; "bytecode": PYTHONDONTWRITEBYTECODE
# emptied, which Python reads as unset, so a container diff shows any .pyc written at run time;
# "startup": a plain run started on its own, late, only to time again a start that looked slow
# while the other purposes' containers were starting beside it.)
PURPOSES: dict[str, dict] = {"serve": {}, "hardened": HARDENED_RUN, "crash": {}, "stop": {"init": False},
                             "read-only": READ_ONLY_RUN, "bytecode": {"environment": {"PYTHONDONTWRITEBYTECODE": ""}},
                             "startup": {}}
ONE_OFF_TIMEOUT = 30.0    # seconds a one-off command in the image may run


@dataclass(frozen=True)
class OneOff:
    """A command run once in a fresh container of the image (its entrypoint replaced), to its end."""

    exit_code: int | None     # None: still running at the deadline (then killed), or it could not start
    log: str                  # stdout and stderr, as `docker logs` shows them (the tail)
    problem: str | None = None


class NotChecked(Exception):
    """What a check needs is not there (no image, no running container): the practice is `error`."""


PYTHON_EXECUTABLE = re.compile(r"python(\d+(\.\d+)?)?$")


@dataclass(frozen=True)
class Interpreter:
    path: str              # as the serving process was started with it (argv[0])
    user: str | None       # "uid:gid" of that process
    how: str               # how it was found, for messages


@dataclass(eq=False)
class Run:
    """A container started for one purpose, and what waiting for it to serve showed."""

    purpose: str
    container: object | None          # None when the engine could not even create it
    answer: probes.HttpAnswer
    port: int
    start_error: str | None = None    # the engine's words when it could not start the container
    notes: list[str] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.start_error is None

    @property
    def running(self) -> bool:
        return self.container is not None and probes.container_state(self.container).get("Status") == "running"

    def logs(self, lines: int = 12) -> list[str]:
        return probes.logs_tail(self.container, lines) if self.container is not None else []

    @cached_property
    def interpreter(self) -> Interpreter:
        """The Python the app's server runs (the oldest Python process: PID 1, or its child under an
        init), the user it runs as, and how it was found; python3 from PATH when none is found."""
        for proc in probes.processes(self.container):
            if proc.argv and PYTHON_EXECUTABLE.search(posixpath.basename(proc.argv[0])):
                user = f"{proc.uid}:{proc.gid}" if proc.uid is not None and proc.gid is not None else None
                return Interpreter(proc.argv[0], user, f"the serving process's interpreter, {proc.argv[0]}")
        return Interpreter("python3", None, "python3 from PATH (no Python process found in the container)")

    @cached_property
    def listeners(self) -> list[probes.Listener] | None:
        """The TCP sockets the app listens on (read once); None when the container is not running."""
        return probes.listening_sockets(self.container) if self.running else None


class Grading:
    def __init__(self, context: BuildContext, session: Session, on_step: Callable[[str], None] | None = None,
                 build_timeout: int = builder.DEFAULT_TIMEOUT):
        self.context = context
        self.session = session
        self.client = session.client
        self.on_step = on_step or (lambda _text: None)
        self.build_timeout = build_timeout
        self.cgroup_parent: str | None = None   # the builds' cgroup (graders/build_cgroup.py), set by the runner
        self.metrics: dict[str, float | int | None] = {
            "image_bytes": None, "base_image_bytes": None, "build_seconds": None,
            "rebuild_seconds": None, "startup_seconds": None, "stop_seconds": None,
        }
        self.sections: list = []          # report.Section tables the checks add (stage 3: the pushes)
        self.file_lines: dict[str, list[str]] = {}   # files other than the Dockerfile results point into
        self._builds: dict[str, builder.BuildResult] = {}
        self._runs: dict[str, concurrent.futures.Future] = {}
        self._jobs: dict[str, concurrent.futures.Future] = {}
        self._lock = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="grading")

    @cached_property
    def scripts(self):
        """The runs of the learner's build.sh against this grading's registry (stage 3 and after)."""
        from .build_script import ScriptRuns

        return ScriptRuns(self)

    def close(self) -> None:
        """Remove everything the session made (and the images the build script made). Containers still being waited for in worker
        threads are removed first (their waits then end at once), then the session is swept once
        more for anything a worker created meanwhile."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        if "scripts" in self.__dict__:
            self.scripts.close()
        self.session.close()
        concurrent.futures.wait([*self._runs.values(), *self._jobs.values()], timeout=SERVE_LIMIT + 15)
        self.session.close()

    # --- the Dockerfile -------------------------------------------------------------------
    @cached_property
    def dockerfile(self) -> Dockerfile:
        return parse(self.context.dockerfile)

    @property
    def lint(self) -> lint.LintResult:
        """hadolint's findings (run in the background from the start: it needs no image)."""
        return self.submit("lint", lambda: lint.run(self.context.dockerfile)).result()

    def start_lint(self) -> None:
        self.submit("lint", lambda: lint.run(self.context.dockerfile))

    @property
    def linted(self) -> bool:
        """Whether hadolint ran (and finished) in this grading."""
        job = self._jobs.get("lint")
        return job is not None and job.done() and job.exception() is None

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

    # --- images -----------------------------------------------------------------------------
    def build_image(self, key: str = "build", build_args: dict[str, str] | None = None,
                    context_dir: Path | None = None) -> builder.BuildResult:
        """Build the Dockerfile once per `key` (the learner's own build is "build"), with build
        arguments and/or another context (see `variant_context`); tagged and labelled by the session."""
        if key not in self._builds:
            directory = context_dir or self.context.dir
            self.on_step("building the image with BuildKit" + ("" if key == "build" else f" ({key})"))
            self._builds[key] = builder.build(directory, directory / self.context.dockerfile.name,
                                              self.session.image_tag(key), self.session.labels, build_args,
                                              timeout=self.build_timeout, on_step=self.on_step,
                                              cgroup_parent=self.cgroup_parent)
        return self._builds[key]

    def variant_context(self, key: str, edit: Callable[[Path], None]) -> Path:
        """A copy of the build context, changed by `edit(directory)`, beside the context (removed
        with it): for builds a check makes of an edited submission (a tampered hash, a source change)."""
        target = self.context.dir.parent / f"variant-{key}"
        if not target.exists():
            shutil.copytree(self.context.dir, target, symlinks=True)
            edit(target)
        return target

    @property
    def build(self) -> builder.BuildResult:
        result = self.build_image()
        if self.metrics["build_seconds"] is None:
            self.metrics["build_seconds"] = round(result.seconds, 2)
        return result

    @cached_property
    def image(self):
        """The learner's image; NotChecked when it did not build."""
        if not self.build.ok:
            raise NotChecked("Not checked: the image did not build (see image-builds).")
        image = self.client.images.get(self.build.image_id)
        self.metrics["image_bytes"] = image.attrs.get("Size")
        return image

    @property
    def config(self) -> dict:
        return self.image.attrs.get("Config") or {}

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
    def exposed_ports(self) -> list[int]:
        """The TCP ports the image exposes (EXPOSE; a range is expanded by the engine)."""
        return sorted(int(p.split("/")[0]) for p in (self.config.get("ExposedPorts") or {}) if p.endswith("/tcp"))

    def candidate_ports(self) -> list[int]:
        """The ports published for a run: the exposed ones (at most MAX_PUBLISHED_PORTS), the
        sample app's own, and any port an earlier run found the app listening on."""
        found = [run.port for run in self._finished_runs() if run.answer.ok]
        return list(dict.fromkeys([*self.exposed_ports[:MAX_PUBLISHED_PORTS], DEFAULT_APP_PORT, *found]))

    def _finished_runs(self) -> list[Run]:
        return [f.result() for f in list(self._runs.values()) if f.done() and not f.exception()]

    @cached_property
    def network(self):
        return self.session.network()

    def start(self, *purposes: str) -> None:
        """Start the containers of these purposes side by side (each waits for its own 200)."""
        self.image  # noqa: B018  (NotChecked here, not in a worker thread)
        self.network  # noqa: B018
        with self._lock:
            for purpose in purposes:
                if purpose not in self._runs:
                    self._runs[purpose] = self._pool.submit(self._run, purpose, PURPOSES[purpose])

    def container(self, purpose: str) -> Run:
        """The container of a purpose (started now if it was not), once it serves or gave up."""
        self.start(purpose)
        run = self._runs[purpose].result()
        if purpose == "serve" and run.answer.ok and self.metrics["startup_seconds"] is None:
            self.metrics["startup_seconds"] = round(run.answer.seconds, 2)
        return run

    def submit(self, key: str, work: Callable[[], object]) -> concurrent.futures.Future:
        """Run `work` in the background once per key (a check's slow, independent part, such as
        scanning the saved image, done while containers are waited for)."""
        with self._lock:
            if key not in self._jobs:
                self._jobs[key] = self._pool.submit(work)
            return self._jobs[key]

    def result(self, key: str, work: Callable[[], object]):
        """The result of the background work `key` (started now if it was not)."""
        return self.submit(key, work).result()

    def one_off(self, key: str, argv: list[str], timeout: float = ONE_OFF_TIMEOUT) -> OneOff:
        """Run `argv` in a fresh container of the image (no network, the image's environment and
        user, the entrypoint replaced by argv[0]), once per key, to its end or the deadline."""
        return self.result(f"one-off {key}", lambda: self._one_off(key, argv, timeout))

    def _one_off(self, key: str, argv: list[str], timeout: float) -> OneOff:
        try:
            container = self.session.create(self.image.id, name=self.session.name(f"once-{key}"), entrypoint=argv[:1],
                                            command=argv[1:], network_disabled=True)
            container.start()
        except docker.errors.APIError as exc:
            return OneOff(None, "", (exc.explanation or str(exc)).strip())
        try:
            code = container.wait(timeout=timeout).get("StatusCode")
        except Exception:  # noqa: BLE001 (requests' ReadTimeout / ConnectionError: still running)
            code = None
            with contextlib.suppress(docker.errors.APIError):
                container.kill()
        log = container.logs(tail=400).decode("utf-8", "replace")
        return OneOff(code, log)

    @property
    def serving(self) -> Run:
        return self.container("serve")

    def running(self, purpose: str = "serve") -> Run:
        """The container of a purpose, still running; NotChecked when it did not start or stopped."""
        run = self.container(purpose)
        if not run.started:
            raise NotChecked("Not checked: the container did not start (see serves-on-run).")
        if not run.running:
            raise NotChecked(f"Not checked: {probes.stopped_problem(probes.container_state(run.container))} "
                             "(see serves-on-run).")
        return run

    def _run(self, purpose: str, options: dict) -> Run:
        """Run the image as `docker run IMAGE` would (no command, no user override), plus options,
        publishing the candidate ports on loopback, and wait for GET /healthz to answer 200. If the
        app listens on a port that was not published, run it once more publishing that port."""
        self.on_step(f"running the image ({purpose})")
        ports = self.candidate_ports()
        run = self._start_and_wait(purpose, options, ports)
        if run.answer.ok or not run.started:
            return run
        listeners = probes.listening_sockets(run.container) if run.running else None
        unpublished = [l.port for l in listeners or [] if l.all_interfaces and l.port not in ports]
        if not unpublished:
            return run
        self.on_step(f"running the image again ({purpose}), publishing port {unpublished[0]} it listens on")
        again = self._start_and_wait(f"{purpose}-{unpublished[0]}", options, [*ports, *unpublished[:2]])
        again.notes.append(f"the app listens on port {unpublished[0]}, which the image does not EXPOSE: "
                           "the grader ran it again publishing that port")
        return again

    def run_image(self, key: str, image_id: str) -> Run:
        """Run another image (one the build script pushed, pulled back) as `docker run IMAGE`
        would, once per key, and wait for it to serve."""
        ports = list(dict.fromkeys([DEFAULT_APP_PORT, *self.candidate_ports()]))
        return self.result(f"run {key}", lambda: self._start_and_wait(key, {}, ports, image_id))

    def _start_and_wait(self, name: str, options: dict, ports: list[int], image_id: str | None = None) -> Run:
        started = time.monotonic()
        try:
            container = self.session.create(
                image_id or self.image.id, name=self.session.name(name), network=self.network.name,
                ports={f"{port}/tcp": ("127.0.0.1", None) for port in ports}, **options)
        except docker.errors.APIError as exc:
            return self._not_started(name, None, exc, ports)
        try:
            container.start()
        except docker.errors.APIError as exc:
            return self._not_started(name, container, exc, ports)
        answer, port = probes.wait_for_200(container, ports, HEALTH_PATH, SERVE_LIMIT, started)
        return Run(name, container, answer, port)

    @staticmethod
    def _not_started(name: str, container, exc: docker.errors.APIError, ports: list[int]) -> Run:
        said = (exc.explanation or str(exc)).strip()
        return Run(name, container, probes.HttpAnswer(False, None, 0.0, f"the engine could not start it: {said}"),
                   ports[0], start_error=said)

    def submission_file(self, name: str) -> Path | None:
        """A file of the submission as the learner wrote it (their workspace, else the grader's copy,
        which holds a course solution's inherited files); its lines are kept for the report."""
        for base in (self.context.source, self.context.dir):
            path = base / name
            if path.is_file() and not path.is_symlink():
                self.file_lines.setdefault(name, path.read_text(encoding="utf-8", errors="replace").splitlines())
                return path
        return None

    def dockerfile_text_lines(self) -> list[str]:
        try:
            return self.context.dockerfile.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return []
