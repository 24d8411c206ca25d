"""Stage 6, reproducible builds: every FROM names the Python version and Debian release, the image
installs exactly what a lock pins, the install checks the lock's hashes (a tampered hash must fail
the build), no test or dev tool ships, and the installers the build fetches are pinned."""

from __future__ import annotations

import json
import tomllib

from packaging.version import InvalidVersion, Version

from .. import image_pins, inside, installs, lock_sources, locks, references, tool_pins
from ..grading import Grading, NotChecked
from .base import Outcome, check, errored, failed, passed
from .stage7 import _inside

# Test and development tools: none of them belongs in the final image (PEP 503 names).
DEV_TOOLS = frozenset({
    "pytest", "pytest-cov", "pytest-mock", "pytest-xdist", "pytest-asyncio", "pytest-django", "coverage",
    "hypothesis", "tox", "nox", "mypy", "pyright", "ruff", "black", "isort", "flake8", "pylint", "pyflakes",
    "pycodestyle", "bandit", "pre-commit", "ipython", "ipdb", "pdbpp", "jupyter", "jupyterlab", "notebook",
    "pip-tools", "pip-audit", "twine", "sphinx", "mkdocs", "debugpy", "faker", "factory-boy", "responses",
    "freezegun", "types-requests",
})
# Installers a base image (or a fresh virtualenv) already holds: a tampered hash on one of them
# proves nothing, as an install skips a requirement that is already satisfied.
PREINSTALLED = frozenset({"pip", "setuptools", "wheel"})
ONE_OFF_SECONDS = 30
TAMPERED = "tampered-hash"


def _listing(g: Grading) -> dict:
    """What the serving interpreter sees, and what else the image holds (graders/inside/distributions.py)."""
    return g.result("distributions", lambda: _inside(g, "distributions"))


def _base_listing(g: Grading) -> dict | None:
    """The same, in a container of the final stage's base image (its own python3); None when the
    engine does not have that image or it has no Python."""
    base = g.base_image
    if base is None:
        return None
    try:
        container = g.session.create(base.id, entrypoint=["python3"], command=["-c", inside.script("distributions")],
                                     network_disabled=True, name=g.session.name("base-distributions"))
        container.start()
        container.wait(timeout=ONE_OFF_SECONDS)
        out = container.logs(stdout=True, stderr=False).decode("utf-8", "replace").strip()
        return json.loads(out.splitlines()[-1]) if out else None
    except Exception:  # noqa: BLE001 (the engine's errors, a wait timeout, no JSON): no base listing then
        return None


def _start_base_listing(g: Grading):
    return g.submit("base distributions", lambda: _base_listing(g))


def _names(listing: dict | None, key: str = "distributions") -> dict[str, str]:
    return {locks.normalise(d["name"]): d["version"] for d in (listing or {}).get(key) or []}


def _lock_uses(g: Grading) -> list[lock_sources.LockUse]:
    return g.result("lock uses", lambda: lock_sources.uses(g.dockerfile, g.context.dir))


def _app_name(g: Grading) -> str | None:
    path = g.context.dir / "pyproject.toml"
    try:
        return locks.normalise(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["name"])
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        return None


def _same_version(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return True   # a URL pin: its version is whatever the URL holds
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _shown(versions: dict[str, str], limit: int = 12) -> str:
    items = [f"{name} {version}" for name, version in sorted(versions.items())]
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "") or "nothing"


def _dependency_line(g: Grading) -> int:
    found = installs.dependency_installs(g.dockerfile)
    return found[0].instr.line if found else g.final_from_line


# --- pinned-base-image -----------------------------------------------------------------------------

@check("pinned-base-image", needs_image=False)
def pinned_base_image(g: Grading) -> Outcome:
    df = g.dockerfile
    judged, loose = [], []
    for stage in df.stages:
        earlier = df.stage_named(stage.base)
        if (earlier is not None and earlier.index < stage.index) or references.is_scratch(stage.base):
            continue   # an earlier stage (judged at its own FROM), or no base image at all
        verdict = image_pins.judge(stage.base)
        resolved = f" (`FROM {stage.base_raw}` with the ARG defaults)" if stage.base_raw != stage.base else ""
        entry = (stage.from_line, f"line {stage.from_line}: {verdict.why}{resolved}")
        (judged if verdict.pinned else loose).append(entry)
    if loose:
        return failed(f"{loose[0][1]}.", "Every FROM names the Python minor version and the Debian release (for a "
                      "tool image: a version), or a digest, so that a rebuild starts from the same base.",
                      loose[0][0], details=[text for _line, text in loose + judged])
    if not judged:
        return passed("No FROM names an external image (every stage starts from scratch or an earlier stage).",
                      g.final_from_line)
    return passed(f"Every FROM is pinned: {'; '.join(text for _line, text in judged)}.", judged[0][0])


# --- locked-dependencies ---------------------------------------------------------------------------

