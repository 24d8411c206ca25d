"""Stage 1, get something working: the image builds, runs, serves, from a sensible base."""

from __future__ import annotations

import posixpath

from ..dockerfile import expand
from ..grading import HEALTH_PATH, SERVE_LIMIT, Grading
from .. import probes
from .base import Outcome, check, errored, failed, passed

OFFICIAL_REPOSITORIES = ("python", "library/python", "docker.io/library/python", "index.docker.io/library/python")
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")


@check("image-builds")
def image_builds(g: Grading) -> Outcome:
    result = g.build
    if result.ok:
        cached = f", {len(result.cached_steps)} steps from cache" if result.cached_steps else ""
        return passed(f"Built with BuildKit in {result.seconds:.1f} s{cached}.")
    where = f" at step {result.failed_step}" if result.failed_step else ""
    return failed(
        f"The build failed{where}: {result.error}",
        "`docker buildx build` succeeds.",
        line=result.line,
        fix=("The build hung or took too long: look for a step waiting for input or a network that never answers."
             if result.timed_out else None),
        details=result.tail(),
    )


def split_reference(reference: str) -> tuple[str, str]:
    """'python:3.13-slim@sha256:…' -> ('python', '3.13-slim')."""
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon].lower(), name[colon + 1:]
    return name.lower(), "latest"


@check("official-python-base")
def official_python_base(g: Grading) -> Outcome:
    reference, line = g.dockerfile.external_base()
    repository, tag = split_reference(reference)
    if "$" in reference or not repository:
        return failed(f"The final stage's base `{g.dockerfile.chain()[0].base_raw}` cannot be resolved from the "
                      "Dockerfile's own ARG defaults.", "A FROM that names the official python image.", line,
                      fix="Give the ARG used in FROM a default value naming a python tag.")
    if repository not in OFFICIAL_REPOSITORIES:
        return failed(f"The final stage is built from `{reference}`, not the official python image.",
                      "FROM python:<tag> (the official, Debian-based image).", line)
    if "alpine" in tag or "windows" in tag or "nanoserver" in tag:
        return failed(f"The final stage uses `{reference}`, which is not a Debian-based variant.",
                      "A Debian-based python tag (e.g. a -slim variant).", line)
    return passed(f"The final stage starts from `{reference}`.", line)


@check("absolute-workdir")
def absolute_workdir(g: Grading) -> Outcome:
    workdir = "/"
    for instr in g.dockerfile.final_instructions():
        if instr.cmd == "WORKDIR":
            raw = expand(" ".join(instr.args), g.dockerfile.variables_at(instr))
            if not raw.startswith("/"):
                return failed(f"`WORKDIR {raw}` is relative: it resolves against whatever WORKDIR came before "
                              f"(here {workdir}).", "An absolute WORKDIR path.", instr.line)
            workdir = posixpath.normpath(raw)
        elif instr.cmd in ("COPY", "ADD") and instr.flag("from") is None and len(instr.args) >= 2:
            destination = expand(instr.args[-1], g.dockerfile.variables_at(instr))
            resolved = posixpath.normpath(posixpath.join(workdir, destination))
            if resolved == "/":
                return failed(f"`{instr.original.splitlines()[0]}` copies the app into / "
                              f"(working directory {workdir}).",
                              "The app copied into a directory of its own, such as the WORKDIR.", instr.line)
    configured = g.config.get("WorkingDir") or ""
    last = g.last("WORKDIR")
    if configured in ("", "/"):
        return failed("The image's working directory is / (no WORKDIR in the final stage).",
                      "WORKDIR set to an absolute directory other than /.", last.line if last else g.final_from_line)
    return passed(f"The image's working directory is {configured}.", last.line if last else None)


