"""Which lock files the build installs the app's dependencies from, read from the Dockerfile.

For each dependency install of the stages the final image is made from (graders/installs.py), and
each `pip-sync FILE` / `uv pip sync FILE`:

- `pip install -r FILE` / `uv pip install -r FILE` (also `-c FILE`, a constraints file), `pip-sync
  FILE`: FILE, found in the build context through the COPY, ADD or bind mount that put it where
  the RUN reads it, else by its path or name in the context;
- `uv sync`: the project's uv.lock;
- a requirements file the build itself writes (`uv export`: then the lock is the uv.lock it is
  exported from; `pip-compile` at build time: no lock, a resolution on the day of the build);
- anything else that installs dependencies (`pip install .` without --no-deps, `pip install
  flask`): no lock at all, said so with the command.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path

from . import installs, locks
from .dockerfile import Dockerfile, Instruction, Stage

SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__"})


@dataclass(frozen=True)
class LockUse:
    instr: Instruction               # the RUN
    command: str                     # the installer command, as written (variables expanded)
    tool: str                        # "pip", "uv", "pip-sync", "poetry"...
    named: str | None                # the file as the RUN names it
    lock: locks.Lock | None
    constraints: bool = False        # -c FILE: it only caps versions, it adds nothing
    problem: str | None = None       # why there is no lock to read


def _before(df: Dockerfile, stage: Stage, target: Instruction) -> list[Instruction]:
    """The instructions of `stage`'s chain that run before `target`."""
    found = []
    for s in df.chain(stage):
        for instr in s.instructions:
            if instr is target:
                return found
            found.append(instr)
    return found


def _copy_parts(instr: Instruction) -> tuple[list[str], str] | None:
    words = [w for w in instr.args if w]
    if len(words) < 2:
        return None
    return words[:-1], words[-1]


def _within(context: Path, relative: str) -> Path | None:
    path = (context / relative.lstrip("/")).resolve()
    return path if path.is_file() and path.is_relative_to(context.resolve()) else None


def find_in_context(df: Dockerfile, stage: Stage, instr: Instruction, named: str, context: Path) -> Path | None:
    """The context file a RUN reads as `named` (relative to its working directory, or absolute)."""
    target = df.path_at(instr, named)
    for mount in installs.mounts(instr):
        if mount.get("type") == "bind" and not mount.get("from") and mount.get("source"):
            where = df.path_at(instr, mount["target"])
            if target == where or target.startswith(where.rstrip("/") + "/"):
                rest = posixpath.relpath(target, where)
                found = _within(context, posixpath.normpath(posixpath.join(mount["source"], rest)))
                if found:
                    return found
    for copy in reversed(_before(df, stage, instr)):
        if copy.cmd not in ("COPY", "ADD") or copy.flag("from") is not None or not (parts := _copy_parts(copy)):
            continue
        sources, dest = parts
        landing = df.path_at(copy, dest)
        for source in sources:
            if target in (landing, posixpath.join(landing, posixpath.basename(source.rstrip("/")))):
                if found := _within(context, source):
                    return found
            elif target.startswith(landing.rstrip("/") + "/") and (found := _within(
                    context, posixpath.join(source, posixpath.relpath(target, landing)))):
                return found    # COPY requirements/ ./requirements/
    if not named.startswith("/") and (found := _within(context, named)):
        return found
    by_name = sorted(p for p in context.rglob(posixpath.basename(named))
                     if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(context).parts))
    return by_name[0] if len(by_name) == 1 else None


def _generated(df: Dockerfile) -> dict[str, Instruction]:
    """Lock writers the build runs: {"uv export": RUN, "pip-compile": RUN}."""
    found: dict[str, Instruction] = {}
    for stage in installs.used_stages(df):
        for instr in stage.of("RUN"):
            for cmd in df.commands(instr):
                if cmd.name == "uv" and "export" in cmd.args[:3]:
                    found.setdefault("uv export", instr)
                elif cmd.name in ("pip-compile", "uv") and (cmd.name == "pip-compile" or cmd.args[:2] == ("pip", "compile")):
                    found.setdefault("pip-compile", instr)
    return found


def _sync_commands(df: Dockerfile) -> list[tuple[Stage, Instruction, str, tuple[str, ...], str]]:
    """(stage, RUN, tool, files, command) of each `pip-sync FILE...` / `uv pip sync FILE...`."""
    found = []
    for stage in installs.used_stages(df):
        for instr in stage.of("RUN"):
            for cmd in df.commands(instr):
                if cmd.name == "pip-sync":
                    words, tool = cmd.args, "pip-sync"
                elif cmd.name == "uv" and cmd.args[:2] == ("pip", "sync"):
                    words, tool = cmd.args[2:], "uv pip sync"
                else:
                    continue
                _values, files, _flags = installs._option_values(tuple(words))
                found.append((stage, instr, tool, tuple(files) or ("requirements.txt",), " ".join(cmd.argv)))
    return found


def _use(df: Dockerfile, context: Path, stage: Stage, instr: Instruction, tool: str, command: str, named: str,
         generated: dict[str, Instruction], constraints: bool = False) -> LockUse:
    path = find_in_context(df, stage, instr, named, context)
    if path is not None:
        return LockUse(instr, command, tool, named, locks.read(path, context), constraints)
    if "uv export" in generated and (uv_lock := find_in_context(df, stage, instr, locks.UV_LOCK, context)):
        return LockUse(instr, command, tool, locks.UV_LOCK, locks.read(uv_lock, context), constraints)
    if "pip-compile" in generated:
        return LockUse(instr, command, tool, named, None, constraints,
                       f"reads {named}, which pip-compile writes during the build (line {generated['pip-compile'].line}): "
                       "a resolution made on the day of each build, not a lock")
    return LockUse(instr, command, tool, named, None, constraints,
                   f"reads {named}, which is not in the build context")


def uses(df: Dockerfile, context: Path) -> list[LockUse]:
    """Every dependency install of the final image's stages, with the lock it reads (if any)."""
    generated = _generated(df)
    found: list[LockUse] = []
    for install in installs.dependency_installs(df):
        command = install.text
        if install.tool in ("pip", "uv") and install.argv[:1] == ("install",):
            values, positional, _flags = installs._option_values(install.argv[1:])
            files = values.get("-r", []) + values.get("--requirement", [])
            capped = values.get("-c", []) + values.get("--constraint", [])
            for named in files:
                found.append(_use(df, context, install.stage, install.instr, install.tool, command, named, generated))
            if not files:
                for named in capped:
                    found.append(_use(df, context, install.stage, install.instr, install.tool, command, named,
                                      generated, constraints=True))
            if not files and not capped:
                found.append(LockUse(install.instr, command, install.tool, None, None, problem=(
                    "resolves them on the index when the image is built, within pyproject.toml's ranges "
                    "(no `-r` names a lock)")))
        elif install.tool == "uv" and install.argv[:1] == ("sync",):
            found.append(_use(df, context, install.stage, install.instr, "uv sync", command, locks.UV_LOCK, generated))
        else:
            found.append(LockUse(install.instr, command, install.tool, None, None, problem=(
                f"installs from {install.tool}'s own lock format, which this grader does not read (the course "
                "teaches pip-compile output, `uv export` output and uv.lock)")))
    for stage, instr, tool, files, command in _sync_commands(df):
        found += [_use(df, context, stage, instr, tool, command, named, generated) for named in files]
    return sorted(found, key=lambda use: use.instr.line)
