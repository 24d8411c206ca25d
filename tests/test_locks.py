"""Reading locks, image references and installer pins (stage 6), without an engine: the parsers
the stage-6 checks stand on, each against the inputs a learner really writes, and the course's
own locks against the app's pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from graders import image_pins, lock_sources, locks, tool_pins
from graders.dockerfile import parse_text
from graders.workspace import REPO_ROOT

SOLUTION = REPO_ROOT / "solutions" / "stage6"
UV_FIXTURE = Path(__file__).parent / "fixtures" / "practices" / "passes-uv-sync-locked"
LINUX_313 = {"implementation_name": "cpython", "implementation_version": "3.13.5", "os_name": "posix",
             "platform_machine": "x86_64", "platform_release": "6.1", "platform_system": "Linux",
             "platform_version": "#1 SMP", "python_full_version": "3.13.5",
             "platform_python_implementation": "CPython", "python_version": "3.13", "sys_platform": "linux"}


def _lock(tmp_path: Path, text: str, name: str = "requirements.lock") -> locks.Lock:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return locks.read(tmp_path / name, tmp_path)


# --- requirements format -------------------------------------------------------------------------

def test_pip_compile_output_is_read_with_hashes_lines_and_names_normalised(tmp_path):
    lock = _lock(tmp_path, "Flask==3.1.3 \\\n    --hash=sha256:" + "a" * 64 + " \\\n    --hash=sha256:" + "b" * 64
                 + "\n    # via shortlinks\nMarkupSafe==3.0.4 --hash=sha256:" + "c" * 64 + "\n")
    assert [(p.name, p.version, p.line, p.end_line, len(p.hashes)) for p in lock.pins] == [
        ("flask", "3.1.3", 1, 3, 2), ("markupsafe", "3.0.4", 5, 5, 1)]
    assert lock.unpinned == [] and lock.unhashed == []


def test_loose_specifiers_are_not_pins_and_urls_are(tmp_path):
    lock = _lock(tmp_path, "flask>=3\ngunicorn==23.*\norjson==3.13.0,<4\nwerkzeug===3.1.9\n"
                 "blinker @ https://example.org/blinker-1.9.0-py3-none-any.whl\n")
    assert [p.spec for p in lock.unpinned] == ["flask>=3", "gunicorn==23.*", "orjson==3.13.0,<4"]
    assert {p.name for p in lock.pins if p.pinned} == {"werkzeug", "blinker"}


def test_options_the_project_itself_and_includes(tmp_path):
    (tmp_path / "base.txt").write_text("click==8.5.1\n", encoding="utf-8")
    lock = _lock(tmp_path, "--index-url https://pypi.org/simple\n-r base.txt\n-e .\n.\nflask==3.1.3  # pinned\n"
                 "-r missing.txt\n")
    assert [(p.name, p.file) for p in lock.pins] == [("click", "base.txt"), ("flask", "requirements.lock")]
    assert lock.problems and "missing.txt" in lock.problems[0]


def test_markers_decide_the_runtime_set(tmp_path):
    lock = _lock(tmp_path, 'colorama==0.4.6 ; sys_platform == "win32"\ntomli==2.2.1 ; python_version < "3.11"\n'
                 'flask==3.1.3\n')
    assert set(lock.runtime(LINUX_313)) == {"flask"}
    assert set(lock.runtime({**LINUX_313, "sys_platform": "win32"})) == {"flask", "colorama"}


def test_tampering_changes_every_hash_of_one_package_and_nothing_else(tmp_path):
    text = "pip==25.1 --hash=sha256:" + "1" * 64 + "\nflask==3.1.3 \\\n    --hash=sha256:" + "a" * 64 \
           + " \\\n    --hash=sha256:" + "f" * 64 + "\nclick==8.5.1 --hash=sha256:" + "2" * 64 + "\n"
    file, changed, pin = locks.tampered(_lock(tmp_path, text), frozenset({"pip"}))
    assert (file, pin.name) == ("requirements.lock", "flask")
    assert "a" * 64 not in changed and "f" * 64 not in changed
    assert "1" * 64 in changed and "2" * 64 in changed
    assert len(changed) == len(text)


def test_tampering_picks_a_package_the_install_fetches(tmp_path):
    """colorama is locked for Windows only: a changed hash there would never be checked here."""
    text = 'colorama==0.4.6 ; sys_platform == "win32" --hash=sha256:' + "1" * 64 + "\nflask==3.1.3 --hash=sha256:" \
           + "2" * 64 + "\n"
    lock = _lock(tmp_path, text)
    assert locks.tampered(lock, installed=frozenset(lock.runtime(LINUX_313)))[2].name == "flask"


# --- uv.lock -------------------------------------------------------------------------------------

def test_uv_lock_runtime_set_leaves_out_extras_and_other_platforms():
    """The fixture's uv.lock (written by `uv lock`) also locks the `test` extra (pytest, and
    pytest's Windows-only colorama): `uv sync --no-dev` installs none of them, on any platform."""
    lock = locks.read(UV_FIXTURE / "uv.lock", UV_FIXTURE)
    assert lock.kind == locks.UV_LOCK and lock.project == "shortlinks"
    assert {"pytest", "colorama"} <= {p.name for p in lock.pins}
    runtime = lock.runtime(LINUX_313)
    assert set(runtime) == {"blinker", "click", "flask", "gunicorn", "itsdangerous", "jinja2", "markupsafe",
                            "orjson", "packaging", "werkzeug"}
    assert all(p.hashes for p in runtime.values())
    assert set(lock.runtime({**LINUX_313, "sys_platform": "win32"})) == set(runtime)