@check("serves-on-run")
def serves_on_run(g: Grading) -> Outcome:
    served = g.serving
    if served.answer.ok:
        return passed(f"`docker run` with no arguments: GET {HEALTH_PATH} answered 200 after "
                      f"{served.answer.seconds:.1f} s on port {served.port}.", g.start_line)
    details = [f"container log: {l}" for l in served.logs()] or ["container log: (empty)"]
    listeners = probes.listening_sockets(served.container) if served.running else None
    if listeners is not None:
        details.append("listening: " + (", ".join(f"{l.address}:{l.port}" for l in listeners) or "nothing"))
    command = g.config.get("Entrypoint") or []
    command = (command or []) + (g.config.get("Cmd") or [])
    fix = None
    loopback = [l for l in listeners or [] if l.address.startswith("127.") or l.address == "::1"]
    if loopback and not any(l.all_interfaces for l in listeners or []):
        fix = (f"The server listens on {loopback[0].address}:{loopback[0].port}, which inside a container is "
               "reachable only from the container itself: bind all interfaces (0.0.0.0).")
    elif command in (["python3"], ["python"], []):
        fix = ("The image's command is still the base image's (an interactive Python that exits at once): "
               "set a CMD that starts the app's server.")
    return failed(
        f"`docker run` with no arguments (command {command or 'none'}): {served.answer.problem}.",
        f"GET {HEALTH_PATH} answers 200 on port {served.port} within {SERVE_LIMIT:.0f} s.",
        g.start_line, fix=fix, details=details,
    )


@check("exposes-port")
def exposes_port(g: Grading) -> Outcome:
    exposed = sorted(int(p.split("/")[0]) for p in (g.config.get("ExposedPorts") or {}) if p.endswith("/tcp"))
    expose = g.last("EXPOSE")
    served = g.serving
    listeners = probes.listening_sockets(served.container) if served.running else None
    if not exposed:
        where = (f"the app listens on {', '.join(f'{l.address}:{l.port}' for l in listeners) or 'nothing yet'}"
                 if listeners is not None else "the app's port could not be observed: the container is not running")
        return failed(f"The image exposes no port ({where}).",
                      "EXPOSE naming the port the app listens on.", g.start_line)
    if listeners is None:
        return errored(f"EXPOSE {', '.join(map(str, exposed))}, but the container is not running, so the port the app "
                       "listens on could not be compared (see serves-on-run).", expose.line if expose else None)
    listening = {l.port for l in listeners}
    matching = [l for l in listeners if l.port in exposed]
    if not matching:
        return failed(f"EXPOSE names {', '.join(map(str, exposed))} but the app listens on "
                      f"{', '.join(map(str, sorted(listening))) or 'no port'}.",
                      "EXPOSE and the server's port agree.", expose.line if expose else None)
    if not any(l.all_interfaces for l in matching):
        bound = ", ".join(f"{l.address}:{l.port}" for l in matching)
        return failed(f"The app listens on {bound} only: nothing outside the container can reach it.",
                      "The server binds 0.0.0.0 (all interfaces).", g.start_line)
    return passed(f"EXPOSE {', '.join(map(str, exposed))}; the app listens on "
                  + ", ".join(f"{l.address}:{l.port}" for l in matching) + ".", expose.line if expose else None)


def _is_local_add(source: str) -> bool:
    lowered = source.lower()
    if "://" in lowered or lowered.startswith("git@"):
        return False
    return not lowered.endswith(ARCHIVE_SUFFIXES)


@check("copy-not-add")
def copy_not_add(g: Grading) -> Outcome:
    lint = g.lint
    if lint.parsed:
        findings = lint.of("DL3020")
        lines = [f.line for f in findings]
        source = "hadolint DL3020"
    else:
        lines = [i.line for i in g.dockerfile.instructions
                 if i.cmd == "ADD" and any(_is_local_add(s) for s in i.args[:-1])]
        source = "the grader's own reading: hadolint cannot parse this Dockerfile"
    if lines:
        text = g.dockerfile.lines[lines[0] - 1].strip()
        return failed(f"`{text}` uses ADD for local files ({source}).",
                      "COPY for files and directories from the build context.", lines[0],
                      details=[f"also line {n}" for n in lines[1:]])
    return passed(f"No ADD of local files ({source}).")
