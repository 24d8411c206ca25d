"""The learner's workspace and the build contexts made from it.

- `build_context()` copies what is graded into a temporary directory, removed afterwards. The
  learner's files are never written, and what the grader reads is what BuildKit builds:
  - the copy holds what `docker build` would send: what the ignore file (`Dockerfile.dockerignore`,
    else `.dockerignore`) does not exclude, matched with Docker's own semantics (docker-py's port
    of its matcher), plus the Dockerfile, the ignore files and the root `.env` (the stage-2 secret
    check's target; BuildKit applies the ignore file itself when it builds);
  - a Dockerfile or ignore file that is a symlink to a regular file inside the workspace is copied
    as a regular file holding that file's content; one that points anywhere else is refused
    (WorkspaceError). Other symlinks stay links, as `docker build` sends them (a link to
    /etc/shadow names the image's own file); nothing is ever written through a link. Special files
    (FIFOs, sockets, devices) are left out, and said so;
  - a workspace with the app is copied as it is; a directory holding only packaging files (a
    `solutions/stageN/`) is laid over the sample app as committed (`exercises/` at git HEAD, minus
    packaging files), or over the working tree's `exercises/` when the course directory is not a
    git clone (said in `notes`);
  - the copy's `.env` gets the sentinel secret planted, and offline a `# syntax=` line is
    neutralised in the copy; each is said in `notes`.
(Putting a learner at the start of a stage is graders/stage_start.py.)
"""

from __future__ import annotations

import contextlib
import fnmatch
import io
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from docker.utils.build import PatternMatcher

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = REPO_ROOT / "exercises"
SOLUTIONS = REPO_ROOT / "solutions"

# Files that package the app rather than being the app. Solutions hold only these.
PACKAGING_PATTERNS = (
    "Dockerfile", "Dockerfile.*", "*.Dockerfile", "Containerfile", ".dockerignore", "build.sh",
    "requirements*.txt", "constraints*.txt", "*.lock", ".hadolint.yaml", ".github",
)
# Never part of the sample app laid under a packaging-only directory.
CACHES = ("__pycache__", ".pytest_cache")

# The root files BuildKit itself reads (the Dockerfile, and the ignore file next to it, which wins
# over the context's .dockerignore): the copy holds them as regular files, so the grader reads the
# bytes BuildKit builds.
DOCKERFILE = "Dockerfile"
IGNORE_FILES = ("Dockerfile.dockerignore", ".dockerignore")
# Always in the copy, whatever the ignore file says (.env: the sentinel's place).
ALWAYS_COPIED = tuple(f"!{name}" for name in (DOCKERFILE, *IGNORE_FILES, ".env"))

# The fake secret of the stage-2 lesson. exercises/.env holds it; a context without it gets it
# planted, so `no-secrets-in-image` always has something to look for.
SENTINEL = "course-sentinel-do-not-ship-3f9c2a7e51d04b6b"
SENTINEL_LINE = f"SECRET_KEY={SENTINEL}"


class WorkspaceError(Exception):
    """The path to grade is unusable (missing, no Dockerfile, a Dockerfile linked out of it...)."""


def is_packaging_file(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in PACKAGING_PATTERNS)


def has_app(path: Path) -> bool:
    return (path / "pyproject.toml").is_file()


