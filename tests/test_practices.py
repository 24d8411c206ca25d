"""Does each practice catch what it should, and only that?

hadolint keeps, for every rule, Dockerfiles it must catch and ones it must not
(`ruleCatches` / `ruleCatchesNot`); otter-grader names its fixtures for what they should
fail. This file does both for the course's practices, with real builds and real containers.
Each fixture says what it must show in its own `fixture.toml` (tests/practice_fixtures.py):

- BAD: each `fails-<practice>-<how>` fixture is a solution with ONE subtle defect, marked in
  its Dockerfile by a `# DEFECT:` comment on the line above the instruction the grader must
  point at. Graded at its stage, it fails that practice (with a message naming what was
  observed, a fix hint and that line) and no other, except the ones its `also_fails` names,
  each with its reason.
- GOOD: each `passes-<what>` fixture is correct but unusual; graded at its stage it passes
  every practice, except a recommended one its `fails_by_design` names with its reason.

Fixtures are packaging-only directories: the grader lays them over a copy of the sample
app (exercises/ as committed), as it does for solutions/stageN. Every fixture's Dockerfile
starts with a comment saying why it exists.
"""

from __future__ import annotations

import re

import pytest

from graders import catalogue, lint
from graders.engine import registry_reachable
from graders.runner import implemented_stages

import practice_fixtures
from mutations import FIXTURES, defects, dockerfile_text, fixture_path, texts


PRACTICES = {p.id: p for p in catalogue.load().up_to(implemented_stages()[-1])}
REQUIRED = frozenset(p.id for p in PRACTICES.values() if p.required)
BAD = practice_fixtures.bad()
GOOD = practice_fixtures.good()


def _marks(fixture, bugs: bool = True):
    marks = [pytest.mark.slow] if fixture.slow else []
    if bugs and fixture.grader_bug:
        marks.append(pytest.mark.xfail(strict=True, reason=fixture.grader_bug))
    return marks


BAD_PARAMS = [pytest.param(name, id=name, marks=_marks(f, bugs=False)) for name, f in BAD.items()]
BAD_PARAMS_MESSAGE = [pytest.param(name, id=name, marks=_marks(f)) for name, f in BAD.items()]
GOOD_PARAMS = [pytest.param(name, id=name, marks=_marks(f)) for name, f in GOOD.items()]


def defect(name: str) -> tuple[str, int]:
    """The file, and the 1-based line right after the fixture's one `# DEFECT:` comment."""
    return defects(name)[0]


def defect_line(name: str) -> int:
    return defect(name)[1]


def grade_fixture(graded, name: str):
    return graded(fixture_path(name), practice_fixtures.all_fixtures()[name].stage)


def describe(report) -> str:
    return "\n".join(f"  {r.id}: {r.status} (line {r.line}) {r.message}" for r in report.results)


# --- the specs themselves (no engine needed) ---------------------------------------------------

# A bad fixture that cannot be built here, and where its failing branch is proven instead.
NO_BAD_FIXTURE = {
    "not-alpine": "a bad fixture needs a musl-based Python image: none can be pulled offline and Alpine's "
                  "minirootfs is not reachable; the musl branch of the check's detector is proven on a real musl "
                  "ELF built with Debian's musl-gcc (tests/test_stage7_c_library.py)",
}


def test_every_practice_has_a_bad_and_a_good_fixture():
    """hadolint's rule: a practice without a Dockerfile it must catch and one it must not is
    untested. Every practice of the graded stages needs both (fixtures waiting on a grader fix
    do not count; NO_BAD_FIXTURE says why one cannot be made here)."""
    caught = {f.fails for f in BAD.values() if not f.grader_bug} | set(NO_BAD_FIXTURE)
    passed = set().union(*(f.passes for f in GOOD.values() if not f.grader_bug))
    missing = {pid: [kind for kind, have in (("bad", caught), ("good", passed)) if pid not in have]
               for pid in PRACTICES}
    assert {pid: kinds for pid, kinds in missing.items() if kinds} == {}


def test_specs_name_real_practices_and_explain_exceptions():
    """A typo in a practice id would make a test vacuous; an allowed extra failure without a
    reason would hide a regression (say why an exception is allowed)."""
    for name, f in BAD.items():
        assert f.fails in PRACTICES, name
        assert f.stage >= PRACTICES[f.fails].stage, f"{name}: graded below the stage of {f.fails}"
        assert set(f.also_fails) <= set(PRACTICES) - {f.fails}, name
        assert all(reason.strip() for reason in f.also_fails.values()), f"{name}: say why each other failure may happen"
        assert f.says, f"{name}: say what its failure message must name"
        assert not f.passes and not f.fails_by_design, name
    for name, f in GOOD.items():
        assert f.passes and f.passes <= set(PRACTICES), name
        assert all(PRACTICES[p].stage <= f.stage for p in f.passes), name
        for practice, reason in f.fails_by_design.items():
            assert practice not in REQUIRED and practice not in f.passes and reason.strip(), name
        assert not f.says and not f.also_fails, name


