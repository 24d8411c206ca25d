"""Does each practice of stages 1-2 catch what it should, and only that?

hadolint keeps, for every rule, Dockerfiles it must catch and ones it must not
(`ruleCatches` / `ruleCatchesNot`); otter-grader names its fixtures for what they should
fail. This file does both for the course's practices, with real builds and real containers:

- BAD: each `fails-<practice>-<how>` fixture is solutions/stage2 with ONE subtle defect,
  marked in its Dockerfile by a `# DEFECT:` comment on the line above the instruction the
  grader must point at. Graded at its practice's stage, it fails that practice (with a
  message, a fix hint and that line) and no other, except the ones the table declares,
  each with its reason.
- GOOD: each `passes-<what>` fixture is correct but unusual; graded at stage 2 it passes
  every required practice and the practices it is the good example for.

Fixtures are packaging-only directories: the grader lays them over a copy of the sample
app (exercises/), as it does for solutions/stageN. Every fixture's Dockerfile starts with a
comment saying why it exists.
"""

from __future__ import annotations

import re

import pytest

from graders import catalogue, lint
from graders.engine import registry_reachable

from mutations import FIXTURES, dockerfile_text, fixture_path
DEFECT_MARKER = "# DEFECT:"

PRACTICES = {p.id: p for p in catalogue.load().up_to(2)}
REQUIRED = frozenset(p.id for p in PRACTICES.values() if p.required)
STAGE_1 = frozenset(p.id for p in PRACTICES.values() if p.stage == 1)

# fixture: (the practice it must fail, other practices that also fail, why they may).
BAD: dict[str, tuple[str, frozenset[str], str]] = {
    # stage 1
    "fails-image-builds-require-hashes": (
        "image-builds", STAGE_1 - {"image-builds"},
        "without an image nothing else can be checked: every other practice is `error` (curriculum)"),
    "fails-serves-on-run-missing-app-attribute": (
        "serves-on-run", frozenset({"exposes-port"}),
        "EXPOSE is right, but with the container gone the port the app listens on cannot be compared: `error`"),
    "fails-official-python-base-scratch-copy": ("official-python-base", frozenset(), ""),
    "fails-absolute-workdir-relative": ("absolute-workdir", frozenset(), ""),
    "fails-exposes-port-no-expose": ("exposes-port", frozenset(), ""),
    "fails-exposes-port-wrong-port": ("exposes-port", frozenset(), ""),
    "fails-copy-not-add-pyproject": ("copy-not-add", frozenset(), ""),
    "fails-copy-not-add-hadolint-cannot-parse": ("copy-not-add", frozenset(), ""),
    # stage 2
    "fails-non-root-user-root-again": (
        "non-root-user", frozenset({"code-not-writable", "runs-hardened"}),
        "root owns the code, so it can write it (code-not-writable); hardened, root has no "
        "CAP_DAC_OVERRIDE, so it cannot write the app user's /data (runs-hardened: 503)"),
    "fails-non-root-user-uid-zero-alias": (
        "non-root-user", frozenset({"code-not-writable"}),
        "UID 0 owns the code, so it can write it"),
    "fails-code-not-writable-chown-src": ("code-not-writable", frozenset(), ""),
    "fails-code-not-writable-venv-owned-by-app": ("code-not-writable", frozenset(), ""),
    "fails-code-not-writable-venv-despite-root-chown": ("code-not-writable", frozenset(), ""),
    "fails-no-secrets-in-image-deleted-later": ("no-secrets-in-image", frozenset(), ""),
    "fails-no-secret-env-api-token": ("no-secret-env", frozenset(), ""),
    "fails-no-secret-env-arg-default": ("no-secret-env", frozenset(), ""),
    "fails-os-security-updates-split-runs": ("os-security-updates", frozenset(), ""),
    "fails-runs-hardened-data-in-app": ("runs-hardened", frozenset(), ""),
}

