"""How fast a container starts: from `docker run` to the first `200` on `GET /healthz` (polled every
quarter of a second, as the grader polls), and how long the app's import takes inside it. Runs
one container at a time, so that two start-ups never share the machine's cores, and takes the
setups being compared in turn (round robin), so that a burst of load elsewhere on a shared
machine falls on all of them alike."""

from __future__ import annotations

import statistics

from .. import catalogue
from .commands import docker_run_line

# The startup-time practice's limit (graders/practices.toml): `docker run` to the first 200.
START_LIMIT = float(catalogue.load().practice("startup-time").limits["seconds"])

IMPORT_TIMER = ("import time; started = time.perf_counter(); import {module}; "
                "print(round(time.perf_counter() - started, 4))")


def compare_startups(lab, setups: dict[str, tuple], runs: int = 3) -> dict[str, list[float]]:
    """label -> (built, environment, show_as, run options): seconds to the first 200 of each, `runs`
    rounds, the setups in turn."""
    for label, (built, environment, show_as, _options) in setups.items():
        line = docker_run_line(built.image.tags[0], environment=environment, detach=True, publish=["127.0.0.1::8000"])
        print(line.replace(" -d ", f" -d {show_as} ", 1) if show_as else line, f"   # {label}")
    print(f"  … each {runs} times, in turn; seconds from `docker run` to the first 200")
    seconds: dict[str, list[float]] = {label: [] for label in setups}
    for _ in range(runs):
        for label, (built, environment, _show_as, options) in setups.items():
            running = lab.run(built, environment=dict(environment or {}), **options)
            answer = running.wait_for_http()
            running.container.remove(force=True)
            if not answer.ok:
                raise RuntimeError(f"no 200 from {built.name}: {answer.problem}")
            seconds[label].append(answer.seconds)
    return seconds


def compare_imports(lab, setups: dict[str, tuple], module: str = "shortlinks.wsgi", runs: int = 7) -> dict[str, list[float]]:
    """label -> (built, environment): seconds to import `module` in fresh containers, `runs` rounds,
    the setups in turn."""
    command = ["python3", "-c", IMPORT_TIMER.format(module=module)]
    for label, (built, environment) in setups.items():
        print(docker_run_line(built.image.tags[0], command, environment), f"   # {label}")
    print(f"  … each {runs} times, in turn")
    seconds: dict[str, list[float]] = {label: [] for label in setups}
    for _ in range(runs):
        for label, (built, environment) in setups.items():
            code, output = lab.run_once(built, command, environment=dict(environment or {}))
            if code != 0:
                raise RuntimeError(f"importing {module} failed (exit {code}): {output.strip()[-300:]}")
            seconds[label].append(float(output.strip().splitlines()[-1]))
    return seconds


def median(values: list[float]) -> float:
    return statistics.median(values)
