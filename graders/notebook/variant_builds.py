"""Dockerfile variants built over a copy of the sample app that the notebook may change (stage 7):
a source edit or a new lock between two builds, junk added to the context. Builds run with
BuildKit under the Lab's session (labelled, removed by `lab.close()`), one after the other when
their times are compared, side by side when they are not; each shows the `docker buildx build`
line it stands for.

- `Workbench(lab, name)`: the sample app as committed (tests and `.env` included, no packaging
  files), in a temporary folder; `write()`, `edit_source()`; `build()` / `build_side_by_side()`
  of Dockerfile texts kept beside the copy (`--file`), never inside it;
- `build_solutions(lab, stages)`: each course solution with its whole file set (the files it
  inherits included, solutions/stages.toml), over the sample app as the grader lays it;
- `step_times(result)`: each step of a build's log, with the seconds BuildKit reports for it or
  None when it came from the cache; `context_bytes(result)`: what BuildKit says it transferred of
  the build context; `pip_downloads(result)`: what pip downloaded and what it took from its cache;
  `uv_prepared(result)`: how many packages uv fetched rather than took from its cache;
- `shared_layers(a, b)`: how many leading layers two images share.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import re
import shutil
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from .. import solutions
from ..build import BuildResult
from ..build import build as buildkit_build
from ..dockerfile import DockerfileError, parse
from ..workspace import build_context, copy_for_scripts
from .built import Built
from .commands import command_line
from .display import mb, with_progress

_STEP = re.compile(r"^#(\d+) (\[[^\]]*\] .*|\[internal\] .*)$")
_DONE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
_CACHED = re.compile(r"^#(\d+) CACHED$")
# BuildKit's plain progress, `docker/go-units` HumanSize: decimal units (kB = 1000 B).
_TRANSFER = re.compile(r"^#(\d+) transferring context: (\d+(?:\.\d+)?)\s*([kMGT]?B)\b")
_UNITS = {"B": 1, "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_PIP_DOWNLOAD = re.compile(r"Downloading (\S+\.(?:whl|tar\.gz|zip))(?: \(([\d.]+ [kMG]?B)\))?")
_PIP_CACHED = re.compile(r"Using cached (\S+\.(?:whl|tar\.gz|zip))")
_UV_PREPARED = re.compile(r"Prepared (\d+) packages? in")


class VariantError(Exception):
    """A demo build failed: the environment (network, disk), not the learner."""


@dataclass(frozen=True)
class Step:
    name: str               # "[2/5] RUN pip install ." as BuildKit names it
    seconds: float | None   # None: taken from the build cache

    @property
    def cached(self) -> bool:
        return self.seconds is None


def step_times(result: BuildResult) -> list[Step]:
    """The Dockerfile's steps in a build's log (not BuildKit's [internal] ones), in order."""
    names: dict[str, str] = {}
    seconds: dict[str, float | None] = {}
    for line in result.log:
        if m := _STEP.match(line):
            names.setdefault(m.group(1), m.group(2))
        elif m := _DONE.match(line):
            seconds[m.group(1)] = float(m.group(2))
        elif m := _CACHED.match(line):
            seconds[m.group(1)] = None
    return [Step(name, seconds.get(number)) for number, name in names.items()
            if not name.startswith("[internal]") and number in seconds]


def context_bytes(result: BuildResult) -> int | None:
    """The bytes BuildKit reports for `[internal] load build context` ("transferring context: 15.2MB"),
    the last report of that step; None when the log has none."""
    context_steps = {m.group(1) for line in result.log if (m := _STEP.match(line))
                     and m.group(2).startswith("[internal] load build context")}
    found = None
    for line in result.log:
        if (m := _TRANSFER.match(line)) and m.group(1) in context_steps:
            found = int(float(m.group(2)) * _UNITS[m.group(3)])
    return found


def context_lines(result: BuildResult) -> list[str]:
    """The log lines of the `[internal] load build context` step, as BuildKit printed them."""
    context_steps = {m.group(1) for line in result.log if (m := _STEP.match(line))
                     and m.group(2).startswith("[internal] load build context")}
    return [line for line in result.log if line.split(" ", 1)[0].lstrip("#") in context_steps]


@dataclass(frozen=True)
class PipFetches:
    downloaded: list[tuple[str, str]]   # (file name, size as pip printed it)
    from_cache: list[str]

    @property
    def downloaded_bytes(self) -> int:
        """The sizes pip printed, added up (decimal units, as pip prints them)."""
        total = 0
        for _name, size in self.downloaded:
            number, _, unit = size.partition(" ")
            try:
                total += int(float(number) * _UNITS.get(unit, 0))
            except ValueError:
                pass
        return total


def pip_downloads(result: BuildResult) -> PipFetches:
    """What pip printed it downloaded, and what it took from its cache, in a build's log."""
    downloaded, cached = [], []
    for line in result.log:
        if m := _PIP_DOWNLOAD.search(line):
            downloaded.append((m.group(1).rsplit("/", 1)[-1], m.group(2) or "?"))
        elif m := _PIP_CACHED.search(line):
            cached.append(m.group(1).rsplit("/", 1)[-1])
    return PipFetches(downloaded, cached)


def uv_prepared(result: BuildResult) -> int | None:
    """How many packages uv said it prepared (downloaded and unpacked, not taken from its cache)
    in a build's log: "Prepared 10 packages in 82ms". 0 when uv printed no such line but said it
    installed (everything came from its cache); None when uv did not run."""
    counts = [int(m.group(1)) for line in result.log if (m := _UV_PREPARED.search(line))]
    if counts:
        return sum(counts)
    return 0 if any(re.search(r"Installed \d+ packages? in", line) for line in result.log) else None


def human(n: int | None) -> str:
    """Bytes as `mb()` shows them, but exact below 1 kB."""
    if n is None:
        return "?"
    return f"{n} B" if n < 1000 else mb(n)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-.")[:80] or "variant"


@dataclass(frozen=True)
class _Job:
    name: str
    context: Path
    dockerfile: Path
    text: str
    shown: str          # the command line as shown


def _run_jobs(lab, jobs: list[_Job], side_by_side: bool, title: str) -> dict[str, Built]:
    """Build every job with BuildKit under the Lab's session; show one live status line."""
    for job in jobs:
        print(job.shown)
    latest: dict[str, str] = {}

    def one(job: _Job, on_step) -> BuildResult:
        def step(text: str) -> None:
            latest[job.name] = text
            on_step(" | ".join(f"{name}: {what}" for name, what in latest.items()))

        return buildkit_build(job.context, job.dockerfile, lab.session.image_tag(_slug(job.name)),
                              lab.session.labels, on_step=step)

    def work(on_step) -> dict[str, BuildResult]:
        if not side_by_side or len(jobs) == 1:
            return {job.name: one(job, on_step) for job in jobs}
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(jobs), 4)) as pool:
            futures = {job.name: pool.submit(one, job, on_step) for job in jobs}
            return {name: future.result() for name, future in futures.items()}

    def done(results: dict[str, BuildResult], seconds: float) -> str:
        parts = []
        for name, result in results.items():
            if not result.ok:
                parts.append(f"✘ {name} failed: {result.error}")
                continue
            ran = [s for s in step_times(result) if not s.cached]
            parts.append(f"✔ {name} in {result.seconds:.1f} s ({len(ran)} step(s) ran, "
                         f"{len(result.cached_steps)} from the build cache)")
        how = "side by side" if side_by_side and len(jobs) > 1 else "one after the other"
        return f"{title}: {len(jobs)} build(s) {how}, {seconds:.1f} s in all\n  " + "\n  ".join(parts)

    results = with_progress(title, work, done)
    built: dict[str, Built] = {}
    for job in jobs:
        result = results[job.name]
        if not result.ok:
            raise VariantError(f"the demo build {job.name!r} failed at {result.failed_step}: {result.error}\n"
                               + "\n".join(result.tail(12)))
        try:
            base_reference = parse(job.dockerfile).external_base()[0]
        except DockerfileError as exc:
            raise VariantError(str(exc)) from None
        image = lab.client.images.get(result.image_id)
        try:
            base_image = lab.client.images.get(base_reference)
        except Exception:
            base_image = None
        built[job.name] = Built(job.name, result, image, base_reference, base_image, job.text)
    return built