@dataclass
class BuildContext:
    source: Path          # what was asked to be graded
    dir: Path             # the temporary build context
    dockerfile: Path      # the Dockerfile inside it
    overlay: bool         # packaging files laid over the sample app
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        try:
            return str(self.source.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(self.source)


# --- the root files BuildKit reads -------------------------------------------------------------

def _root_file(source: Path, name: str) -> Path:
    """Where to read `source/name` from: itself, or, for a symlink, its target, which must be a
    regular file inside the workspace (else WorkspaceError, one line: the link, its target, the fix)."""
    link = source / name
    if not link.is_symlink():
        return link
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop (RuntimeError before Python 3.13)
        problem = "which does not exist"
    else:
        if not target.is_file():
            problem = "which is not a regular file"
        elif not target.is_relative_to(source.resolve()):
            problem = "outside the workspace"
        else:
            return target
    raise WorkspaceError(f"{link} is a symbolic link to {os.readlink(link)}, {problem}: "
                         f"replace the link with a regular file in the workspace holding what to build")


def _root_files(source: Path) -> dict[str, Path]:
    """The Dockerfile and ignore files of `source`, each mapped to where it is read from."""
    return {name: _root_file(source, name) for name in (DOCKERFILE, *IGNORE_FILES)}


def _ignore_patterns(root_files: dict[str, Path]) -> list[str]:
    """The patterns of the ignore file BuildKit uses, read as it reads them (moby/patternmatcher
    ignorefile: a BOM dropped, `#` comments only in column 1, lines trimmed, blank ones skipped)."""
    for name in IGNORE_FILES:
        if root_files[name].is_file():
            text = root_files[name].read_text(encoding="utf-8", errors="replace").removeprefix("\ufeff")
            return [line.strip() for line in text.split("\n") if not line.startswith("#") and line.strip()]
    return []


# --- copying without following links -----------------------------------------------------------

def _make_room(target: Path, for_dir: bool) -> None:
    """Clear `target` in the copy for a new entry, so nothing is written through a link: keep a
    real directory a directory is merged into, remove anything else."""
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(mode):
        target.unlink()
    elif not for_dir:
        shutil.rmtree(target)


def _make_dir(target: Path) -> None:
    _make_room(target, for_dir=True)
    target.mkdir(exist_ok=True)


def _copy_entry(origin: Path, target: Path) -> int | None:
    """Copy one entry as it is, never following a link: a directory (made, or merged into), a
    symlink (as a link), a regular file (content and mode). Returns its mode; None for a special
    file, which is not copied."""
    mode = origin.lstat().st_mode
    if stat.S_ISDIR(mode):
        _make_dir(target)
    elif stat.S_ISLNK(mode):
        _make_room(target, for_dir=False)
        os.symlink(os.readlink(origin), target)
    elif stat.S_ISREG(mode):
        _make_room(target, for_dir=False)
        shutil.copy2(origin, target, follow_symlinks=False)
    else:
        return None
    return mode


def _missing_parents(entry: str, made: set[str]) -> list[str]:
    """The ancestors of `entry` not in `made`, outermost first."""
    missing = []
    parent = os.path.dirname(entry)
    while parent not in made:
        missing.append(parent)
        parent = os.path.dirname(parent)
    return missing[::-1]


def _copy_entries(source: Path, destination: Path, entries: Iterable[str],
                  origins: dict[str, Path] | None = None) -> list[str]:
    """Copy the `entries` of `source` (relative paths, parents first) into `destination`, over
    what is there; `origins` says where some are read from instead. Directories get their modes
    once filled. Returns the special files left out."""
    origins = origins or {}
    made = {""}  # the directories of the copy made (or merged into) so far
    dirs: list[tuple[Path, Path]] = []
    skipped: list[str] = []
    for entry in entries:
        for parent in _missing_parents(entry, made):  # those an exception reached into
            _make_dir(destination / parent)
            made.add(parent)
            dirs.append((source / parent, destination / parent))
        origin, target = origins.get(entry, source / entry), destination / entry
        mode = _copy_entry(origin, target)
        if mode is None:
            skipped.append(entry)
        elif stat.S_ISDIR(mode):
            made.add(entry)
            dirs.append((origin, target))
    for origin, target in reversed(dirs):
        shutil.copystat(origin, target)
    return skipped


def _sent_entries(source: Path, patterns: list[str]) -> Iterator[str]:
    """What `docker build` sends of `source` with these ignore patterns, plus ALWAYS_COPIED; an
    excluded directory is not walked unless an exception reaches into it."""
    return PatternMatcher([*patterns, *ALWAYS_COPIED]).walk(str(source))


# --- the sample app under a packaging-only directory -------------------------------------------

def _left_out_of_app(relative: str) -> bool:
    return any(is_packaging_file(part) or part in CACHES for part in PurePosixPath(relative).parts)


def _git(*args: str) -> bytes | None:
    """The output of a git command in the course directory; None if it fails (no git, no clone)."""
    try:
        done = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _committed_app() -> bytes | None:
    """A tar of `exercises/` at HEAD of the course repository; None when the course directory is
    not (the top of) a git clone."""
    top = _git("rev-parse", "--show-toplevel")
    if top is None or Path(os.fsdecode(top.strip())).resolve() != REPO_ROOT.resolve():
        return None
    return _git("archive", "--format=tar", "HEAD", f"{SAMPLE_APP.relative_to(REPO_ROOT).as_posix()}/")


def _extract_app(archive: bytes, destination: Path) -> None:
    """Unpack the committed app into `destination`, without its packaging files, keeping modes."""
    prefix = f"{SAMPLE_APP.relative_to(REPO_ROOT).as_posix()}/"
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = []
        for member in tar.getmembers():
            relative = member.name.removeprefix(prefix)
            if member.name.startswith(prefix) and relative and not _left_out_of_app(relative):
                member.name = relative
                members.append(member)
        tar.extractall(destination, members=members, filter="tar")


def _working_tree_app() -> Iterator[str]:
    """The entries of the working tree's `exercises/`, parents first, without packaging files."""
    for folder, dirnames, filenames in os.walk(SAMPLE_APP):
        relative = PurePosixPath(Path(folder).relative_to(SAMPLE_APP).as_posix())
        dirnames[:] = [name for name in dirnames if not _left_out_of_app(name)]
        yield from (str(relative / name) for name in dirnames + filenames if not _left_out_of_app(name))


def copy_app(destination: Path) -> list[str]:
    """The sample app (without its packaging files) laid into `destination`, as committed; the notes."""
    notes: list[str] = []
    _copy_app(destination, notes)
    return notes


def _copy_app(destination: Path, notes: list[str]) -> list[str]:
    """Lay the sample app into `destination`: as committed, or from the working tree when the
    course directory is not a git clone (noted). Returns the special files left out."""
    archive = _committed_app()
    if archive is not None:
        _extract_app(archive, destination)
        return []
    notes.append(f"{REPO_ROOT} is not a git clone, so the sample app was copied from the working tree of "
                 f"{SAMPLE_APP} (edits there included), not as committed")
    return _copy_entries(SAMPLE_APP, destination, _working_tree_app())


def _copy_inherited(source: Path, destination: Path, notes: list[str]) -> None:
    """A course solution (solutions/stageN) gets the files it takes from earlier stages' solutions."""
    from . import solutions  # (it reads this module's paths)

    stage = solutions.stage_of(source)
    taken = solutions.inherited_files(stage) if stage else {}
    for name, path in taken.items():
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination / name)
    if taken:
        notes.append(f"solution {stage} takes {', '.join(sorted(taken))} unchanged from earlier stages' solutions "
                     "(solutions/stages.toml)")


