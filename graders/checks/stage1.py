"""Stage 1, get something working: the image builds, runs, serves, from a sensible base."""

from __future__ import annotations

import glob
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

from .. import os_release, references
from ..dockerfile import Dockerfile, Instruction, expand, unquote
from ..images import STANDIN_LABEL
from ..lint import LintResult
from ..grading import HEALTH_PATH, MAX_PUBLISHED_PORTS, SERVE_LIMIT, Grading, NotChecked
from .base import Outcome, check, failed, passed

OFFICIAL_IMAGE = "python"   # the Docker Official Image (docker.io/library/python) the final stage starts from
# Docker Official Images of operating systems: FROM one of them means Python installed by hand.
OS_IMAGES = frozenset({"almalinux", "alpine", "amazonlinux", "archlinux", "buildpack-deps", "busybox", "centos",
                       "clearlinux", "debian", "fedora", "mageia", "oraclelinux", "photon", "rockylinux", "ubuntu"})
# Words of the official image's tags for its non-Debian variants (docker-library/python: alpine3.2x,
# windowsservercore-ltsc20xx, nanoserver-ltsc20xx).
NON_DEBIAN_TAGS = {"alpine": "Alpine (musl libc)", "windowsservercore": "Windows", "nanoserver": "Windows"}
# What the official image's config says about itself: docker-library/python's Dockerfiles set
# `ENV PYTHON_VERSION` (GPG_KEY only for the versions signed with GPG); the course's offline
# stand-ins copy it and carry STANDIN_LABEL.
OFFICIAL_ENV_MARK = "PYTHON_VERSION"
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")


@check("image-builds", needs_image=False)
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


def _non_debian_variant(tag: str) -> str | None:
    """The non-Debian variant a python tag names (`3.13-alpine3.22`: Alpine), if any."""
    return next((variant for word, variant in NON_DEBIAN_TAGS.items() if word in tag.lower()), None)


def _official_marks(image) -> list[str]:
    """The official python image's marks in an image's config (inherited by every image built FROM it)."""
    config = image.attrs.get("Config") or {}
    marks = [entry for entry in config.get("Env") or [] if entry.partition("=")[0] == OFFICIAL_ENV_MARK]
    if STANDIN_LABEL in (config.get("Labels") or {}):
        marks.append(f"label {STANDIN_LABEL} (the course's offline stand-in)")
    return marks


def _resolved_base(g: Grading):
    """The image the final stage resolves to (the base image, else the built image when the engine
    keeps no copy of it), and a note saying which."""
    if g.base_image is not None:
        return g.base_image, ""
    return g.image, " (read from the built image: the engine keeps no copy of the base)"


def _read_release(g: Grading):
    """Its os-release, read in the background from the moment the image is built."""
    image, _source = _resolved_base(g)
    return g.submit("base-os-release", lambda: os_release.read(g.session, image))


