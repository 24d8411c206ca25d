"""The key a verdict is filed under: a content hash of everything the verdict depends on.

A verdict depends on the bytes the grader builds and runs, the stage, and the grader itself, so
the key is a SHA-256 over:

- the build context exactly as the grader makes it (graders/workspace.build_context: what the
  ignore file lets through, laid over the sample app as committed for a packaging-only directory,
  with a course solution's inherited files, the planted sentinel, offline the neutralised
  `# syntax=` line), so a `.venv` or `.git` that BuildKit never sees does not change the key, and
  one it does see does;
- the whole submission as a build script sees it (workspace.copy_for_scripts: tests/ included,
  `.git` and virtual environments not), which stage 3 onwards runs;
- every path, its kind (file, directory, symlink with its target) and its executable bit, since a
  `build.sh` that is not executable is graded differently;
- the stage, whether the registry answered (offline changes the copy), and the grader's version:
  a hash of every file of the graders package and of requirements.txt (the tools' pins), so a
  changed check or catalogue never serves an old verdict.

Not in the key: the engine and its base images. The course's base images are the same on every
engine of a class (`python -m graders images`, or copied between engines by `engines.provision`);
after rebuilding them, grade with `--no-cache`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from functools import cache
from pathlib import Path

from ..workspace import REPO_ROOT, build_context, copy_for_scripts

FORMAT = "dockercourse-verdict-key-1"
GRADERS = REPO_ROOT / "graders"
PINS = REPO_ROOT / "requirements.txt"
NEVER_HASHED = ("__pycache__", ".pytest_cache")
# Parts of the package that never change a verdict: the notebooks' helpers, and this package
# (the cache holds the report itself; the platforms' files are derived from it when written).
NOT_THE_GRADER = ("notebook", "classroom")


def _tree(root: Path, digest, skip: tuple[str, ...] = ()) -> None:
    """Feed `root`'s entries to `digest`, in a fixed order, without following links (`skip`:
    top-level folders left out)."""
    for folder, dirnames, filenames in os.walk(root):
        top = Path(folder) == root
        dirnames[:] = sorted(d for d in dirnames if d not in NEVER_HASHED and not (top and d in skip))
        base = Path(folder)
        for name in sorted(dirnames + filenames):  # (skipped folders are out of dirnames already)
            if name in NEVER_HASHED or name.endswith(".pyc"):
                continue
            path = base / name
            relative = path.relative_to(root).as_posix().encode()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                entry = b"link\0" + os.fsencode(os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                entry = b"dir"
            elif stat.S_ISREG(info.st_mode):
                executable = b"x" if info.st_mode & 0o111 else b"-"
                entry = b"file\0" + executable + b"\0" + hashlib.sha256(path.read_bytes()).digest()
            else:
                continue  # the copies hold no special files
            digest.update(len(relative).to_bytes(4, "big") + relative + b"\0" + entry + b"\n")


@cache
def grader_version() -> str:
    """A hash of the grader's own code, catalogue and tool pins (computed once per process)."""
    digest = hashlib.sha256()
    _tree(GRADERS, digest, skip=NOT_THE_GRADER)
    if PINS.is_file():
        digest.update(PINS.read_bytes())
    return digest.hexdigest()


def verdict_key(path: Path, stage: int, offline: bool) -> str:
    """The key of `path` graded at `stage`. Raises WorkspaceError for what `graders check` refuses
    (no Dockerfile, a Dockerfile linked out of the workspace...): such a submission has no verdict."""
    digest = hashlib.sha256(f"{FORMAT}\0stage {stage}\0offline {offline}\0grader {grader_version()}\0".encode())
    with build_context(Path(path), offline) as context:
        digest.update(b"build context\0")
        _tree(context.dir, digest)
    with tempfile.TemporaryDirectory(prefix="dockercourse-key-") as scratch:
        copy = Path(scratch) / "submission"
        copy_for_scripts(Path(path), copy)
        digest.update(b"script copy\0")
        _tree(copy, digest)
    return digest.hexdigest()
