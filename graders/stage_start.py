"""Putting a learner at the start of stage N (`python -m graders start --stage N`): their
packaging files are saved to a timestamped backup, then solution N-1's are written (the
starter's, as committed, for stage 1). The app itself is never touched.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import solutions
from .workspace import REPO_ROOT, SAMPLE_APP, WorkspaceError, is_packaging_file

BACKUPS = REPO_ROOT / "backups"


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
    """Every packaging file of solution N, inherited ones included (graders/solutions.py)."""
    if not solutions.folder(stage).is_dir():
        raise WorkspaceError(f"there is no {solutions.folder(stage).relative_to(REPO_ROOT)} to start stage "
                             f"{stage + 1} from")
    return {name: path.read_bytes() for name, path in solutions.files(stage).items()}


def starting_files(stage: int) -> dict[str, bytes]:
    """The packaging files a learner starts stage N from: the starter's for stage 1, else solution N-1's."""
    return _starter_files() if stage == 1 else _solution_files(stage - 1)


@dataclass
class StageStart:
    stage: int
    backup: Path | None
    written: list[str]


def start_stage(stage: int, workspace: Path = SAMPLE_APP) -> StageStart:
    """Save the learner's packaging files, then write the starting point of `stage`."""
    if stage < 1:
        raise WorkspaceError("stages are numbered from 1")
    files = starting_files(stage)
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