@check("official-python-base", prepare=_read_release)
def official_python_base(g: Grading) -> Outcome:
    """Named as the official python image (on Docker Hub or a registry mirror of it), and resolving to
    it: Linux, Debian by its os-release, with the official image's marks in its config. A digest, a
    mirror or a local tag says nothing of the variant, so the image itself is read."""
    reference, line = g.dockerfile.external_base()
    expected = ("FROM the official python image (docker.io/library/python, or a registry mirror of it), "
                "a Debian-based tag.")
    if "$" in reference or not reference.strip():
        return failed(f"The final stage's base `{g.dockerfile.chain()[0].base_raw}` cannot be resolved from the "
                      "Dockerfile's own ARG defaults.", "A FROM that names the official python image.", line,
                      fix="Give the ARG used in FROM a default value naming a python tag.")
    if references.is_scratch(reference):
        return failed("The final stage is built FROM `scratch`: it starts from no image at all, so it inherits "
                      "nothing of the official python image (its config, its updates, its provenance), whatever "
                      "is copied into it.", expected, line)
    try:
        ref = references.parse(reference)
    except references.InvalidReference as exc:
        return failed(f"`{reference}` is not an image reference Docker accepts ({exc}).", expected, line)
    name = references.library_name(ref)
    if name != OFFICIAL_IMAGE:
        what = (f"the official {name} image, an operating system: Python on it is installed by hand, and keeping "
                "it patched is then your job" if name in OS_IMAGES else "not the official python image")
        return failed(f"The final stage is built from `{reference}`, {what}.", expected, line)
    variant = _non_debian_variant(ref.tag or "")
    if variant:
        return failed(f"`{reference}` names the official image's {variant} variant, not a Debian-based one.",
                      "A Debian-based python tag (e.g. a -slim variant).", line)
    image, source = _resolved_base(g)
    if (image.attrs.get("Os") or "linux") != "linux":
        return failed(f"`{reference}` resolves to a {image.attrs.get('Os')} image{source}, not a Debian-based one.",
                      "A Debian-based python tag (e.g. a -slim variant).", line)
    release = _read_release(g).result()
    if release is None:
        return failed(f"`{reference}` resolves to an image with no /etc/os-release{source}: not the official python "
                      "image.", expected, line)
    if release.is_alpine:
        return failed(f"`{reference}` resolves to {release.name}{source}: musl libc, the Alpine variant, not a "
                      "Debian-based one.", "A Debian-based python tag (e.g. a -slim variant).", line,
                      fix="Use a Debian-based tag (-slim-trixie, -slim): musl cannot use manylinux wheels, so "
                          "packages with C extensions compile from source.")
    if not release.is_debian:
        return failed(f"`{reference}` resolves to {release.name}{source}, not Debian: not the official Debian-based "
                      "python image.", expected, line)
    marks = _official_marks(image)
    if not marks:
        return failed(f"`{reference}` resolves to {release.name} without the official python image's marks (no "
                      f"{OFFICIAL_ENV_MARK} in its environment){source}: an OS image with Python installed by hand, "
                      "under a python name.", expected, line,
                      fix="Start from the official image itself: python:<tag> from Docker Hub, or your registry's "
                          "mirror of docker.io/library/python.")
    what = ("the course's offline stand-in for the official python image" if STANDIN_LABEL in (
        (image.attrs.get("Config") or {}).get("Labels") or {}) else "the official python image")
    via = "" if ref.on_docker_hub else f", through the registry mirror {ref.domain}"
    return passed(f"The final stage starts from `{reference}`: {what}{via} ({release.name}; {marks[0]}).", line)


# The app's code, for absolute-workdir: Python files, or a directory holding them or a project file.
PROJECT_FILES = frozenset({"pyproject.toml", "setup.py", "setup.cfg"})


def _is_code(path: Path) -> bool:
    """A .py file, or a directory holding one (at any depth) or a pyproject.toml/setup.py."""
    if path.is_dir():
        return any(p.suffix == ".py" or p.name in PROJECT_FILES for p in path.rglob("*") if p.is_file())
    return path.suffix == ".py"


def _context_matches(context: Path, source: str) -> list[tuple[str, Path]]:
    """The build-context entries a COPY source names (relative to the context root, globs
    expanded), as (path in the context, path on disk)."""
    relative = posixpath.normpath("/" + source).lstrip("/") or "."
    if glob.has_magic(relative):
        return [(m, context / m) for m in sorted(glob.glob(relative, root_dir=context, include_hidden=True))]
    return [(relative, context / relative)] if (context / relative).exists() else []


