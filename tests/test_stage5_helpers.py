"""How the stage-5 checks read what the engine reports (no engine needed): its timestamps, the
image's HEALTHCHECK and the programs it runs, a .pyc's source, a process's command line."""

from __future__ import annotations

import pytest

from graders import probes
from graders.checks.stage5 import HEALTH_DEFAULTS, _program, _source_of, _word, declared_probe

SECOND = 1_000_000_000   # the engine gives durations in nanoseconds


def test_engine_times_keep_their_fraction_and_zone():
    """The engine writes nanoseconds and `Z`; a container never started has the zero time."""
    base = probes.engine_time("2026-12-03T10:21:54Z")
    assert probes.engine_time("2026-12-03T10:21:54.339776006Z") == pytest.approx(base + 0.339776)
    assert probes.engine_time("2026-12-03T11:21:54.5+01:00") == pytest.approx(base + 0.5)
    assert probes.engine_time("0001-01-01T00:00:00Z") is None
    assert probes.engine_time("") is None and probes.engine_time("yesterday") is None


def test_a_healthcheck_without_options_gets_the_engines_defaults():
    probe = declared_probe({"Healthcheck": {"Test": ["CMD", "python3", "-c", "pass"]}})
    assert (probe.interval, probe.timeout, probe.start_period, probe.start_interval) == (
        HEALTH_DEFAULTS["Interval"], HEALTH_DEFAULTS["Timeout"], HEALTH_DEFAULTS["StartPeriod"],
        HEALTH_DEFAULTS["StartInterval"])
    assert probe.retries == 3
    set_ = declared_probe({"Healthcheck": {"Test": ["CMD", "x"], "Interval": 10 * SECOND, "StartInterval": SECOND,
                                           "Retries": 7}})
    assert (set_.interval, set_.start_interval, set_.retries, set_.failures_to_judge) == (10, 1, 7, 5)


@pytest.mark.parametrize("config", [{}, {"Healthcheck": None}, {"Healthcheck": {"Test": ["NONE"]}},
                                    {"Healthcheck": {"Test": []}}], ids=["absent", "null", "NONE", "empty"])
def test_no_healthcheck_and_healthcheck_none_declare_nothing(config):
    assert declared_probe(config) is None


def test_a_shell_probe_needs_its_shell_and_commands_not_its_builtins():
    """`curl -f ... || exit 1` needs /bin/sh and curl; `exit` is the shell's own."""
    probe = declared_probe({"Healthcheck": {"Test": ["CMD-SHELL", "curl -fsS http://127.0.0.1:8000/healthz || exit 1"]}})
    assert probe.programs([]) == ["/bin/sh", "curl"]
    assert probe.programs(["/bin/bash", "-c"]) == ["/bin/bash", "curl"]
    assert probe.command == "curl -fsS http://127.0.0.1:8000/healthz || exit 1"


def test_an_exec_form_probe_needs_only_its_program():
    probe = declared_probe({"Healthcheck": {"Test": ["CMD", "/opt/venv/bin/python", "-c", "import x; x.y('a b')"]}})
    assert probe.programs([]) == ["/opt/venv/bin/python"]
    assert probe.command == "/opt/venv/bin/python -c \"import x; x.y('a b')\""


def test_words_are_quoted_only_when_they_must_be():
    assert _word("--bind") == "--bind"
    assert _word("a b") == '"a b"'
    assert _word('say "hi"') == "'say \"hi\"'"


def test_a_pyc_names_its_source():
    assert _source_of("/app/src/shortlinks/__pycache__/app.cpython-313.pyc") == "/app/src/shortlinks/app.py"
    assert _source_of("/x/__pycache__/m.cpython-313.opt-1.pyc") == "/x/m.py"


@pytest.mark.parametrize("argv, said", [
    (["/usr/bin/python3", "/usr/local/bin/gunicorn", "--bind", "0.0.0.0:8000"], "gunicorn run by /usr/bin/python3"),
    (["python3", "-X", "faulthandler", "-m", "gunicorn", "app:app"], "python3 -m gunicorn"),
    (["tini", "--", "gunicorn"], "tini"),
    (["/bin/sh", "-c", "gunicorn app:app"], "sh"),
])
def test_a_process_is_named_for_what_it_runs(argv, said):
    assert _program(probes.Process(1, 0, 0, argv)) == said