def test_fixture_directories_are_named_and_headed_for_what_they_show():
    """Every fixture is named fails-/passes- for what it shows, with a Dockerfile (written, or
    generated from a mutation of a solution) opening with a comment that names it and says why
    it exists; bad ones carry exactly one DEFECT marker, good ones none."""
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
        assert len(defects(name)) == (1 if name.startswith("fails-") else 0), f"{name}: {defects(name)}"
        assert name.startswith("fails-" if name in BAD else "passes-"), name
        if name in BAD:
            assert name.startswith(f"fails-{BAD[name].fails}-"), f"{name}: named for the practice it fails"
            file, number = defect(name)
            line = texts(name)[file].splitlines()[number - 1].strip()
            assert line and not line.startswith("#"), f"{name}: the DEFECT marker precedes an instruction"


# --- bad fixtures ------------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.parametrize("name", BAD_PARAMS_MESSAGE)
def test_bad_fixture_fails_its_practice_at_the_defective_line(graded, name):
    """The learner must be told which practice failed, what was observed (the message names
    it), how to fix it (a hint) and where: the file and line of the defect."""
    fixture = BAD[name]
    report = grade_fixture(graded, name)
    result = report.result(fixture.fails)
    assert result.status == "fail", describe(report)
    assert fixture.says in result.message, result.message
    assert result.hint
    file, line = defect(name)
    shown = report.lines_of(result.file)
    assert (result.file, result.line) == (file, line), (
        f"points at {result.file}:{result.line} ({shown[result.line - 1].strip() if result.line else ''!r}), "
        f"the defect is {file}:{line}")


@pytest.mark.docker
@pytest.mark.parametrize("name", BAD_PARAMS)
def test_bad_fixture_fails_no_other_practice(graded, name):
    """One defect, one failing practice: every other practice passes, except the ones the
    table declares (with its reason), and those do not pass, so the table cannot go stale."""
    fixture = BAD[name]
    report = grade_fixture(graded, name)
    others = {r.id: r.status for r in report.results if r.id != fixture.fails and r.status != "pass"}
    reasons = "; ".join(f"{k}: {v}" for k, v in fixture.also_fails.items()) or "no other failure expected"
    assert set(others) == set(fixture.also_fails), f"{reasons}\n{describe(report)}"


@pytest.mark.docker
def test_an_image_that_does_not_build_leaves_everything_else_unchecked(graded):
    """When the build fails nothing else is judged (curriculum: every other practice is
    `error`), and the report shows the failing step's own log."""
    report = grade_fixture(graded, "fails-image-builds-require-hashes")
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
    report = grade_fixture(graded, name)
    assert "grader's own reading" in report.result("copy-not-add").message
    assert any("hadolint cannot parse" in note for note in report.notes)


@pytest.mark.docker
def test_code_not_writable_blames_chown_only_when_it_gave_the_code_away(graded):
    """`COPY --chown=root:root` is the safe ownership: when the venv is what the runtime user
    can write, the message must not say that --chown handed over the code, nor point at it."""
    name = "fails-code-not-writable-venv-despite-root-chown"
    result = grade_fixture(graded, name).result("code-not-writable")
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
    message = grade_fixture(graded, name).result("exposes-port").message
    listed = re.search(r"listens on (.*?)(?:\)|\. Expected)", message)
    assert listed, message
    assert [item.rsplit(":", 1)[-1] for item in listed.group(1).split(", ")] == ["8000"], message


# --- good fixtures -----------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.parametrize("name", GOOD_PARAMS)
def test_good_fixture_passes_every_required_practice(graded, name):
    """Correct but unusual Dockerfiles must not fail a required practice: a false failure
    there fails the learner's stage."""
    report = grade_fixture(graded, name)
    assert [r.id for r in report.required_failures] == [], describe(report)


@pytest.mark.docker
@pytest.mark.parametrize("name", GOOD_PARAMS)
def test_good_fixture_passes_what_it_demonstrates(graded, name):
    """Each good fixture passes the practices it is the example for, and every other one too,
    except a recommended practice it fails by design; nothing is `error`."""
    report = grade_fixture(graded, name)
    by_design = GOOD[name].fails_by_design
    statuses = {r.id: r.status for r in report.results}
    assert all(statuses[p] == "pass" for p in GOOD[name].passes), describe(report)
    assert {pid for pid, status in statuses.items() if status != "pass"} == set(by_design), describe(report)


@pytest.mark.docker
def test_chown_pattern_fails_only_the_recommended_practice_and_says_why(graded):
    """`COPY --chown=app:app` is what most tutorials teach: it passes every required practice,
    but code-not-writable fails, naming --chown and pointing at that COPY."""
    name = "passes-required-chown-app-code"
    report = grade_fixture(graded, name)
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
    report = grade_fixture(graded, name)
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
    assert grade_fixture(graded, name).result("no-secret-env").status == "pass"