def app_copied_into_root(df: Dockerfile, context: Path) -> tuple[Instruction, str] | None:
    """The first COPY/ADD that puts the app's code straight into `/`, and what it puts there.
    Where files land follows Docker's rules: a destination ending in `/` (or `.`), several sources,
    or a directory source mean "into that directory" (a directory's contents, not the directory);
    a single file to a destination without a trailing slash lands AT that path. Sources are looked
    up in the build context (files or directories, globs too); a source from another stage
    (--from), a heredoc, or one missing from the context is judged by its name alone. Entrypoint
    scripts and binaries (`COPY docker-entrypoint.sh /`, `COPY --from=tini /tini /tini`) are not
    code; a single file lands "in /" only as a `.py` there, since a destination such as /app may
    be an existing directory (a WORKDIR creates one)."""
    for instr, workdir in df.workdirs():
        if instr.cmd not in ("COPY", "ADD") or len(instr.args) < 2:
            continue
        variables = df.variables_at(instr)
        written = unquote(expand(instr.args[-1], variables))
        destination = df.path_at(instr, written, workdir)
        entries: list[tuple[str, Path | None]] = []   # (the source's path, its context entry if known)
        for source in (unquote(expand(a, variables)) for a in instr.args[:-1]):
            if instr.cmd == "ADD" and add_source_kind(source) != "local":
                continue  # a URL, a git repository, an archive ADD unpacks: not judged here
            if source.startswith("<<") or instr.flag("from") is not None:
                entries.append((source.lstrip("<-\"'"), None))
            else:
                entries += _context_matches(context, source) or [(source, None)]
        into = (written.endswith("/") or written in (".", "") or len(entries) > 1 or destination == "/"
                or any(entry is not None and entry.is_dir() for _name, entry in entries))
        for name, entry in entries:
            landed = posixpath.join(destination, posixpath.basename(name.rstrip("/"))) if into else destination
            if entry is not None and entry.is_dir():
                if destination == "/" and _is_code(entry):
                    return instr, ("the whole build context, Python code included, lands in /" if name == "."
                                   else f"the contents of {name.rstrip('/')}/ (Python code) land in /")
            elif posixpath.dirname(landed) == "/" and landed.endswith(".py"):
                return instr, f"{name} lands at {landed}"
    return None


@check("absolute-workdir")
def absolute_workdir(g: Grading) -> Outcome:
    df = g.dockerfile
    for instr, workdir in df.workdirs():
        if instr.cmd == "WORKDIR":
            raw = unquote(expand(" ".join(instr.args), df.variables_at(instr)))
            if not raw.startswith("/"):
                return failed(f"`WORKDIR {raw}` is relative: it resolves against whatever WORKDIR came before "
                              f"(here {workdir}).", "An absolute WORKDIR path.", instr.line)
    into_root = app_copied_into_root(df, g.context.dir)
    if into_root:
        instr, what = into_root
        return failed(f"`{instr.original.splitlines()[0].strip()}` copies the app into / ({what}; working "
                      f"directory {df.workdir_at(instr)}).",
                      "The app copied into a directory of its own, such as the WORKDIR.", instr.line)
    configured = g.config.get("WorkingDir") or ""
    last = g.last("WORKDIR")
    if configured in ("", "/"):
        return failed("The image's working directory is / (no WORKDIR in the final stage).",
                      "WORKDIR set to an absolute directory other than /.", last.line if last else g.final_from_line)
    return passed(f"The image's working directory is {configured}.", last.line if last else None)


# What the engine says when it cannot start a container, the instruction that causes it, and a fix.
START_FAILURES = (
    (re.compile(r"unable to find (?:user|group) ([^:\s]+)"), "USER",
     "USER names `{0}`, which the image's /etc/passwd (or /etc/group) does not have: create it in the "
     "final stage before USER (useradd/groupadd; trixie images have no adduser), or give a numeric UID:GID."),
    (re.compile(r'exec: "([^"]+)": executable file not found'), "CMD",
     "`{0}` is not on the image's PATH: install it in the final stage, or name it by its full path "
     "(a virtual environment's bin/ is not on PATH unless ENV PATH says so)."),
    (re.compile(r'exec: "([^"]+)": stat [^:]+: no such file or directory|no such file or directory'), "CMD",
     "The program the container starts with (`{0}`) does not exist in the final image: copy or install it "
     "there (a multi-stage build copies only what COPY --from names)."),
    (re.compile(r'exec: "([^"]+)": permission denied|permission denied'), "CMD",
     "The program the container starts with (`{0}`) is not executable: `COPY --chmod=755` it, or run it "
     "through its interpreter."),
)


def _start_failure(g: Grading, said: str) -> tuple[int, str | None]:
    for pattern, where, fix in START_FAILURES:
        match = pattern.search(said)
        if match:
            instr = g.last("USER") if where == "USER" else g.last("CMD", "ENTRYPOINT")
            return (instr.line if instr else g.start_line), fix.format(match.group(1) if match.groups() and
                                                                      match.group(1) else "its command")
    return g.start_line, None