# fixture: what the failure message must name, so the learner sees what was observed.
SAYS: dict[str, str] = {
    "fails-image-builds-require-hashes": "RUN pip install --no-cache-dir --require-hashes .",
    "fails-serves-on-run-missing-app-attribute": "shortlinks.wsgi:application",
    "fails-official-python-base-scratch-copy": "`scratch`",
    "fails-absolute-workdir-relative": "`WORKDIR app` is relative",
    "fails-exposes-port-no-expose": "exposes no port",
    "fails-exposes-port-wrong-port": "EXPOSE names 8080",
    "fails-copy-not-add-pyproject": "`ADD pyproject.toml ./`",
    "fails-copy-not-add-hadolint-cannot-parse": "`ADD src/ ./src/`",
    "fails-non-root-user-root-again": "`USER root`",
    "fails-non-root-user-uid-zero-alias": "PID 1 runs with UID 0",
    "fails-code-not-writable-chown-src": "--chown",
    "fails-code-not-writable-venv-owned-by-app": "/venv/lib/python3.13/site-packages/",
    "fails-code-not-writable-venv-despite-root-chown": "/venv/lib/python3.13/site-packages/",
    "fails-no-secrets-in-image-deleted-later": "/tmp/.env",
    "fails-no-secret-env-api-token": "API_TOKEN",
    "fails-no-secret-env-arg-default": "PIP_INDEX_PASSWORD",
    "fails-os-security-updates-split-runs": "without `apt-get update` before it in the same RUN",
    "fails-runs-hardened-data-in-app": "HTTP 503",
}

# fixture: the practices it is the good example for (beyond passing every required one).
GOOD: dict[str, frozenset[str]] = {
    "passes-numeric-user-tini": frozenset(
        {"non-root-user", "serves-on-run", "exposes-port", "os-security-updates", "runs-hardened"}),
    "passes-multistage-arg-from-venv": frozenset(
        {"image-builds", "official-python-base", "absolute-workdir", "code-not-writable"}),
    "passes-required-chown-app-code": frozenset({"no-secrets-in-image", "non-root-user"}),
    "passes-heredoc-syntax-directive": frozenset({"image-builds", "copy-not-add", "os-security-updates"}),
    "passes-secret-reference-env": frozenset({"no-secret-env"}),
    "passes-author-arg-label": frozenset({"no-secret-env"}),
    "passes-uv-pip-system": frozenset({"image-builds", "serves-on-run", "absolute-workdir"}),
}

# good fixture: {recommended practice it fails on purpose: why}.
FAILS_BY_DESIGN: dict[str, dict[str, str]] = {
    "passes-required-chown-app-code": {
        "code-not-writable": "the course is stricter than the common `COPY --chown=app:app` pattern, on purpose"},
}

# fixture: a grader bug that makes its tests fail for now (a bad fixture's: only the test of
# its message and line). Fix the grader, then delete the entry: strict xfail says when.
GRADER_BUGS: dict[str, str] = {}


# Fixtures whose grading waits on purpose: runs-hardened gives a container that never
# answers 200 the full 30 s (the first test to grade one pays; the report is then cached).
SLOW = frozenset({"fails-non-root-user-root-again", "fails-runs-hardened-data-in-app"})


def _marks(name: str, bugs: bool = True):
    marks = [pytest.mark.slow] if name in SLOW else []
    if bugs and name in GRADER_BUGS:
        marks.append(pytest.mark.xfail(strict=True, reason=GRADER_BUGS[name]))
    return marks


BAD_PARAMS = [pytest.param(name, id=name, marks=_marks(name, bugs=False)) for name in BAD]
BAD_PARAMS_MESSAGE = [pytest.param(name, id=name, marks=_marks(name)) for name in BAD]
GOOD_PARAMS = [pytest.param(name, id=name, marks=_marks(name)) for name in GOOD]


def defect_line(name: str) -> int:
    """The 1-based line of the instruction right after the fixture's `# DEFECT:` comment."""
    lines = dockerfile_text(name).splitlines()
    marker = next(n for n, text in enumerate(lines) if text.startswith(DEFECT_MARKER))
    return marker + 2


def grade_bad(graded, name: str):
    practice, _allowed, _reason = BAD[name]
    return graded(fixture_path(name), PRACTICES[practice].stage)


def describe(report) -> str:
    return "\n".join(f"  {r.id}: {r.status} (line {r.line}) {r.message}" for r in report.results)


# --- the tables themselves (no engine needed) --------------------------------------------------

def test_every_practice_has_a_bad_and_a_good_fixture():
    """hadolint's rule: a practice without a Dockerfile it must catch and one it must not is
    untested. Every practice of stages 1-2 in the catalogue needs both (fixtures waiting on a
    grader fix do not count)."""
    caught = {practice for name, (practice, _allowed, _reason) in BAD.items() if name not in GRADER_BUGS}
    passed = set().union(*(practices for name, practices in GOOD.items() if name not in GRADER_BUGS))
    missing = {pid: [kind for kind, have in (("bad", caught), ("good", passed)) if pid not in have]
               for pid in PRACTICES}
    assert {pid: kinds for pid, kinds in missing.items() if kinds} == {}