def _culprit(uses: list[lock_sources.LockUse], names: set[str]) -> int | None:
    """The install that brought in distributions no lock has: one naming them, else one without a lock."""
    unlocked = [u for u in uses if u.lock is None]
    for use in unlocked:
        if any(locks.requirement_name(word) in names for word in use.command.split() if not word.startswith("-")):
            return use.instr.line
    return unlocked[0].instr.line if unlocked else None


@check("locked-dependencies", containers=("serve",), prepare=_start_base_listing)
def locked_dependencies(g: Grading) -> Outcome:
    uses = _lock_uses(g)
    read = [u for u in uses if u.lock is not None]
    seen = _listing(g)
    base_listing = g.result("base distributions", lambda: _base_listing(g))
    base = _names(base_listing) if base_listing else dict.fromkeys(PREINSTALLED, "")
    app = _app_name(g)
    installed = _names(seen)
    own = {n: v for n, v in installed.items() if n not in base and n != app}
    where = f"the serving environment ({seen.get('python')})"
    where_ = where[0].upper() + where[1:]
    evidence = [f"installed besides the base image and the app: {_shown(own, 40)}"]
    if base_listing is None:
        evidence.append("the base image could not be listed: pip, setuptools and wheel are taken as its own")
    if not read:
        if not uses and not own:
            return passed(f"{where_} holds no distribution besides the base image's and the app's.", g.final_from_line)
        first = next((u for u in uses if u.problem), None)
        said = f"line {first.instr.line} `{first.command}` {first.problem}" if first else "no RUN installs from a lock"
        return failed(f"The image installs its dependencies without a lock: {said}. {where_} holds {_shown(own)}.",
                      "Every runtime dependency, transitive ones included, installed from a lock that pins each one "
                      "exactly (pip-compile output, `uv export` output, or uv.lock).",
                      first.instr.line if first else _dependency_line(g), details=evidence)
    loose = [p for u in read if not u.constraints for p in u.lock.unpinned]
    if loose:
        first = loose[0]
        g.submission_file(first.file)
        return failed(f"{first.file} does not pin every requirement exactly: "
                      + ", ".join(f"`{p.spec}` (line {p.line})" for p in loose[:6]) + ".",
                      "One exact version per package (`name==version`), as pip-compile or `uv export` write it.",
                      first.line, file=first.file, details=[f"{p.file}:{p.line}: {p.spec}" for p in loose])
    environment = seen.get("environment") or {}
    wanted: dict[str, locks.Pin] = {}
    capped: dict[str, locks.Pin] = {}
    for use in read:
        for name, pin in use.lock.runtime(environment).items():
            (capped if use.constraints else wanted).setdefault(name, pin)
    allowed = {**capped, **wanted}
    extra = {n: v for n, v in own.items() if n not in allowed}
    missing = {n: p for n, p in wanted.items() if n not in installed and n != app}
    differs = {n: (p, installed[n]) for n, p in allowed.items() if n in installed and not _same_version(p.version, installed[n])}
    names = ", ".join(dict.fromkeys(u.lock.name for u in read))
    if extra or missing or differs:
        problems, details = [], []
        if extra:
            problems.append(f"not in the lock: {_shown(extra)}")
        if missing:
            problems.append(f"in the lock but not installed: {_shown({n: p.version or p.spec for n, p in missing.items()})}")
        if differs:
            problems.append("installed at another version than locked: " + ", ".join(
                f"{n} {v} (locked {p.version})" for n, (p, v) in sorted(differs.items())))
        details += [f"lock: {use.lock.name}, read by line {use.instr.line} `{use.command}`" for use in read]
        line = (_culprit(uses, set(extra)) if extra else None) or read[0].instr.line
        return failed(f"{where_} does not hold what {names} pins: {'; '.join(problems)}.",
                      "The distributions installed (besides the base image's and the app's) are exactly the lock's "
                      "runtime set, at its versions.", line, details=details + evidence)
    return passed(f"{where_} holds exactly the {len(wanted or capped)} distributions {names} pins for this Python "
                  f"({_shown({n: p.version or '' for n, p in (wanted or capped).items()}, 8)}), besides the base "
                  f"image's and the app's{f' ({app})' if app else ''}.", read[0].instr.line, details=evidence)


# --- hash-checked-install --------------------------------------------------------------------------

def _hashed_use(g: Grading) -> lock_sources.LockUse | None:
    return next((u for u in _lock_uses(g) if u.lock is not None and not u.constraints), None)


def _tampered_build(g: Grading):
    """(the package whose hashes were changed, its lock file, the variant's BuildResult), or None."""
    use = _hashed_use(g)
    if use is None or use.lock.unhashed:
        return None
    try:
        runtime = frozenset(use.lock.runtime(_listing(g).get("environment") or {}))
    except NotChecked:
        runtime = None   # no listing from the container: any hashed package of the lock
    change = locks.tampered(use.lock, PREINSTALLED, runtime)
    if change is None:
        return None
    file, text, pin = change
    variant = g.variant_context(TAMPERED, lambda directory: (directory / file).write_text(text, encoding="utf-8"))
    return pin, file, g.build_image(TAMPERED, context_dir=variant)