def _command(g: Grading) -> list[str]:
    return (g.config.get("Entrypoint") or []) + (g.config.get("Cmd") or [])


@check("serves-on-run", containers=("serve",))
def serves_on_run(g: Grading) -> Outcome:
    served = g.serving
    notes = [f"note: {n}" for n in served.notes]
    if served.answer.ok:
        return passed(f"`docker run` with no arguments: GET {HEALTH_PATH} answered 200 after "
                      f"{served.answer.seconds:.1f} s on port {served.port}.", g.start_line, details=notes)
    command = _command(g)
    expected = f"GET {HEALTH_PATH} answers 200 on the app's published port within {SERVE_LIMIT:.0f} s."
    if not served.started:
        line, fix = _start_failure(g, served.start_error or "")
        return failed(f"`docker run` could not start the container (command {command or 'none'}). The engine says: "
                      f"{served.start_error}", expected, line, fix=fix)
    details = [*notes, *([f"container log: {l}" for l in served.logs()] or ["container log: (empty)"])]
    listeners = served.listeners
    if listeners is not None:
        details.append("listening: " + (", ".join(map(str, listeners)) or "nothing"))
    fix = None
    loopback = [l for l in listeners or [] if l.loopback]
    if loopback and not any(l.all_interfaces for l in listeners or []):
        fix = (f"The server listens on {loopback[0]}, which inside a container is reachable only from the "
               "container itself: bind all interfaces (0.0.0.0).")
    elif command in (["python3"], ["python"], []):
        fix = ("The image's command is still the base image's (an interactive Python that exits at once): "
               "set a CMD that starts the app's server.")
    elif served.answer.status == 503:
        fix = _unhealthy_fix(served.logs(40))
    elif served.answer.status is not None and 300 <= served.answer.status < 400:
        fix = "GET /healthz must answer 200 itself, not redirect elsewhere."
    return failed(f"`docker run` with no arguments (command {command or 'none'}): {served.answer.problem}.",
                  expected, g.start_line, fix=fix, details=details)


# What the sample app logs when it cannot create or open its SQLite database (src/shortlinks/app.py:
# "cannot create database …"; sqlite3's "unable to open database file"; a read-only file system).
DATABASE_TROUBLE = re.compile(r"cannot create database|unable to open database|database \S+ unavailable|"
                              r"attempt to write a readonly database|Permission denied: '[^']*data", re.IGNORECASE)


def _unhealthy_fix(log: list[str]) -> str:
    """The nudge for a server that runs but answers /healthz with 503: when its log says the database
    could not be created or opened, point at the data directory (not at how to make one)."""
    said = next((line for line in log if DATABASE_TROUBLE.search(line)), None)
    if said:
        return (f"The app runs but cannot create or open its database (its log: `{said.strip()[:160]}`). The user "
                "the container runs as needs a directory it can write, and the app needs to be told where it "
                "is (DATA_DIR, the app's README). Only that directory: the code should stay unwritable.")
    return ("The server runs, but GET /healthz answers 503: the app is up and unhealthy. Its log (below) says why.")


def _listening(listeners) -> str:
    return ", ".join(map(str, listeners)) or "nothing yet"


@check("exposes-port", containers=("serve",))
def exposes_port(g: Grading) -> Outcome:
    exposed = g.exposed_ports
    expose = g.last("EXPOSE")
    line = expose.line if expose else g.start_line
    if len(exposed) > MAX_PUBLISHED_PORTS:
        return failed(f"EXPOSE names {len(exposed)} ports ({exposed[0]}-{exposed[-1]}): that documents nothing.",
                      "EXPOSE naming the port(s) the app listens on.", line)
    if not exposed:
        run = g.serving
        where = (f"the app listens on {_listening(run.listeners)}" if run.listeners is not None
                 else "the app's port could not be observed: the container is not running")
        return failed(f"The image exposes no port ({where}).", "EXPOSE naming the port the app listens on.",
                      g.start_line)
    listeners = g.running().listeners
    if listeners is None:
        raise NotChecked("Not checked: /proc/net/tcp could not be read inside the container.")
    matching = [l for l in listeners if l.port in exposed]
    if not matching:
        return failed(f"EXPOSE names {', '.join(map(str, exposed))} but the app listens on "
                      f"{', '.join(str(l.port) for l in listeners) or 'no port'}.",
                      "EXPOSE and the server's port agree.", line)
    if not any(l.all_interfaces for l in matching):
        return failed(f"The app listens on {_listening(matching)} only: nothing outside the container can reach it.",
                      "The server binds 0.0.0.0 (all interfaces).", g.start_line)
    return passed(f"EXPOSE {', '.join(map(str, exposed))}; the app listens on {_listening(matching)}.",
                  expose.line if expose else None)


