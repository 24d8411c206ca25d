"""What BuildKit sends of a build context, by its own matching of the ignore file: a throwaway
context holding the workspace junk a learner's machine has (a git repository, a virtualenv,
bytecode caches at the root and in the package, the `.env`, the tests) and the learner's ignore
files, built `FROM scratch` / `COPY . /` and exported to a local directory: whatever arrives there
is what any `COPY . .` of that Dockerfile would see. No image is made."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import process
from .engine import docker_cli
from .workspace import IGNORE_FILES

# What a workspace typically holds that must stay out of the context, by what it is.
PLANTED: dict[str, tuple[str, ...]] = {
    ".git": (".git/HEAD", ".git/config"),
    ".venv": (".venv/pyvenv.cfg", ".venv/bin/python"),
    "__pycache__": ("__pycache__/course_probe.cpython-313.pyc",
                    "src/shortlinks/__pycache__/app.cpython-313.pyc"),
    ".env": (".env",),
    "tests": ("tests/test_app.py", "tests/conftest.py"),
}
PROBE_DOCKERFILE = "FROM scratch\nCOPY . /\n"
TIMEOUT = 120


@dataclass(frozen=True)
class ProbeResult:
    sent: dict[str, list[str]]     # what -> the planted paths of it BuildKit sent
    ignore_file: str | None        # the ignore file BuildKit used (Dockerfile.dockerignore wins)
    problem: str | None = None     # the probe build failed: its reason

    @property
    def leaked(self) -> dict[str, list[str]]:
        return {what: paths for what, paths in self.sent.items() if paths}


def probe(context_dir: Path) -> ProbeResult:
    """Plant PLANTED beside the ignore files of `context_dir` in a throwaway context and see what
    BuildKit sends."""
    ignore_file = next((name for name in IGNORE_FILES if (context_dir / name).is_file()), None)
    root = Path(tempfile.mkdtemp(prefix="dockercourse-ignore-probe-"))
    try:
        context, out = root / "context", root / "out"
        for path in (p for paths in PLANTED.values() for p in paths):
            (context / path).parent.mkdir(parents=True, exist_ok=True)
            (context / path).write_text("planted by the grader's .dockerignore probe\n", encoding="utf-8")
        for name in IGNORE_FILES:
            if (context_dir / name).is_file():
                shutil.copyfile(context_dir / name, context / name)
        (context / "Dockerfile").write_text(PROBE_DOCKERFILE, encoding="utf-8")
        env = {**os.environ, "BUILDX_GIT_INFO": "0", "BUILDX_NO_DEFAULT_ATTESTATIONS": "1", "DOCKER_CLI_HINTS": "false"}
        finished = process.run([docker_cli(), "buildx", "build", "--progress=plain", "--output",
                                f"type=local,dest={out}", str(context)], env=env, timeout=TIMEOUT)
        if finished.returncode != 0:
            error = next((l for l in reversed(finished.lines) if l.startswith("ERROR")), None)
            return ProbeResult({}, ignore_file, error or f"docker buildx build exited {finished.returncode}")
        sent = {what: [p for p in paths if (out / p).is_file()] for what, paths in PLANTED.items()}
        return ProbeResult(sent, ignore_file)
    finally:
        shutil.rmtree(root, ignore_errors=True)