def _start_tampered_build(g: Grading):
    return g.submit("tampered-hash build", lambda: _tampered_build(g))


HASH_WORDS = ("do not match the hashes", "hash mismatch", "hashes are required", "doesn't match", "hash-checking")


@check("hash-checked-install", containers=("serve",), prepare=_start_tampered_build)
def hash_checked_install(g: Grading) -> Outcome:
    use = _hashed_use(g)
    expected = ("The lock carries every file's hash and the install enforces them, so that a tampered or substituted "
                "package fails the build.")
    if use is None:
        return failed("The image installs from no lock, so there are no hashes to check.", expected,
                      _dependency_line(g))
    lock = use.lock
    if lock.unhashed:
        bare = lock.unhashed
        return failed(f"{lock.name}, read by line {use.instr.line} (`{use.command}`), carries no hash for "
                      f"{len(bare)} of its {len(lock.pins)} requirements ({', '.join(p.shown for p in bare[:5])}), "
                      "so nothing checks that the files downloaded are the ones locked.", expected, use.instr.line,
                      details=[f"{p.file}:{p.line}: {p.spec}" for p in bare])
    outcome = g.result("tampered-hash build", lambda: _tampered_build(g))
    if outcome is None:
        raise NotChecked(f"Not checked: {lock.name} has no hash the grader could change.")
    pin, file, build = outcome
    change = f"a copy of the build context with every hash of {pin.shown} in {file} changed"
    if build.ok:
        return failed(f"{change[0].upper()}{change[1:]} still built: the install at line {use.instr.line} "
                      f"(`{use.command}`) did not check the hashes.", expected, use.instr.line)
    said = build.tail(40)
    hash_error = next((l for l in said if any(w in l.lower() for w in HASH_WORDS)), None)
    if build.line == use.instr.line or hash_error:
        return passed(f"With {change}, the build failed at `{build.failed_step or build.error}`"
                      f"{f' (line {build.line})' if build.line else ''}: the install checks the lock's hashes.",
                      use.instr.line, details=[l for l in said if l.strip()][-6:])
    return errored(f"Not checked: with {change}, the build failed, but elsewhere ({build.failed_step or build.error}"
                   f"{f', line {build.line}' if build.line else ''}) and without a hash error, so it shows nothing "
                   "about hashes.", build.line, details=said[-6:])


# --- no-dev-dependencies ---------------------------------------------------------------------------

def _installed_by(g: Grading, name: str) -> int:
    """The line that installed `name`: an install naming it, else one reading a lock that pins it."""
    for install in installs.installs(g.dockerfile):
        if any(locks.requirement_name(word) == name for word in install.argv[1:] if not word.startswith("-")):
            return install.instr.line
    for use in _lock_uses(g):
        if use.lock is not None and name in {p.name for p in use.lock.pins}:
            return use.instr.line
    return g.final_from_line


@check("no-dev-dependencies", containers=("serve",))
def no_dev_dependencies(g: Grading) -> Outcome:
    seen = _listing(g)
    found: dict[str, str] = {}
    for key in ("distributions", "elsewhere"):
        for dist in seen.get(key) or []:
            name = locks.normalise(dist["name"])
            if name in DEV_TOOLS:
                found.setdefault(name, f"{dist['name']} {dist['version']} in {dist.get('path')}")
    if found:
        lines = {name: _installed_by(g, name) for name in found}
        first = min(lines.values())
        return failed(f"The final image holds test or dev tools: "
                      + "; ".join(f"{text} (line {lines[name]})" for name, text in sorted(found.items())) + ".",
                      "No test or dev tool in the final image: they belong to a test stage or lock of their own.",
                      first, details=list(found.values()))
    count = len(seen.get("distributions") or []) + len(seen.get("elsewhere") or [])
    return passed(f"None of the {count} distributions in the final image is a test or dev tool "
                  f"(looked for {', '.join(sorted(DEV_TOOLS)[:6])}…).", g.final_from_line)


# --- pinned-build-tools ----------------------------------------------------------------------------

@check("pinned-build-tools", needs_image=False)
def pinned_build_tools(g: Grading) -> Outcome:
    found = tool_pins.fetched(g.dockerfile)
    loose = [f for f in found if not f.pinned]
    if loose:
        return failed("The build fetches installers without a version: " + "; ".join(f.describe() for f in loose) + ".",
                      "Each installer or build tool the build fetches pinned to one version (`==X.Y.Z`, or an image "
                      "tag naming a version, or a digest).", loose[0].instr.line,
                      details=[f.describe() for f in found])
    if not found:
        return passed("The build fetches no installer or build tool (no pip upgrade, uv, pip-tools, poetry...).",
                      g.final_from_line)
    return passed("Every installer the build fetches is pinned: " + ", ".join(f.describe() for f in found) + ".",
                  found[0].instr.line)
