"""Notebook 06's jobs around dependency locks: run a locking tool in a throwaway container, read
the lock files it wrote, parse what each lock pins, list what an image has installed, and make a
lock with one tampered hash.

- `run_tool(lab, image, script, files)`: `docker run --rm IMAGE bash -c SCRIPT`, shown, through
  the Lab's labelled session; the files the script wrote are read back from the stopped container
  (`docker cp` does the same), then the container is removed. (ToolRun)
- `pins(text)`: {name: version} of a requirements file (pip-compile, `uv export`), a `uv.lock` or
  a `pylock.toml`; `hash_count(text)`.
- `installed(lab, image)`: {name: version} of every distribution in the image, as
  `docker run --rm IMAGE python -m pip list --format=json` reports it.
- `tamper(text, package)`: the requirements text with every hash of one package changed.
- `without(text, package)`, `build_failure(error)`, `by_distribution(contents)`: the lock without
  one package, a failed build's message without BuildKit's prefixes, an install layer's bytes by
  distribution.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import commands

PIP_QUIET = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_ROOT_USER_ACTION": "ignore"}


@dataclass
class ToolRun:
    """How a script in a throwaway container ended, and the files it left."""

    code: int | None
    output: str                                   # stdout and stderr, merged
    seconds: float
    files: dict[str, str] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.output.rstrip("\n").splitlines()


def _image_name(image) -> str:
    """A Built's first tag, or the reference itself."""
    tags = getattr(getattr(image, "image", None), "tags", None)
    return tags[0] if tags else str(image)


def _read(container, path: str) -> str | None:
    """A file of a (stopped) container, as `docker cp CONTAINER:PATH -` streams it."""
    try:
        bits, _stat = container.get_archive(path)
    except Exception:  # docker.errors.NotFound: the script did not write it
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits))) as archive:
        member = next((m for m in archive.getmembers() if m.isfile()), None)
        if member is None:
            return None
        handle = archive.extractfile(member)
        return handle.read().decode("utf-8", "replace") if handle else None


def _archive(inputs: Mapping[str, str]) -> bytes:
    """A tar of `inputs` ({path: text}), as `docker cp` sends files into a container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for path, text in inputs.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def run_tool(lab, image, script: str, files: Sequence[str] = (), *, inputs: Mapping[str, str] | None = None,
             workdir: str = "/app", environment: Mapping[str, str] | None = None, timeout: float = 300.0,
             tail: int = 8, show: bool = True) -> ToolRun:
    """`docker run --rm IMAGE bash -c SCRIPT` in `workdir`, shown; `inputs` ({absolute path: text})
    copied in before it starts (`docker cp`); then `files` (relative to `workdir`) read back from
    the stopped container. The container is removed afterwards."""
    name = _image_name(image)
    env = {**PIP_QUIET, **(environment or {})}
    if show:
        mounts = [arg for path in inputs or {} for arg in ("-v", f"./{path.rsplit('/', 1)[-1]}:{path}:ro")]
        print(commands.command_line(["docker", "run", "--rm", *mounts, "-w", workdir, name, "bash", "-c", script]))
    started = time.monotonic()
    container = lab.session.create(name, command=["bash", "-c", script], working_dir=workdir, environment=env)
    try:
        if inputs:
            container.put_archive("/", _archive(inputs))
        container.start()
        try:
            code = container.wait(timeout=timeout).get("StatusCode")
        except Exception:  # still running at the timeout
            container.kill()
            code = None
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        found = {}
        for path in files:
            text = _read(container, path if path.startswith("/") else f"{workdir}/{path}")
            if text is not None:
                found[path] = text
    finally:
        container.remove(force=True)
    ran = ToolRun(code, output, time.monotonic() - started, found)
    if show:
        lines = ran.lines
        shown = lines[-tail:] if tail else []
        if len(lines) > len(shown):
            print(f"  … ({len(lines) - len(shown)} earlier line(s) not shown)")
        for line in shown:
            print(f"  {line}")
        print(f"  → exit code {code} in {ran.seconds:.1f} s" + ("" if code is not None else " (stopped at the timeout)")
              + (f"; wrote {', '.join(f'{p} ({len(t.splitlines())} lines)' for p, t in found.items())}" if found else ""))
    return ran


# --- what a lock pins -------------------------------------------------------------------------------

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them: `Flask`, `flask` and `FLASK` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """{name: version} that a lock pins: a requirements file (`name==version \\` lines), a
    `uv.lock` (`[[package]]` tables) or a PEP 751 `pylock.toml` (`[[packages]]` tables). A package
    locked without a version (the project itself, from a directory) is left out."""
    stripped = text.lstrip()
    if stripped.startswith(("version =", "lock-version")) or "\n[[package]]" in text or "\n[[packages]]" in text:
        data = tomllib.loads(text)
        entries = data.get("package") or data.get("packages") or []
        return {canonical(p["name"]): p["version"] for p in entries if p.get("version")
                and not ({"editable", "virtual", "directory"} & set((p.get("source") or {}))) and "directory" not in p}
    found = {}
    for line in text.splitlines():
        m = _PIN.match(line.strip())
        if m:
            found[canonical(m.group(1))] = m.group(2)
    return found


def hash_count(text: str) -> int:
    """How many sha256 hashes the lock text carries."""
    return len(re.findall(r"sha256\s*[:=]\s*\"?[0-9a-f]{64}", text))


def markers(text: str) -> dict[str, str]:
    """{name: environment marker} of a requirements file's pins that only apply somewhere
    (`colorama==0.4.6 ; sys_platform == 'win32'`)."""
    found = {}
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+\s*;\s*([^\\]+?)\s*\\?$", line.strip())
        if m:
            found[canonical(m.group(1))] = m.group(2)
    return found


def without(text: str, package: str) -> str:
    """The requirements text without `package`'s entry (its `==` line, its hashes, its comments)."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        m = _PIN.match(line.strip())
        if m:
            inside = canonical(m.group(1)) == canonical(package)
        if not inside:
            out.append(line)
    return "".join(out)