def test_tables_name_real_practices_and_explain_exceptions():
    """A typo in a practice id would make a test vacuous; an allowed extra failure without a
    reason would hide a regression (say why an exception is allowed)."""
    for name, (practice, allowed, reason) in BAD.items():
        assert practice in PRACTICES, name
        assert allowed <= set(PRACTICES) - {practice}, name
        assert bool(allowed) == bool(reason), f"{name}: give a reason exactly when other failures are allowed"
        assert SAYS.get(name), f"{name}: say what its failure message must name"
    for name, practices in GOOD.items():
        assert practices and practices <= set(PRACTICES), name
        for practice, reason in FAILS_BY_DESIGN.get(name, {}).items():
            assert practice not in REQUIRED and practice not in practices and reason, name
    assert set(SAYS) == set(BAD)
    assert set(FAILS_BY_DESIGN) <= set(GOOD)
    assert set(GRADER_BUGS) <= set(GOOD) | set(BAD)
    assert SLOW <= set(BAD)


def test_fixture_directories_match_the_tables():
    """Every fixture on disk is in a table (none forgotten), named fails-/passes- for what it
    shows, with a Dockerfile (written, or generated from a mutation of solution 2) opening with a
    comment that names it and says why it exists;
    bad ones carry exactly one DEFECT marker, good ones none."""
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert on_disk == set(BAD) | set(GOOD)
    for name in on_disk:
        text = dockerfile_text(name)
        header = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            header.append(line)
        assert any(line == f"# {name}" for line in header), f"{name}: the header names the fixture"
        assert any("Why it exists:" in line for line in header), f"{name}: the header says why it exists"
        markers = [line for line in text.splitlines() if line.startswith(DEFECT_MARKER)]
        assert len(markers) == (1 if name.startswith("fails-") else 0), name
        assert name.startswith("fails-" if name in BAD else "passes-"), name
        if name in BAD:
            line = text.splitlines()[defect_line(name) - 1]
            assert line and not line.startswith("#"), f"{name}: the DEFECT marker precedes an instruction"


# --- bad fixtures ------------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.parametrize("name", BAD_PARAMS_MESSAGE)
def test_bad_fixture_fails_its_practice_at_the_defective_line(graded, name):
    """The learner must be told which practice failed, what was observed (the message names
    it), how to fix it (a hint) and where: the Dockerfile line of the defect."""
    practice = BAD[name][0]
    report = grade_bad(graded, name)
    result = report.result(practice)
    assert result.status == "fail", describe(report)
    assert SAYS[name] in result.message, result.message
    assert result.hint
    assert result.line == defect_line(name), (
        f"points at line {result.line} ({report.dockerfile_lines[result.line - 1].strip() if result.line else ''!r}), "
        f"the defect is line {defect_line(name)}")


@pytest.mark.docker
@pytest.mark.parametrize("name", BAD_PARAMS)
def test_bad_fixture_fails_no_other_practice(graded, name):
    """One defect, one failing practice: every other practice passes, except the ones the
    table declares (with its reason), and those do not pass, so the table cannot go stale."""
    practice, allowed, reason = BAD[name]
    report = grade_bad(graded, name)
    others = {r.id: r.status for r in report.results if r.id != practice and r.status != "pass"}
    assert set(others) == set(allowed), f"{reason or 'no other failure expected'}\n{describe(report)}"


@pytest.mark.docker
def test_an_image_that_does_not_build_leaves_everything_else_unchecked(graded):
    """When the build fails nothing else is judged (curriculum: every other practice is
    `error`), and the report shows the failing step's own log."""
    report = grade_bad(graded, "fails-image-builds-require-hashes")
    assert {r.status for r in report.results if r.id != "image-builds"} == {"error"}
    assert all("did not build" in r.message for r in report.results if r.id != "image-builds")
    details = "\n".join(report.result("image-builds").details)
    assert "Can't verify hashes" in details


@pytest.mark.docker
def test_copy_not_add_falls_back_to_the_graders_reading(graded):
    """hadolint cannot parse this Dockerfile; copy-not-add still catches the ADD and says
    that the grader's own reading, not hadolint, found it."""
    name = "fails-copy-not-add-hadolint-cannot-parse"
    assert not lint.run(fixture_path(name) / "Dockerfile").parsed
    report = grade_bad(graded, name)
    assert "grader's own reading" in report.result("copy-not-add").message
    assert any("hadolint cannot parse" in note for note in report.notes)


