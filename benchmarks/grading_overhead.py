"""How much time does grading add to the engine work it issues?

Grades `solutions/stage2` at stage 2 with the real CLI (`python -m graders check`), and, in the
same run, issues the engine work that grading consists of directly, one step after the other,
with no grader code: the BuildKit build, `docker run` and the wait for GET /healthz, the commands
run inside the container, the hardened run and its wait, `docker save`. Each is timed; their sum
is what grading would take with no overhead and no overlap. The grader's aim (issue 5): at most
1.25x that sum. It starts the hardened container while the first one is probed, so it can come in
under 1x.

    .venv/bin/python benchmarks/grading_overhead.py [--rounds N]

Warm caches (a first build downloads from PyPI): the first round is a warm-up, not counted.
Prints a table and writes benchmarks/results/grading_overhead.json. Not a test: the numbers
depend on the machine; the README records them with the machine they ran on.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import docker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.grading import HARDENED_RUN  # noqa: E402  (the same options the grader runs with)
from graders.inside import script  # noqa: E402  (the same probe the grader runs)
from graders.workspace import build_context  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "grading_overhead.json"
LABEL = {"org.dockercourse.benchmark": "grading-overhead"}


def _timed(steps: dict[str, float], name: str, action):
    started = time.monotonic()
    result = action()
    steps[name] = steps.get(name, 0.0) + time.monotonic() - started
    return result


def _wait_for_200(client, container, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        container.reload()
        port = container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError("the container never answered 200")


def engine_work(client) -> dict[str, float]:
    """The engine work of one stage-2 grading, step by step, with no grader around it."""
    steps: dict[str, float] = {}
    tag = f"dockercourse-bench/{uuid.uuid4().hex[:8]}:stage2"
    with build_context(ROOT / "solutions" / "stage2", offline=True) as context:
        _timed(steps, "build (buildx, cached)", lambda: subprocess.run(
            ["docker", "buildx", "build", "--progress=quiet", "--load", "--tag", tag, str(context.dir)],
            check=True, capture_output=True))
    containers = []
    try:
        ports = {"8000/tcp": ("127.0.0.1", None)}
        serve = _timed(steps, "run", lambda: client.containers.run(tag, detach=True, ports=ports, labels=LABEL))
        containers.append(serve)
        _timed(steps, "wait for /healthz", lambda: _wait_for_200(client, serve))
        for command in (["cat", "/proc/1/status"], ["cat", "/proc/net/tcp"], ["cat", "/proc/net/tcp6"],
                        ["python3", "-c", script("writable_code"), "shortlinks"]):
            _timed(steps, "exec (probes)", lambda: serve.exec_run(command, user="10001:10001"))
        _timed(steps, "docker top", lambda: serve.top(ps_args="-eo pid,uid,gid,args"))
        hardened = _timed(steps, "hardened run", lambda: client.containers.run(
            tag, detach=True, ports=ports, labels=LABEL, **HARDENED_RUN))
        containers.append(hardened)
        _timed(steps, "hardened wait for /healthz", lambda: _wait_for_200(client, hardened))
        _timed(steps, "docker save", lambda: sum(len(chunk) for chunk in client.images.get(tag).save(named=False)))
    finally:
        for container in containers:
            _timed(steps, "remove", lambda: container.remove(force=True, v=True))
        client.images.remove(tag, force=True)
    return steps


def grading() -> float:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "graders", "check", "--stage", "2", "solutions/stage2"],
                            cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"grading failed (exit {result.returncode}): {result.stdout[-800:]}{result.stderr[-400:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="counted rounds after one warm-up (default 3)")
    args = parser.parse_args()
    client = docker.from_env()
    engine_work(client), grading()  # warm-up: caches, page cache, the stand-in's layers
    rounds = []
    for _ in range(args.rounds):
        steps = engine_work(client)
        graded = grading()
        rounds.append({"steps": steps, "engine_seconds": sum(steps.values()), "grading_seconds": graded,
                       "ratio": graded / sum(steps.values())})
        print(f"engine work {rounds[-1]['engine_seconds']:.2f} s, grading {graded:.2f} s, "
              f"ratio {rounds[-1]['ratio']:.2f}", flush=True)
    median = statistics.median(r["ratio"] for r in rounds)
    print("\nsteps of the engine work (median of the rounds):")
    for name in rounds[0]["steps"]:
        print(f"  {name:<28} {statistics.median(r['steps'][name] for r in rounds):6.2f} s")
    print(f"\nmedian: engine work {statistics.median(r['engine_seconds'] for r in rounds):.2f} s, grading "
          f"{statistics.median(r['grading_seconds'] for r in rounds):.2f} s, ratio {median:.2f} (aim: at most 1.25)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "engine": client.version().get("Version"), "platform": platform.platform()},
        "date": time.strftime("%Y-%m-%d"), "rounds": rounds, "median_ratio": median}, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