def build_failure(failure: Exception, lines: int = 14) -> str:
    """A failed demo build's message without BuildKit's step numbers and timestamps (`#8 1.053 `)."""
    text = [re.sub(r"^#\d+ (\d+\.\d+ )?", "", line) for line in str(failure).splitlines()]
    text = [line for line in text if line.strip()]
    return "\n".join(text[:1] + ["  …"] + text[-lines:]) if len(text) > lines + 1 else "\n".join(text)


def tamper(text: str, package: str) -> tuple[str, list[tuple[str, str]]]:
    """The requirements text with every `--hash=sha256:…` of `package` changed (its last hex digit
    moved on by one), as if the files on the index were not the ones locked. (text, [(old, new)])."""
    out, changed, inside = [], [], False
    for line in text.splitlines(keepends=True):
        m = _PIN.match(line.strip())
        if m:
            inside = canonical(m.group(1)) == canonical(package)
        elif line.strip() and not line.strip().startswith(("--hash", "#")):
            inside = False
        h = re.search(r"--hash=sha256:([0-9a-f]{64})", line)
        if inside and h:
            old = h.group(1)
            new = old[:-1] + "0123456789abcdef"[("0123456789abcdef".index(old[-1]) + 1) % 16]
            line = line.replace(old, new)
            changed.append((old, new))
        out.append(line)
    return "".join(out), changed


# --- what an image has installed -------------------------------------------------------------------

def installed(lab, image, show: bool = True) -> dict[str, str]:
    """{name: version} of every distribution the image's Python sees, from
    `docker run --rm IMAGE python -m pip list --format=json`."""
    name = _image_name(image)
    argv = ["python", "-m", "pip", "list", "--format=json"]
    if show:
        print(commands.command_line(["docker", "run", "--rm", name, *argv]))
    container = lab.session.run(name, command=argv, environment=dict(PIP_QUIET), user="0")
    try:
        container.wait(timeout=60)
        out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
    finally:
        container.remove(force=True)
    try:
        listed = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    found = {canonical(item["name"]): item["version"] for item in listed}
    if show:
        print(f"  → {len(found)} distributions")
    return found


# Files of one distribution that `Lab.layer_contents` groups apart: pytest's private package and
# its `py.py` shim (with the top-level __pycache__ that holds it).
_FOLD = {"-pytest": "pytest", "py.py": "pytest", "--pycache--": "pytest"}


def by_distribution(contents: Mapping[str, int]) -> dict[str, int]:
    """`Lab.layer_contents` groups folded into distributions; files outside site-packages (scripts
    in /usr/local/bin, the app's build leftovers) as "other files". Biggest first."""
    folded: dict[str, int] = {}
    for group, size in contents.items():
        name = "other files" if group.startswith("/") else _FOLD.get(group, group)
        folded[name] = folded.get(name, 0) + size
    return dict(sorted(folded.items(), key=lambda kv: -kv[1]))
