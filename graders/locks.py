"""Reading lock files: what each pins, at which version, with which hashes, on which line.

Two formats, the ones the course teaches:

- requirements format, as pip-compile (pip-tools) and `uv export` write it (requirements*.txt,
  *.lock): one requirement per logical line (backslash continuations joined), `--hash=` options
  on it, `# comments`, `-r other.txt` includes (read too, relative to the file), other pip options
  (`--index-url`, `-e .` for the project itself...) skipped. A requirement is pinned exactly when
  its one version specifier is `==X` or `===X` without a wildcard, or it names a direct URL.
- `uv.lock` (TOML): `[[package]]` tables with name, version, source, dependencies, optional-
  dependencies and dev-dependencies, each file's hash under `sdist` and `wheels`. Its runtime
  set is what `uv sync --no-dev` installs for the project: the packages reachable from the root
  project's own dependencies (with the extras they ask for), never its optional extras or
  dependency groups.

Names are normalised as PEP 503 says; markers (`; python_version < "3.12"`) are evaluated
against the environment of the interpreter that serves the app (graders/inside/distributions.py).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

REQUIREMENTS = "requirements"
UV_LOCK = "uv.lock"
_HASH = re.compile(r"(?P<algorithm>sha256|sha384|sha512|md5):(?P<hex>[0-9a-fA-F]+)")
_HASH_OPTION = re.compile(r"--hash[= ]\S+")
_INCLUDE = re.compile(r"^(?:-r|--requirement)(?:\s*=\s*|\s+)(?P<path>\S+)$")


def normalise(name: str) -> str:
    """PEP 503: runs of -, _ and . are one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    """The normalised name a requirement specifier names (`Flask[async]>=3` -> flask), "" for a
    path, a URL alone or an option."""
    try:
        return normalise(Requirement(spec).name)
    except InvalidRequirement:
        return ""


@dataclass(frozen=True)
class Pin:
    """One locked (or not quite locked) requirement."""

    name: str                      # normalised
    version: str | None            # the exact version; None when not pinned exactly (or a URL)
    spec: str                      # as written, hashes left out ("flask>=3", "flask==3.1.3")
    line: int                      # 1-based, in `file`
    end_line: int
    file: str                      # the lock's name, relative to the context
    hashes: tuple[str, ...] = ()
    marker: str | None = None
    url: bool = False              # `name @ https://...`: pinned by its URL
    extras: tuple[str, ...] = ()

    @property
    def pinned(self) -> bool:
        return self.version is not None or self.url

    def applies(self, environment: dict[str, str]) -> bool:
        return marker_applies(self.marker, environment)

    @property
    def shown(self) -> str:
        return f"{self.name}=={self.version}" if self.version else self.spec


@dataclass
class Lock:
    path: Path                     # the file in the build context
    name: str                      # relative to the context, for messages
    kind: str                      # REQUIREMENTS or UV_LOCK
    context: Path | None = None    # the build context it was read from (its includes are relative to it)
    pins: list[Pin] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # lines this reader could not use
    project: str | None = None     # uv.lock: the root project's name
    _graph: dict = field(default_factory=dict, repr=False)

    @property
    def unpinned(self) -> list[Pin]:
        return [p for p in self.pins if not p.pinned]

    @property
    def unhashed(self) -> list[Pin]:
        return [p for p in self.pins if not p.hashes]

    def runtime(self, environment: dict[str, str]) -> dict[str, Pin]:
        """name -> pin of what installing this lock puts in the environment (markers applied)."""
        if self.kind == UV_LOCK:
            return _uv_runtime(self, environment)
        chosen: dict[str, Pin] = {}
        for pin in self.pins:
            if pin.applies(environment):
                chosen.setdefault(pin.name, pin)
        return chosen


def marker_applies(marker: str | None, environment: dict[str, str]) -> bool:
    if not marker:
        return True
    try:
        return Marker(marker).evaluate({"extra": "", **environment})
    except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
        return True   # a marker this reader cannot evaluate: count the line rather than hide it


def read(path: Path, context: Path) -> Lock:
    """The lock at `path` (inside the build context `context`), by its format."""
    name = path.relative_to(context).as_posix() if path.is_relative_to(context) else path.name
    if path.name == UV_LOCK:
        return _read_uv_lock(path, name, context)
    lock = Lock(path, name, REQUIREMENTS, context)
    _read_requirements(path, context, lock, set())
    return lock


# --- requirements format -------------------------------------------------------------------------

