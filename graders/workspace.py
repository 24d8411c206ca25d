"""The learner's workspace and the build contexts made from it.

- `build_context()` copies what is graded into a temporary directory (the learner's files are
  never written): a workspace with the app is copied as it is; a directory holding only
  packaging files (a `solutions/stageN/`) is laid over a copy of the sample app.
- `start_stage()` puts a learner at the start of stage N: it saves their packaging files to a
  timestamped backup, then writes solution N-1's (the starter's, for stage 1).
"""

from __future__ import annotations

import contextlib
import fnmatch
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_APP = REPO_ROOT / "exercises"
SOLUTIONS = REPO_ROOT / "solutions"
BACKUPS = REPO_ROOT / "backups"

# Files that package the app rather than being the app. Solutions hold only these.
PACKAGING_PATTERNS = (
    "Dockerfile", "Dockerfile.*", "*.Dockerfile", "Containerfile", ".dockerignore", "build.sh",
    "requirements*.txt", "constraints*.txt", "*.lock", ".hadolint.yaml", ".github",
)

# The fake secret of the stage-2 lesson. exercises/.env holds it; a context without it gets it
# planted, so `no-secrets-in-image` always has something to look for.
SENTINEL = "course-sentinel-do-not-ship-3f9c2a7e51d04b6b"
SENTINEL_LINE = f"SECRET_KEY={SENTINEL}"


class WorkspaceError(Exception):
    """The path to grade is unusable (missing, no Dockerfile...)."""


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


def _copy_app(destination: Path) -> None:
    shutil.copytree(
        SAMPLE_APP, destination, symlinks=True,
        ignore=lambda _dir, names: [n for n in names if is_packaging_file(n) or n in ("__pycache__", ".pytest_cache")],
    )


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
        return
    if not env.exists():
        env.write_text(f"# planted by the grader: the workspace had no .env\n{SENTINEL_LINE}\n")
        notes.append("the workspace has no .env; the grader planted one holding the sentinel secret in its copy")
    elif SENTINEL not in env.read_text(encoding="utf-8", errors="replace"):
        with env.open("a", encoding="utf-8") as fh:
            fh.write(f"\n{SENTINEL_LINE}\n")
        notes.append("the workspace's .env lacked the sentinel secret; the grader added it in its copy")


@contextlib.contextmanager
def build_context(source: Path, offline: bool) -> Iterator[BuildContext]:
    """A temporary copy of what is graded, removed afterwards, whatever happens."""
    source = Path(source)
    if not source.is_dir():
        raise WorkspaceError(f"{source} is not a directory")
    if not (source / "Dockerfile").is_file():
        raise WorkspaceError(f"no Dockerfile in {source}: write one there (the starter is exercises/Dockerfile)")
    root = Path(tempfile.mkdtemp(prefix="dockercourse-"))
    try:
        context = root / "context"
        overlay = not has_app(source)
        if overlay:
            _copy_app(context)
            shutil.copytree(source, context, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copytree(source, context, symlinks=True)
        built = BuildContext(source, context, context / "Dockerfile", overlay)
        if overlay:
            built.notes.append(f"{source} holds packaging files only: graded laid over a copy of the sample app")
        _plant_sentinel(context, built.notes)
        if offline and _neutralise_syntax_directive(built.dockerfile):
            built.notes.append("no registry answers, so the `# syntax=` line was neutralised in the grader's copy "
                               "(the builder's own Dockerfile frontend was used)")
        yield built
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _starter_files() -> dict[str, bytes]:
    """The packaging files of exercises/ as the course ships them (from git)."""
    listing = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-tree", "--name-only", "HEAD", "exercises/"],
                             capture_output=True, text=True)
    if listing.returncode != 0:
        raise WorkspaceError("stage 1 restores the starter from git, but this course directory is not a git clone")
    files = {}
    for path in listing.stdout.split():
        name = Path(path).name
        if is_packaging_file(name):
            files[name] = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"HEAD:{path}"],
                                         capture_output=True, check=True).stdout
    return files


def _solution_files(stage: int) -> dict[str, bytes]:
    folder = SOLUTIONS / f"stage{stage}"
    if not folder.is_dir():
        raise WorkspaceError(f"there is no {folder.relative_to(REPO_ROOT)} to start stage {stage + 1} from")
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class StageStart:
    stage: int
    backup: Path | None
    written: list[str]


def start_stage(stage: int, workspace: Path = SAMPLE_APP) -> StageStart:
    """Save the learner's packaging files, then write the starting point of `stage`."""
    if stage < 1:
        raise WorkspaceError("stages are numbered from 1")
    files = _starter_files() if stage == 1 else _solution_files(stage - 1)
    current = [p for p in sorted(workspace.iterdir()) if is_packaging_file(p.name)]
    backup = None
    if current:
        backup = BACKUPS / f"{time.strftime('%Y%m%d-%H%M%S')}-before-stage{stage}"
        suffix = 1
        while backup.exists():
            backup = backup.with_name(f"{backup.name.split('~')[0]}~{suffix}")
            suffix += 1
        backup.mkdir(parents=True)
        for path in current:
            if path.is_dir() and not path.is_symlink():
                shutil.copytree(path, backup / path.name, symlinks=True)
            else:
                shutil.copy2(path, backup / path.name, follow_symlinks=False)
        for path in current:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for name, content in files.items():
        target = workspace / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if name.endswith(".sh"):
            target.chmod(0o755)
    return StageStart(stage, backup, sorted(files))