class Workbench:
    """The sample app as committed, copied into a temporary folder this notebook may change
    (`exercises/` is never touched), and Dockerfile variants built over it."""

    def __init__(self, lab, name: str = "workbench") -> None:
        self.lab = lab
        self.name = name
        self._tmp = tempfile.TemporaryDirectory(prefix=f"dockercourse-{_slug(name)}-")
        root = Path(self._tmp.name)
        self.dir = root / "app"                 # the build context
        self._dockerfiles = root / "dockerfiles"  # beside it, never inside it
        self._dockerfiles.mkdir()
        with tempfile.TemporaryDirectory() as empty:  # no packaging files: the sample app alone
            self.notes = copy_for_scripts(Path(empty), self.dir)

    def write(self, relative: str, text: str) -> Path:
        path = self.dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def edit_source(self, relative: str = "src/shortlinks/app.py") -> str:
        """A source-only change no build has seen before: a comment with a fresh id at the end of
        a module (BuildKit keys COPY on content: a change of mtime alone would reuse the cache)."""
        line = f"# edited for a rebuild demo: {uuid.uuid4().hex}\n"
        with (self.dir / relative).open("a", encoding="utf-8") as fh:
            fh.write(line)
        return line.strip()

    def add_developer_files(self) -> None:
        """What a developer's checkout holds beside the app, made for real and shown as commands:
        a git repository of the app (committed first, as a .gitignore would keep the rest out of
        it), a virtual environment with pip, and the bytecode caches Python writes (__pycache__)."""
        from .commands import run

        git = ["git", "-c", "user.name=Course", "-c", "user.email=course@example.invalid"]
        for argv in (["git", "init", "-q"], [*git, "add", "-A"], [*git, "commit", "-q", "-m", "the app"],
                     [sys.executable, "-m", "venv", ".venv"],
                     [sys.executable, "-m", "compileall", "-q", "src", "tests"]):
            done = run(argv, cwd=self.dir, tail=2, show=False)
            print(command_line(argv).replace(sys.executable, "python3") + ("" if done.ok else f"   → exit code {done.returncode}"))
            if not done.ok:
                raise VariantError(f"{command_line(argv)} failed: " + " ".join(done.output[-3:]))

    def sizes(self) -> dict[str, int]:
        """Bytes of files under each top-level entry of the context (symlinks not followed)."""
        found: dict[str, int] = {}
        for entry in sorted(self.dir.iterdir()):
            files = [entry] if not entry.is_dir() or entry.is_symlink() else \
                [p for p in entry.rglob("*") if p.is_file() and not p.is_symlink()]
            found[entry.name + ("/" if entry.is_dir() and not entry.is_symlink() else "")] = \
                sum(p.lstat().st_size for p in files)
        return dict(sorted(found.items(), key=lambda kv: -kv[1]))

    def _job(self, name: str, dockerfile: str) -> _Job:
        path = self._dockerfiles / f"{_slug(name)}.Dockerfile"
        path.write_text(dockerfile, encoding="utf-8")
        shown = command_line(["docker", "buildx", "build", "--progress=plain", "--load",
                              "--file", f"../{path.name}", "--tag", self.lab.session.image_tag(_slug(name)), "."])
        return _Job(name, self.dir, path, dockerfile, shown + "   (in the copy; and the Lab's --label options)")

    def build(self, name: str, dockerfile: str) -> Built:
        return self.build_side_by_side({name: dockerfile}, title=f"building {name}")[name]

    def build_side_by_side(self, variants: dict[str, str], title: str = "building the variants") -> dict[str, Built]:
        return _run_jobs(self.lab, [self._job(n, text) for n, text in variants.items()], True, title)

    def build_one_after_another(self, variants: dict[str, str], title: str = "building the variants") -> dict[str, Built]:
        return _run_jobs(self.lab, [self._job(n, text) for n, text in variants.items()], False, title)

    def close(self) -> None:
        self._tmp.cleanup()