def logical_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of each logical line: continuations joined, comments cut."""
    found, start, parts = [], None, []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if start is None:
            start = number
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        joined = " ".join(p.strip() for p in parts).strip()
        if joined:
            found.append((start, number, joined))
        start, parts = None, []
    if parts and (joined := " ".join(p.strip() for p in parts).strip()):
        found.append((start or 1, len(text.splitlines()), joined))
    return found


def _read_requirements(path: Path, context: Path, lock: Lock, seen: set[Path]) -> None:
    if path.resolve() in seen:
        return
    seen.add(path.resolve())
    file = path.relative_to(context).as_posix() if path.is_relative_to(context) else path.name
    text = path.read_text(encoding="utf-8", errors="replace")
    for first, last, line in logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            target = (path.parent / include.group("path")).resolve()
            if target.is_file() and target.is_relative_to(context.resolve()):
                _read_requirements(target, context.resolve(), lock, seen)
            else:
                lock.problems.append(f"{file}:{first}: includes {include.group('path')}, which is not in the build context")
            continue
        if line.startswith("-"):
            continue   # --index-url, -e ., --find-links...: options, the project itself
        hashes = tuple(m.group(0) for m in _HASH.finditer(" ".join(_HASH_OPTION.findall(line))))
        spec = _HASH_OPTION.sub("", line).strip()
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            continue   # a path or URL without a name (`.`, `./src`): the project itself
        exact = [s for s in requirement.specifier if s.operator in ("==", "===") and "*" not in s.version]
        version = exact[0].version if len(exact) == 1 and len(requirement.specifier) == 1 else None
        lock.pins.append(Pin(normalise(requirement.name), version, spec.split(";")[0].strip(), first, last, file,
                             hashes, str(requirement.marker) if requirement.marker else None,
                             url=bool(requirement.url), extras=tuple(sorted(requirement.extras))))


# --- uv.lock ---------------------------------------------------------------------------------------

def _package_lines(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each [[package]] table of a uv.lock."""
    lines = text.splitlines()
    starts = [i for i, l in enumerate(lines) if l.strip() == "[[package]]"]
    found = []
    for n, start in enumerate(starts):
        end = (starts[n + 1] if n + 1 < len(starts) else len(lines)) - 1
        while end > start and not lines[end].strip():
            end -= 1
        name = next((m.group(1) for l in lines[start:end + 1] if (m := re.match(r'\s*name\s*=\s*"([^"]+)"', l))), "")
        found.append((start + 1, end + 1, name))
    return found


def _read_uv_lock(path: Path, name: str, context: Path) -> Lock:
    text = path.read_text(encoding="utf-8", errors="replace")
    lock = Lock(path, name, UV_LOCK, context)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        lock.problems.append(f"{name} is not valid TOML: {exc}")
        return lock
    spans = _package_lines(text)
    graph: dict[str, list[dict]] = {}
    for index, package in enumerate(data.get("package") or []):
        source = package.get("source") or {}
        first, last, _ = spans[index] if index < len(spans) else (1, 1, "")
        pkg_name = normalise(package.get("name", ""))
        if source.get("editable") == "." or source.get("virtual") == "." or source.get("directory") == ".":
            lock.project = pkg_name
        files = [package.get("sdist") or {}, *(package.get("wheels") or [])]
        hashes = tuple(f["hash"] for f in files if f.get("hash"))
        local = any(k in source for k in ("editable", "virtual", "directory", "path"))
        pin = Pin(pkg_name, package.get("version"), f"{pkg_name}=={package.get('version')}", first, last, name,
                  hashes, url=bool(source.get("url") or source.get("git")))
        graph.setdefault(pkg_name, []).append({"pin": pin, "local": local, "table": package})
        if not local:
            lock.pins.append(pin)
    lock._graph = graph
    return lock


def _uv_runtime(lock: Lock, environment: dict[str, str]) -> dict[str, Pin]:
    graph = lock._graph
    roots = graph.get(lock.project or "") or []
    if not roots:
        return {}

    def entry(dep: dict) -> dict | None:
        candidates = graph.get(normalise(dep.get("name", ""))) or []
        wanted = dep.get("version")
        return next((c for c in candidates if not wanted or c["pin"].version == wanted), candidates[0] if candidates else None)

    chosen: dict[str, Pin] = {}
    todo: list[tuple[dict, tuple[str, ...]]] = [(roots[0], ())]
    visited: set[tuple[str, str | None, tuple[str, ...]]] = set()
    while todo:
        node, extras = todo.pop()
        pin = node["pin"]
        key = (pin.name, pin.version, extras)
        if key in visited:
            continue
        visited.add(key)
        if not node["local"]:
            chosen.setdefault(pin.name, pin)
        table = node["table"]
        deps = list(table.get("dependencies") or [])
        for extra in extras:
            deps += (table.get("optional-dependencies") or {}).get(extra) or []
        for dep in deps:
            if not marker_applies(dep.get("marker"), environment):
                continue
            target = entry(dep)
            if target is not None:
                todo.append((target, tuple(sorted(dep.get("extra") or ()))))
    return chosen


# --- a tampered copy, for hash-checked-install ----------------------------------------------------

def tampered(lock: Lock, avoid: frozenset[str] = frozenset(),
             installed: frozenset[str] | None = None) -> tuple[str, str, Pin] | None:
    """(file, its text with every hash of one package changed, that package), or None without
    hashes: whichever of the package's files the installer picks, the hash it is told does not
    match. `file` is relative to the context (a pin may come from an included file). The package
    is the first hashed one that the install really fetches: in `installed` (the lock's runtime
    set here, when known: not a Windows-only one, not a test extra's) and not in `avoid` (what the
    base image already has: an install skips a satisfied requirement rather than download and
    check it)."""
    hashed = [p for p in lock.pins if p.hashes]
    fetched = [p for p in hashed if installed is None or p.name in installed]
    candidates = [p for p in fetched if p.name not in avoid] or fetched or hashed
    if not candidates:
        return None
    pin = candidates[0]
    path = (lock.context / pin.file) if lock.context else lock.path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

    def flip(match: re.Match[str]) -> str:
        digits = match.group("hex")
        return f"{match.group('algorithm')}:{''.join('0123456789abcdef'[(int(c, 16) + 1) % 16] for c in digits)}"

    for i in range(pin.line - 1, min(pin.end_line, len(lines))):
        lines[i] = _HASH.sub(flip, lines[i])
    return pin.file, "".join(lines), pin