# hadolint's archive suffixes (src/Hadolint/Rule.hs, archiveFileFormatExtensions: DL3020 lets ADD
# unpack them), as it spells them, besides ARCHIVE_SUFFIXES.
HADOLINT_ARCHIVES = (".tar", ".Z", ".bz2", ".gz", ".lz", ".lzma", ".tZ", ".tb2", ".tbz", ".tbz2", ".tgz", ".tlz",
                     ".tpz", ".txz", ".xz")
_URL_SCHEME = re.compile(r"^[a-zA-Z0-9]+://")
_SCP_STYLE = re.compile(r"^[a-zA-Z0-9_-]+@[a-zA-Z0-9.-]+:")  # git@github.com:org/repo.git (BuildKit's sshutil)


def add_source_kind(source: str) -> str:
    """How BuildKit's ADD reads a source (dockerfile2llb/convert_copy.go with dfgitutil.ParseGitRef):
    "git" for a repository (ssh://, git://, an http(s) URL whose path ends in .git, user@host:path),
    "url" for another http:// or https:// URL, "archive" for a local archive it unpacks, else
    "local". (`github.com/org/repo` without a scheme is a local path to ADD.)"""
    scheme = _URL_SCHEME.match(source)
    if scheme:
        protocol = scheme.group(0)[:-3].lower()
        if protocol in ("ssh", "git") or (protocol in ("http", "https") and urlsplit(source).path.endswith(".git")):
            return "git"
        if source.startswith(("http://", "https://")):
            return "url"
    elif _SCP_STYLE.match(source):
        return "git"
    if source.endswith(HADOLINT_ARCHIVES) or source.lower().endswith(ARCHIVE_SUFFIXES):
        return "archive"
    return "local"


def _is_local_add(source: str) -> bool:
    return add_source_kind(source) == "local"


def local_add_lines(df: Dockerfile, lint_result: LintResult) -> tuple[list[int], str]:
    """The lines of ADDs of local files, and which reading found them. hadolint's DL3020 when it
    parsed the file, minus the ADDs whose every source is a URL, a git repository or an archive
    (hadolint 2.15.1 flags `ADD git@github.com:org/repo.git`, `ssh://` and `git://` sources: not
    local files); else the grader's own reading of BuildKit's parse, with the same rule."""
    adds = {i.line: i for i in df.instructions if i.cmd == "ADD"}

    def local(instr: Instruction) -> bool:
        variables = df.variables_at(instr)
        return any(_is_local_add(unquote(expand(s, variables))) for s in instr.args[:-1])

    if lint_result.parsed:
        findings = [f.line for f in lint_result.of("DL3020")]
        lines = [line for line in findings if line not in adds or local(adds[line])]
        left_out = " (its findings on git or URL sources left out: not local files)" if len(lines) < len(findings) else ""
        return lines, f"hadolint DL3020{left_out}"
    return ([line for line, instr in adds.items() if local(instr)],
            "the grader's own reading: hadolint cannot parse this Dockerfile")


@check("copy-not-add")
def copy_not_add(g: Grading) -> Outcome:
    lines, source = local_add_lines(g.dockerfile, g.lint)
    if lines:
        text = g.dockerfile.lines[lines[0] - 1].strip()
        return failed(f"`{text}` uses ADD for local files ({source}).",
                      "COPY for files and directories from the build context.", lines[0],
                      details=[f"also line {n}" for n in lines[1:]])
    return passed(f"No ADD of local files ({source}).")