def build_solutions(lab, stages: list[int], side_by_side: int = 2) -> dict[int, Built]:
    """Each course solution, with its whole file set (inherited files included), laid over the
    sample app as the grader lays it (a `# syntax=` line neutralised offline, as the grader does)."""
    with contextlib.ExitStack() as stack:
        jobs = []
        for stage in stages:
            packaging = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"dockercourse-solution{stage}-")))
            for relative, path in solutions.files(stage).items():
                (packaging / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, packaging / relative)
            context = stack.enter_context(build_context(packaging, lab.offline))
            name = f"solution {stage}"
            shown = command_line(["docker", "buildx", "build", "--progress=plain", "--load",
                                  "--tag", lab.session.image_tag(_slug(name)), f"solutions/stage{stage}"])
            jobs.append(_Job(name, context.dir, context.dockerfile, context.dockerfile.read_text(encoding="utf-8"),
                             shown + "   (over the sample app; and the Lab's --label options)"))
        built: dict[str, Built] = {}
        for start in range(0, len(jobs), side_by_side):   # a few at a time: the machine's cores are shared
            batch = jobs[start:start + side_by_side]
            built.update(_run_jobs(lab, batch, True, f"building {', '.join(j.name for j in batch)}"))
    return {stage: built[f"solution {stage}"] for stage in stages}


def shared_layers(first: Built, second: Built) -> int:
    """How many leading layers two images share (the same diff IDs in `RootFS.Layers`, in order):
    a layer is reused only if it and every layer below it are the same."""
    count = 0
    a = (first.image.attrs.get("RootFS") or {}).get("Layers") or []
    b = (second.image.attrs.get("RootFS") or {}).get("Layers") or []
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def layer_count(built: Built) -> int:
    return len((built.image.attrs.get("RootFS") or {}).get("Layers") or [])
