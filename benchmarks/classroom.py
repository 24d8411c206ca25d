"""How long does a class take to grade, and how much do workers and a second engine help?

1. One submission per stage (`solutions/stageN` graded at stage N by `python -m graders check`),
   cold and warm. Cold: on a second engine whose data root was just emptied (scripts/second-
   engine.sh purge + start; only the base images copied in), so BuildKit has no layer of it
   cached and nothing of the main engine is touched. Warm: the same grading again right after.
2. A class of generated submissions (half solution 2, passing; a third solution 1, failing
   stage 2; the rest a build that breaks; each with its own comment line so no two are the same
   files) graded at stage 2 by `python -m graders classroom --no-cache`: serially (1 worker),
   with 2 workers on one engine, and with 1 worker on each of 2 engines. Aims: 2 workers at least
   1.6x serial, 2 engines at least 1.8x one.

    .venv/bin/python benchmarks/classroom.py [--size 30] [--stages 1,2,3,4]

Needs root (the second engine). Writes benchmarks/results/classroom.json with the machine it
ran on (cores, load average before and after: the machine may be shared) and prints a table.
Not a test: the numbers are the machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graders.classroom import engines  # noqa: E402  (base images copied the way the classroom does)
from graders.runner import implemented_stages  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "classroom.json"
SECOND = ROOT / "scripts" / "second-engine.sh"
MAIN = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")


def second_engine(*action: str) -> str:
    done = subprocess.run([str(SECOND), *action], capture_output=True, text=True, check=True)
    return done.stdout.strip().removeprefix("DOCKER_HOST=")


def timed(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.monotonic() - started, done.returncode


def one_submission(stage: int, url: str, scratch: Path) -> dict:
    """Cold then warm grading of solution N at stage N on a freshly emptied second engine."""
    second_engine("purge")
    url = second_engine("start")
    engines.provision([engines.resolve(MAIN), engines.resolve(url)], stage, lambda _text: None)
    env = {**os.environ, "DOCKER_HOST": url, "DOCKERCOURSE_METRICS_FILE": str(scratch / "metrics.json")}
    argv = [sys.executable, "-m", "graders", "check", "--stage", str(stage), f"solutions/stage{stage}"]
    cold, cold_code = timed(argv, env)
    warm, warm_code = timed(argv, env)
    return {"stage": stage, "cold_seconds": round(cold, 1), "warm_seconds": round(warm, 1),
            "exit_codes": [cold_code, warm_code]}


def generate_class(root: Path, size: int) -> dict[str, int]:
    """size submissions: passing, failing and broken ones, each different by a comment line."""
    kinds = {"passing": 0, "failing": 0, "broken": 0}
    for i in range(size):
        name = f"learner{i + 1:02d}"
        kind = "passing" if i % 6 in (0, 2, 4) else "failing" if i % 6 in (1, 3) else "broken"
        kinds[kind] += 1
        folder = root / name
        if kind == "broken":
            folder.mkdir(parents=True)
            (folder / "Dockerfile").write_text("FROM python:3.13-slim\nRUN exit 3\n")
        else:
            shutil.copytree(ROOT / "solutions" / ("stage2" if kind == "passing" else "stage1"), folder)
        dockerfile = folder / "Dockerfile"
        dockerfile.write_text(f"# {name}'s Dockerfile\n" + dockerfile.read_text())
    return kinds


def grade_class(root: Path, out: Path, workers: int, urls: list[str]) -> dict:
    argv = [sys.executable, "-m", "graders", "classroom", str(root), "--stage", "2", "--no-cache",
            "--cache-dir", str(out / "verdicts"), "--out", str(out / "results"), "--workers", str(workers)]
    for url in urls:
        argv += ["--engine", url]
    seconds, code = timed(argv)
    summary = json.loads((out / "results" / "summary.json").read_text())
    return {"workers": workers, "engines": len(urls), "seconds": round(seconds, 1), "exit_code": code,
            "graded": len(summary["submissions"]), "batch_seconds": summary["seconds"]}


def machine() -> dict:
    version = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True)
    return {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "docker": version.stdout.strip(), "date": time.strftime("%Y-%m-%d %H:%M"),
            "load_average_before": [round(x, 2) for x in os.getloadavg()]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--stages", default=",".join(str(s) for s in implemented_stages()))
    args = parser.parse_args()
    info = machine()
    results: dict = {"machine": info, "one_submission": [], "class": {}}
    with tempfile.TemporaryDirectory(prefix="dockercourse-bench-") as scratch_name:
        scratch = Path(scratch_name)
        url = second_engine("start")
        for stage in (int(s) for s in args.stages.split(",") if s):
            results["one_submission"].append(one_submission(stage, url, scratch))
            print(json.dumps(results["one_submission"][-1]), flush=True)
        url = second_engine("start")
        engines.provision([engines.resolve(MAIN), engines.resolve(url)], 2, lambda _text: None)
        root = scratch / "class"
        results["class"]["kinds"] = generate_class(root, args.size)
        warmup = scratch / "warmup"
        for kind in ("learner01", "learner02", "learner06"):   # one of each kind on each engine, untimed
            shutil.copytree(root / kind, warmup / kind)
        grade_class(warmup, scratch / "w1", 1, [MAIN])
        grade_class(warmup, scratch / "w2", 1, [url])
        runs = {"serial": (1, [MAIN]), "2 workers, 1 engine": (2, [MAIN]), "2 engines, 1 worker each": (2, [MAIN, url])}
        for label, (workers, urls) in runs.items():
            results["class"][label] = grade_class(root, scratch / label.replace(" ", "_").replace(",", ""), workers, urls)
            print(label, json.dumps(results["class"][label]), flush=True)
    serial = results["class"]["serial"]["seconds"]
    results["class"]["speedup_2_workers"] = round(serial / results["class"]["2 workers, 1 engine"]["seconds"], 2)
    results["class"]["speedup_2_engines"] = round(serial / results["class"]["2 engines, 1 worker each"]["seconds"], 2)
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nclass of {args.size} at stage 2 ({results['class']['kinds']}):")
    for label in runs:
        print(f"  {label:<26} {results['class'][label]['seconds']:>7.1f} s")
    print(f"  speed-up: 2 workers {results['class']['speedup_2_workers']}x (aim 1.6x), "
          f"2 engines {results['class']['speedup_2_engines']}x (aim 1.8x)")
    for row in results["one_submission"]:
        print(f"  stage {row['stage']}: cold {row['cold_seconds']} s, warm {row['warm_seconds']} s")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