# --- what the grader changes in its copy -------------------------------------------------------

def _neutralise_syntax_directive(dockerfile: Path) -> bool:
    """Offline, a `# syntax=` directive cannot be resolved: comment it out, keeping line numbers."""
    lines = dockerfile.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
    changed = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith("#"):
            break
        key = stripped.lstrip("#").split("=", 1)[0].strip().lower()
        if "=" not in stripped or not key.isalnum():
            break  # a plain comment ends the directives
        if key == "syntax":
            lines[i] = "# (grader, offline: syntax directive neutralised) " + stripped.lstrip("#").strip() + "\n"
            changed = True
    if changed:
        dockerfile.write_text("".join(lines), encoding="utf-8")
    return changed


def _plant_sentinel(context: Path, notes: list[str]) -> None:
    env = context / ".env"
    if env.is_symlink() or (env.exists() and not env.is_file()):
        return  # never written through a link (it may name a host file, or none yet)
    if not env.exists():
        env.write_text(f"# planted by the grader: the workspace had no .env\n{SENTINEL_LINE}\n")
        notes.append("the workspace has no .env; the grader planted one holding the sentinel secret in its copy")
    elif SENTINEL not in env.read_text(encoding="utf-8", errors="replace"):
        with env.open("a", encoding="utf-8") as fh:
            fh.write(f"\n{SENTINEL_LINE}\n")
        notes.append("the workspace's .env lacked the sentinel secret; the grader added it in its copy")


def _note_skipped(skipped: list[str], notes: list[str]) -> None:
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        notes.append(f"special files (FIFOs, sockets, devices) are not copied into the grader's copy: {shown}")


