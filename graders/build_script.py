"""Running the learner's `build.sh` the way CI would, against a real registry (stage 3; stage 4
reads what it built).

`ScriptRuns(g)` makes, on first use, a throwaway git repository of the whole submission
(graders/workspace.py `copy_for_scripts`: tests/ included, never the learner's own .git), its
commits made by the grader, with these branches:

- `feature/x` and `123-more-cowbell`: main plus a commit of their own (a file GRADER-BRANCH.txt);
- `main`: the submission as it is;
- `grader-failing-test`: main plus a failing test (tests/test_grader_planted.py);
- `grader-failing-step`: main plus a Dockerfile with a failing step (`RUN exit 97`) after every FROM;
- `main` again, one commit later, a commit that changes no file ("main-next", for stage 4's layer
  comparison: the two builds differ by their commit alone).

Each run checks its branch out and runs `bash build.sh` there with IMAGE (unique per grading)
and REGISTRY (the grading's own registry, graders/registry.py), a minimal PATH and a temporary
HOME, under a timeout, through graders/process.py. Runs share the registry, so they happen in
RUN_ORDER, each after the ones before it: `run(name)` makes the runs up to `name` (once) and
returns a ScriptRun: its branch, the commit SHA, exit code, time, the log's tail, and what it
pushed (tag -> manifest digest, the registry's snapshot difference). `registry.pull(IMAGE, tag)`
brings a pushed image back for inspection. `close()` removes every local image of the IMAGE
namespace (any tag, with or without the registry's address: the script's images carry no grader
label), then the repository; the registry goes with the session.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors

from . import limits, process, registry as registry_module
from .workspace import copy_for_scripts

SCRIPT = "build.sh"


def script_timeout() -> int:
    """Seconds a run of build.sh may take (graders/limits.py: DOCKERCOURSE_SCRIPT_TIMEOUT)."""
    return limits.seconds("script_seconds")
DEFAULT_BRANCH = "main"
PLANTED_TEST = "tests/test_grader_planted.py"
FAILING_STEP = "RUN exit 97"
RUN_ORDER = ("feature/x", "123-more-cowbell", "main", "failing-test", "failing-step", "main-next")
BRANCH_OF = {"failing-test": "grader-failing-test", "failing-step": "grader-failing-step", "main-next": "main"}
GRADER = {"GIT_AUTHOR_NAME": "Course grader", "GIT_AUTHOR_EMAIL": "grader@dockercourse.invalid",
          "GIT_COMMITTER_NAME": "Course grader", "GIT_COMMITTER_EMAIL": "grader@dockercourse.invalid"}
SCRIPT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class ScriptError(Exception):
    """The grader could not set up the runs (git missing...): the environment, not the learner."""


@dataclass
class ScriptRun:
    name: str                      # one of RUN_ORDER
    branch: str
    commit: str                    # full SHA
    returncode: int | None         # None: not run (no build.sh)
    seconds: float
    timed_out: bool
    pushed: dict[str, str] = field(default_factory=dict)   # tag -> digest, new or moved by this run
    log_tail: list[str] = field(default_factory=list)
    registry: dict[str, str] = field(default_factory=dict)  # every tag -> digest, after this run

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def short(self) -> str:
        return self.commit[:12]

    def ended(self) -> str:
        """How the run ended, in words."""
        if self.timed_out:
            return f"was stopped after {self.seconds:.0f} s (the timeout)"
        return f"exited {self.returncode} after {self.seconds:.1f} s"


class ScriptRuns:
    def __init__(self, g) -> None:
        self.g = g
        self.image = f"shortlinks-{g.session.id}"
        self.runs: dict[str, ScriptRun] = {}
        self.root = Path(tempfile.mkdtemp(prefix="dockercourse-script-", dir=g.context.dir.parent))
        self.repo = self.root / "repo"
        self.home = self.root / "home"
        self.notes: list[str] = []
        self._registry = None
        self._commits: dict[str, str] = {}

    # --- set-up --------------------------------------------------------------------------------
    @property
    def present(self) -> bool:
        return self.g.submission_file(SCRIPT) is not None

    @property
    def registry(self):
        if self._registry is None:
            self._registry = registry_module.start(self.g.session)
        return self._registry

    def _git(self, *args: str) -> str:
        env = {"PATH": SCRIPT_PATH, "HOME": str(self.home), "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", **GRADER}
        try:
            done = subprocess.run(["git", *args], cwd=self.repo, env=env, capture_output=True, text=True, timeout=60)
        except FileNotFoundError:
            raise ScriptError("git is not installed (needed to grade build.sh)") from None
        if done.returncode != 0:
            raise ScriptError(f"git {' '.join(args)} failed: {done.stderr.strip()[:300]}")
        return done.stdout.strip()

    def _commit(self, message: str) -> str:
        self._git("add", "--all")
        self._git("commit", "--quiet", "--allow-empty", "--no-verify", "-m", message)
        return self._git("rev-parse", "HEAD")

    def _prepare(self) -> None:
        if self._commits:
            return
        self.home.mkdir(parents=True)
        self.notes += copy_for_scripts(self.g.context.source, self.repo)
        plugins = Path.home() / ".docker" / "cli-plugins"  # Docker Desktop keeps buildx there
        if plugins.is_dir():
            (self.home / ".docker").mkdir()
            (self.home / ".docker" / "cli-plugins").symlink_to(plugins)
        self._git("init", "--quiet", f"--initial-branch={DEFAULT_BRANCH}")
        self._commits["main"] = self._commit("The submission, as graded")
        for name in ("feature/x", "123-more-cowbell"):
            self._git("checkout", "--quiet", "-b", name, DEFAULT_BRANCH)
            (self.repo / "GRADER-BRANCH.txt").write_text(f"work on {name}, committed by the grader\n")
            self._commits[name] = self._commit(f"Work on {name}")
        self._git("checkout", "--quiet", "-b", BRANCH_OF["failing-test"], DEFAULT_BRANCH)
        (self.repo / PLANTED_TEST).parent.mkdir(exist_ok=True)
        (self.repo / PLANTED_TEST).write_text(
            '"""Planted by the grader: this test fails, so the build must not push."""\n\n\n'
            "def test_planted_by_the_grader():\n    assert False, \"planted by the grader: nothing may be pushed\"\n")
        self._commits["failing-test"] = self._commit("A failing test, planted by the grader")
        self._git("checkout", "--quiet", "-b", BRANCH_OF["failing-step"], DEFAULT_BRANCH)
        dockerfile = self.repo / "Dockerfile"
        dockerfile.write_text(_with_failing_steps(dockerfile.read_text(encoding="utf-8", errors="replace")),
                              encoding="utf-8")
        self._commits["failing-step"] = self._commit("A failing build step, planted by the grader")
        self._git("checkout", "--quiet", DEFAULT_BRANCH)

    def _next_main(self) -> None:
        """One more commit on main that changes no file: the next build differs by its commit alone."""
        self._git("checkout", "--quiet", "--force", DEFAULT_BRANCH)
        self._commits["main-next"] = self._commit("A commit that changes no file")

    # --- the runs ------------------------------------------------------------------------------
    def run(self, name: str) -> ScriptRun:
        """The run `name` (and every run before it in RUN_ORDER, once each)."""
        for earlier in RUN_ORDER[: RUN_ORDER.index(name) + 1]:
            if earlier not in self.runs:
                self.runs[earlier] = self._run(earlier)
        return self.runs[name]

    def _run(self, name: str) -> ScriptRun:
        branch = BRANCH_OF.get(name, name)
        if not self.present:
            return ScriptRun(name, branch, "", None, 0.0, False)
        self._prepare()
        if name == "main-next":
            self._next_main()
        else:
            self._git("checkout", "--quiet", "--force", branch)
        self._git("clean", "--quiet", "-d", "--force", "-x")
        self.g.on_step(f"running build.sh on branch {branch}")
        before = self.registry.snapshot(self.image)
        env = {"PATH": SCRIPT_PATH, "HOME": str(self.home), "IMAGE": self.image, "REGISTRY": self.registry.address,
               "LC_ALL": "C.UTF-8", "DOCKER_CLI_HINTS": "false"}
        for key in ("DOCKER_HOST", "DOCKER_CONTEXT"):  # the engine the grader uses; never its credentials
            if os.environ.get(key):
                env[key] = os.environ[key]
        finished = process.run(["bash", SCRIPT], cwd=self.repo, env=env, timeout=script_timeout(), keep=400,
                               on_line=lambda line: self.g.on_step(f"build.sh ({branch}): {line[:90]}"))
        after = self.registry.snapshot(self.image)
        pushed = {tag: digest for tag, digest in after.items() if before.get(tag) != digest}
        return ScriptRun(name, branch, self._commits[name], finished.returncode, finished.seconds,
                         finished.timed_out, pushed, finished.lines[-40:], after)

    # --- clean-up ------------------------------------------------------------------------------
    def close(self) -> None:
        """Untag every reference of this grading's IMAGE namespace (an image then goes with its last
        tag; one the script also tagged under another name stays, under that name only)."""
        for reference in self._namespace_references():
            with contextlib.suppress(docker.errors.APIError):
                self.g.client.api.remove_image(reference, noprune=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _namespace_references(self) -> list[str]:
        """Every local tag or digest reference whose repository is IMAGE or REGISTRY/IMAGE."""
        found = []
        for image in self.g.client.api.images(all=True):
            for name in [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]:
                repository = _repository(name)
                if repository == self.image or repository.endswith(f"/{self.image}"):
                    found.append(name)
        return found


SCRIPT_IMAGE = re.compile(r"shortlinks-([0-9a-f]{12})")   # ScriptRuns.image: the grading's session id


def remove_orphaned_images(client, live_sessions: set[str]) -> list[str]:
    """The images a build script pushed for a grading that is over (killed before its close():
    they carry no label, only the grading's IMAGE name, shortlinks-<session>): untagged; the
    references removed. Sessions in `live_sessions` are left alone."""
    removed = []
    for image in client.api.images(all=True):
        for name in [*(image.get("RepoTags") or []), *(image.get("RepoDigests") or [])]:
            match = SCRIPT_IMAGE.fullmatch(_repository(name).rsplit("/", 1)[-1])
            if match and match.group(1) not in live_sessions:
                with contextlib.suppress(docker.errors.APIError):
                    client.api.remove_image(name, noprune=False)
                    removed.append(name)
    return removed


def _with_failing_steps(text: str) -> str:
    """The Dockerfile with a failing step after every FROM: whichever stage or --target the script
    builds, the build fails at once (keeping line continuations and heredocs intact: the step goes
    on a line of its own right after each FROM line, which cannot continue)."""
    out = []
    for line in text.splitlines():
        out.append(line)
        if line.strip().upper().startswith("FROM ") and not line.rstrip().endswith("\\"):
            out.append(f"{FAILING_STEP}  # planted by the grader: a step that fails")
    return "\n".join(out) + "\n"


def _repository(reference: str) -> str:
    """`127.0.0.1:5000/x:tag` / `x@sha256:…` -> the repository part."""
    name = reference.split("@", 1)[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    return name[:colon] if colon > slash else name