@pytest.mark.docker
def test_code_not_writable_blames_chown_only_when_it_gave_the_code_away(graded):
    """`COPY --chown=root:root` is the safe ownership: when the venv is what the runtime user
    can write, the message must not say that --chown handed over the code, nor point at it."""
    name = "fails-code-not-writable-venv-despite-root-chown"
    result = grade_bad(graded, name).result("code-not-writable")
    assert result.status == "fail"
    assert "--chown" not in result.message
    assert result.line == defect_line(name)


@pytest.mark.docker
@pytest.mark.parametrize("name", [
    pytest.param("fails-exposes-port-no-expose", id="no-expose"),
    pytest.param("fails-exposes-port-wrong-port", id="wrong-port"),
])
def test_exposes_port_reports_only_the_apps_sockets(graded, name):
    """Where the message says what the app listens on, it names gunicorn's socket (8000) only."""
    message = grade_bad(graded, name).result("exposes-port").message
    listed = re.search(r"listens on (.*?)(?:\)|\. Expected)", message)
    assert listed, message
    assert [item.rsplit(":", 1)[-1] for item in listed.group(1).split(", ")] == ["8000"], message


# --- good fixtures -----------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.parametrize("name", GOOD_PARAMS)
def test_good_fixture_passes_every_required_practice(graded, name):
    """Correct but unusual Dockerfiles must not fail a required practice: a false failure
    there fails the learner's stage."""
    report = graded(fixture_path(name), 2)
    assert [r.id for r in report.required_failures] == [], describe(report)


@pytest.mark.docker
@pytest.mark.parametrize("name", GOOD_PARAMS)
def test_good_fixture_passes_what_it_demonstrates(graded, name):
    """Each good fixture passes the practices it is the example for, and every other one too,
    except a recommended practice it fails by design; nothing is `error`."""
    report = graded(fixture_path(name), 2)
    by_design = FAILS_BY_DESIGN.get(name, {})
    statuses = {r.id: r.status for r in report.results}
    assert all(statuses[p] == "pass" for p in GOOD[name]), describe(report)
    assert {pid for pid, status in statuses.items() if status != "pass"} == set(by_design), describe(report)


@pytest.mark.docker
def test_chown_pattern_fails_only_the_recommended_practice_and_says_why(graded):
    """`COPY --chown=app:app` is what most tutorials teach: it passes every required practice,
    but code-not-writable fails, naming --chown and pointing at that COPY."""
    name = "passes-required-chown-app-code"
    report = graded(fixture_path(name), 2)
    result = report.result("code-not-writable")
    assert (result.level, result.status) == ("recommended", "fail")
    assert "--chown" in result.message
    assert report.dockerfile_lines[result.line - 1].startswith("COPY --chown=app:app")
    assert report.exit_code == 0


@pytest.mark.docker
def test_syntax_directive_is_neutralised_offline_and_heredocs_are_read(graded):
    """With no registry, the `# syntax=` line is neutralised (and the report says so), the
    heredoc RUNs build, hadolint's parse failure falls back to the grader's own reading, and
    the apt commands inside a heredoc count for os-security-updates."""
    name = "passes-heredoc-syntax-directive"
    lines = dockerfile_text(name).splitlines()
    assert lines[0] == "# syntax=docker/dockerfile:1"
    assert not lint.run(fixture_path(name) / "Dockerfile").parsed
    report = graded(fixture_path(name), 2)
    neutralised = any("`# syntax=` line was neutralised" in note for note in report.notes)
    assert neutralised == (not registry_reachable())
    assert "grader's own reading" in report.result("copy-not-add").message
    upgrade = report.result("os-security-updates")
    assert upgrade.status == "pass"
    assert upgrade.line == lines.index("RUN <<EOF") + 1  # the heredoc RUN that upgrades


@pytest.mark.docker
def test_secret_reference_passes_where_hadolint_would_flag_it(graded):
    """`ENV SECRET_KEY_FILE=/run/secrets/...` points at a secret; hadolint's DL3064 flags it
    anyway, which is why no-secret-env has its own reading of names."""
    name = "passes-secret-reference-env"
    findings = lint.run(fixture_path(name) / "Dockerfile")
    assert findings.parsed and findings.of("DL3064"), "hadolint no longer flags *_FILE names: revisit"
    assert graded(fixture_path(name), 2).result("no-secret-env").status == "pass"