@contextlib.contextmanager
def build_context(source: Path, offline: bool) -> Iterator[BuildContext]:
    """A temporary copy of what is graded, removed afterwards, whatever happens."""
    source = Path(source)
    if not source.is_dir():
        raise WorkspaceError(f"{source} is not a directory")
    root_files = _root_files(source)
    if not root_files[DOCKERFILE].is_file():
        raise WorkspaceError(f"no Dockerfile in {source}: write one there (the starter is exercises/Dockerfile)")
    _within_limits(root_files[DOCKERFILE], source)
    root = Path(tempfile.mkdtemp(prefix="dockercourse-"))
    try:
        context = root / "context"
        context.mkdir()
        built = BuildContext(source, context, context / DOCKERFILE, overlay=not has_app(source))
        skipped: list[str] = []
        if built.overlay:
            built.notes.append(f"{source} holds packaging files only: graded laid over a copy of the sample app")
            skipped += _copy_app(context, built.notes)
            _copy_inherited(source, context, built.notes)
        sent = _bounded(source, _sent_entries(source, _ignore_patterns(root_files)))
        skipped += _copy_entries(source, context, sent, root_files)
        _note_skipped(skipped, built.notes)
        _plant_sentinel(context, built.notes)
        if offline and _neutralise_syntax_directive(built.dockerfile):
            built.notes.append("no registry answers, so the `# syntax=` line was neutralised in the grader's copy "
                               "(the builder's own Dockerfile frontend was used)")
        yield built
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _within_limits(dockerfile: Path, source: Path) -> None:
    """A Dockerfile larger than any real one is refused before it is read (graders/limits.py)."""
    from . import limits

    size, most = dockerfile.stat().st_size, int(limits.value("dockerfile_bytes"))
    if size > most:
        raise WorkspaceError(f"the Dockerfile in {source} is {size / 1e6:.1f} MB; the grader reads at most "
                             f"{most / 1e6:.1f} MB ({limits.LIMITS['dockerfile_bytes'].env})")


def _bounded(source: Path, entries: Iterable[str]) -> list[str]:
    """The entries to send, refused when there are more files or bytes than the grader takes:
    what .dockerignore lets through is what a build would send to BuildKit."""
    from . import limits

    most_files, most_bytes = int(limits.value("context_files")), int(limits.value("context_bytes"))
    chosen, total = [], 0
    for entry in entries:
        chosen.append(entry)
        with contextlib.suppress(OSError):
            info = (source / entry).lstat()
            total += info.st_size if stat.S_ISREG(info.st_mode) else 0
        if len(chosen) > most_files or total > most_bytes:
            what = (f"more than {most_files} files" if len(chosen) > most_files else f"more than {most_bytes / 1e6:.0f} MB")
            raise WorkspaceError(f"the build context of {source} holds {what} after .dockerignore (the grader's limit: "
                                 f"{limits.LIMITS['context_files' if len(chosen) > most_files else 'context_bytes'].env}); "
                                 "keep what the image does not need out of it with .dockerignore")
    return chosen


# Never copied for a build script: the learner's own repository and virtual environment.
NOT_FOR_SCRIPTS = (".git", ".venv", "venv", "**/__pycache__", ".pytest_cache")


def copy_for_scripts(source: Path, destination: Path) -> list[str]:
    """The whole submission as a build script sees it in a fresh checkout: every file of the
    workspace (tests/ included, whatever .dockerignore keeps out of the build context), except its
    .git and virtual environment; a packaging-only directory laid over the sample app as committed
    (and a course solution's inherited files). Nothing is written through a link; notes returned."""
    source = Path(source)
    if not source.is_dir():
        raise WorkspaceError(f"{source} is not a directory")
    root_files = _root_files(source)
    notes: list[str] = []
    skipped: list[str] = []
    destination.mkdir(parents=True, exist_ok=True)
    if not has_app(source):
        skipped += _copy_app(destination, notes)
        _copy_inherited(source, destination, notes)
    skipped += _copy_entries(source, destination, _sent_entries(source, list(NOT_FOR_SCRIPTS)), root_files)
    _note_skipped(skipped, notes)
    return notes