def test_uv_lock_extras_of_dependencies_are_followed(tmp_path):
    text = '''version = 1
[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dependencies = [{ name = "lib", extra = ["fast"] }]

[[package]]
name = "lib"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://example.org/lib-2.0.tar.gz", hash = "sha256:%s" }

[package.optional-dependencies]
fast = [{ name = "speedup" }]

[[package]]
name = "speedup"
version = "0.1"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://example.org/speedup-0.1-py3-none-any.whl", hash = "sha256:%s" }]
''' % ("a" * 64, "b" * 64)
    lock = _lock(tmp_path, text, "uv.lock")
    assert {n: p.version for n, p in lock.runtime(LINUX_313).items()} == {"lib": "2.0", "speedup": "0.1"}
    file, changed, pin = locks.tampered(lock)
    assert (file, pin.name) == ("uv.lock", "lib") and "a" * 64 not in changed and "b" * 64 in changed


# --- which lock the Dockerfile installs from -------------------------------------------------------

def _uses(tmp_path: Path, dockerfile: str, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return lock_sources.uses(parse_text(dockerfile), tmp_path)


def test_the_lock_is_found_through_the_copy_that_renamed_it(tmp_path):
    found = _uses(tmp_path, "FROM python:3.13-slim-trixie\nWORKDIR /app\nCOPY deps/prod.txt /tmp/req.txt\n"
                  "RUN pip install --require-hashes -r /tmp/req.txt && pip install --no-deps .\n",
                  {"deps/prod.txt": "flask==3.1.3\n", "other/prod.txt": "flask==3.0.0\n"})
    assert [(u.named, u.lock.name) for u in found] == [("/tmp/req.txt", "deps/prod.txt")]


def test_a_bind_mounted_lock_and_uv_sync(tmp_path):
    found = _uses(tmp_path, "FROM python:3.13-slim-trixie\nWORKDIR /app\n"
                  "RUN --mount=type=bind,source=locks,target=/locks pip install -r /locks/runtime.txt\n"
                  "RUN uv sync --locked --no-dev\n",
                  {"locks/runtime.txt": "flask==3.1.3\n", "uv.lock": "version = 1\n"})
    assert [(u.tool, u.lock.name) for u in found] == [("pip", "locks/runtime.txt"), ("uv sync", "uv.lock")]


def test_installs_without_a_lock_say_why(tmp_path):
    found = _uses(tmp_path, "FROM python:3.13-slim-trixie\nWORKDIR /app\nRUN pip install --no-cache-dir .\n"
                  "RUN pip install -r requirements.txt\nRUN poetry install\n", {})
    assert [u.lock for u in found] == [None, None, None]
    assert "resolves them on the index" in found[0].problem
    assert "not in the build context" in found[1].problem
    assert "poetry" in found[2].problem


def test_an_exported_requirements_file_is_read_from_uv_lock(tmp_path):
    found = _uses(tmp_path, "FROM python:3.13-slim-trixie\nWORKDIR /app\nCOPY uv.lock pyproject.toml ./\n"
                  "RUN uv export --frozen --no-dev -o requirements.txt && pip install -r requirements.txt\n",
                  {"uv.lock": "version = 1\n"})
    assert [(u.named, u.lock.kind) for u in found] == [("uv.lock", locks.UV_LOCK)]


# --- image references and installers -------------------------------------------------------------

@pytest.mark.parametrize(("reference", "pinned"), [
    ("python:3.13-slim-trixie", True), ("python:3.13.5-slim-trixie", True), ("python:3.12-bookworm", True),
    ("mirror.gcr.io/library/python:3.13-trixie", True), ("python:3.13-alpine3.22", True),
    ("python@sha256:" + "a" * 64, True), ("python:3.13-slim@sha256:" + "b" * 64, True),
    ("python:3.13-slim", False), ("python:3.13", False), ("python:3-slim-trixie", False), ("python:3", False),
    ("python", False), ("python:latest", False), ("python:slim", False),
    ("ghcr.io/astral-sh/uv:0.9.5", True), ("ghcr.io/astral-sh/uv:python3.13-trixie-slim", True),
    ("ghcr.io/astral-sh/uv", False), ("ghcr.io/astral-sh/uv:latest", False), ("debian:stable-slim", False),
    ("python:-slim", False),
])
def test_image_pins(reference, pinned):
    assert image_pins.judge(reference).pinned is pinned, image_pins.judge(reference).why


def test_bare_slim_names_its_missing_debian_release():
    assert "no Debian release" in image_pins.judge("python:3.13-slim").why
    assert "not which 3.x" in image_pins.judge("python:3-slim-trixie").why


def test_installers_fetched_by_the_build():
    df = parse_text("FROM ghcr.io/astral-sh/uv:0.9.5 AS uv\nFROM python:3.13-slim-trixie\n"
                    "COPY --from=uv /uv /bin/\nCOPY --from=ghcr.io/astral-sh/uv:latest /uvx /bin/\n"
                    "RUN pip install --upgrade pip setuptools==80.9.0 && python -m pip install -U 'uv>=0.9' flask\n"
                    "RUN pipx install ruff==0.14.0 poetry && curl -LsSf https://astral.sh/uv/install.sh | sh\n"
                    "RUN pip install --require-hashes -r requirements.lock && pip install --no-deps .\n")
    seen = {(f.written, f.pinned) for f in tool_pins.fetched(df)}
    assert seen == {("ghcr.io/astral-sh/uv:latest", False), ("pip", False), ("setuptools==80.9.0", True),
                    ("uv>=0.9", False), ("ruff==0.14.0", True), ("poetry", False),
                    ("https://astral.sh/uv/install.sh", False)}


# --- the course's own locks ---------------------------------------------------------------------------

def _pyproject() -> dict:
    return tomllib.loads((REPO_ROOT / "exercises" / "pyproject.toml").read_text(encoding="utf-8"))["project"]


@pytest.mark.parametrize(("lock_name", "extras"), [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_solution_locks_still_satisfy_pyproject(lock_name, extras):
    """Offline, so it says less than `pip-compile --dry-run` would (which needs the index): every
    dependency pyproject.toml declares (and the extras the lock is for) is in the lock, hashed, at
    a version its specifier allows; a stale lock fails here before a build does."""
    lock = locks.read(SOLUTION / lock_name, SOLUTION)
    pins = lock.runtime(LINUX_313)
    declared = [Requirement(r) for r in _pyproject()["dependencies"]]
    declared += [Requirement(r) for extra in extras for r in _pyproject()["optional-dependencies"][extra]]
    for requirement in declared:
        pin = pins.get(locks.normalise(requirement.name))
        assert pin is not None, f"{lock_name} lacks {requirement}"
        assert requirement.specifier.contains(pin.version), f"{lock_name}: {pin.shown} does not satisfy {requirement}"
    assert lock.unpinned == [] and lock.unhashed == []


def test_the_test_lock_pins_the_runtime_lock_at_the_same_versions():
    runtime = locks.read(SOLUTION / "requirements.lock", SOLUTION).runtime(LINUX_313)
    test = locks.read(SOLUTION / "requirements-test.lock", SOLUTION).runtime(LINUX_313)
    assert {n: p.version for n, p in runtime.items()} == {n: test[n].version for n in runtime}
