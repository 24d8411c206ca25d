"""Notebook 00's look at the learner's machine: is everything the course needs there?

Each check says what it found and, when something is missing, how to fix it. Offline-safe.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import engine
from ..build import build as buildkit_build
from ..workspace import REPO_ROOT
from .built import image_origin
from .display import mb, show_rich

MIN_FREE_GB = 5  # course estimate, see notebook 00 (the base image, one image per stage, the build cache)


@dataclass
class SetupCheck:
    name: str
    status: str           # "ok", "warn" (works, read the note) or "fail"
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


def _cli_version(*args: str) -> str | None:
    cli = shutil.which("docker")
    if cli is None:
        return None
    proc = subprocess.run([cli, *args], capture_output=True, text=True, timeout=30)
    return proc.stdout.strip() if proc.returncode == 0 else None


def setup_checks() -> list[SetupCheck]:
    """Look at what the course needs; every check says how to fix what it finds missing. Offline-safe."""
    from ..images import STANDIN_TAGS

    checks: list[SetupCheck] = []
    in_venv = Path(sys.prefix).resolve() == (REPO_ROOT / ".venv").resolve()
    checks.append(SetupCheck(
        "Python kernel", "ok" if in_venv else "warn",
        f"Python {sys.version.split()[0]} at {sys.prefix}",
        "" if in_venv else "Use the course's environment: `make lab` starts JupyterLab from .venv "
                           "(or pick the .venv kernel in Kernel → Change Kernel)."))

    cli = shutil.which("docker")
    client_version = _cli_version("version", "--format", "{{.Client.Version}}") if cli else None
    checks.append(SetupCheck(
        "docker CLI", "ok" if cli else "fail",
        f"{cli} (client {client_version or '?'})" if cli else "no `docker` command on PATH",
        "" if cli else "Install the Docker CLI (Docker Desktop includes it; Debian: apt-get install docker-cli)."))

    client = None
    try:
        client = engine.connect(timeout=20)
        info = client.info()
        version = client.version()
        checks.append(SetupCheck(
            "Docker engine answers", "ok",
            f"Engine {version.get('Version')}, API {version.get('ApiVersion')}, storage {info.get('Driver')}, "
            f"{info.get('OperatingSystem')}"))
    except engine.EngineUnavailable as exc:
        info = {}
        checks.append(SetupCheck("Docker engine answers", "fail", str(exc).split(";")[0],
                                 "Start Docker Desktop, or on Debian as root: `bash scripts/ensure-engine.sh` "
                                 "(also `make engine`). Then run this notebook again."))

    try:
        engine.ensure_buildx()
        buildx = _cli_version("buildx", "version") or "present"
        checks.append(SetupCheck("BuildKit (docker buildx)", "ok", buildx))
        buildx_ok = True
    except engine.EngineUnavailable as exc:
        checks.append(SetupCheck("BuildKit (docker buildx)", "fail", "missing", str(exc)))
        buildx_ok = False

    if client is not None and buildx_ok:
        checks.append(_test_build(client))

    reachable = engine.registry_reachable()
    checks.append(SetupCheck(
        "Registry (Docker Hub)", "ok",
        "reachable" if reachable else "not reachable: fine, the course works offline with local stand-ins",
        "" if reachable else "Nothing to do. Base images come from the stand-ins below; a `# syntax=` line "
                             "in a Dockerfile is neutralised by the grader (it would need the registry)."))

    if client is not None:
        for tag in STANDIN_TAGS:
            try:
                image = client.images.get(tag)
            except Exception:
                checks.append(SetupCheck(f"Base image {tag}", "fail", "missing",
                                         "Run `.venv/bin/python -m graders images` in a terminal (or `make images`): it "
                                         "pulls the image, or builds a stand-in from Debian trixie packages "
                                         "when no registry answers."))
                continue
            found = f"{image.short_id}, {mb(image.attrs.get('Size'))}"
            origin = image_origin(image)
            if origin == "stand-in":
                checks.append(SetupCheck(f"Base image {tag}", "ok", f"{found}, the course's offline stand-in"))
            elif origin == "registry":
                checks.append(SetupCheck(f"Base image {tag}", "ok", f"{found}, pulled from the registry"))
            else:
                checks.append(SetupCheck(
                    f"Base image {tag}", "warn", f"{found}, a local image: neither pulled nor a course stand-in",
                    f"Fine if you built it on purpose. Otherwise `docker image rm {tag}`, then "
                    "`.venv/bin/python -m graders images` pulls the official image or builds the stand-in."))

    root_dir = info.get("DockerRootDir") if info else None
    where = root_dir if root_dir and Path(root_dir).exists() else "/"
    usage = shutil.disk_usage(where)
    free_gb = usage.free / 1e9
    note = "" if where == root_dir else f" (Docker's data directory {root_dir or '?'} is not on this machine's " \
                                        "file system, e.g. inside Docker Desktop's VM: measured / instead)"
    checks.append(SetupCheck(
        "Free disk space", "ok" if free_gb >= MIN_FREE_GB else "fail",
        f"{free_gb:.1f} GB free of {usage.total / 1e9:.0f} GB at {where}{note}",
        "" if free_gb >= MIN_FREE_GB else
        f"Free at least {MIN_FREE_GB} GB: `docker builder prune` and `docker image prune` remove unused build "
        "cache and dangling images (Docker Desktop: raise the disk limit in Settings → Resources)."))

    if client is not None:
        found = engine.sessions(client)
        stale = [sid for sid, labels in found.items() if engine.is_stale(labels)]
        live = len(found) - len(stale)
        checks.append(SetupCheck(
            "Leftovers from earlier grading", "ok" if not stale else "warn",
            (f"{len(stale)} session(s) whose grading process is gone" if stale else "none")
            + (f"; {live} grading session(s) in progress" if live else ""),
            "" if not stale else "`.venv/bin/python -m graders cleanup` removes them (gradings in progress are left alone)."))
        client.close()
    return checks


def _test_build(client) -> SetupCheck:
    """A tiny real BuildKit build (FROM scratch, one file), loaded into the engine, then removed."""
    session = engine.Session(client)
    try:
        with tempfile.TemporaryDirectory(prefix="dockercourse-setup-") as tmp:
            context = Path(tmp)
            (context / "hello.txt").write_text("hello from BuildKit\n")
            (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
            result = buildkit_build(context, context / "Dockerfile", session.image_tag("setup"), session.labels,
                                    timeout=120)
        if result.ok:
            return SetupCheck("A BuildKit build works", "ok", f"built and loaded a test image in {result.seconds:.1f} s")
        return SetupCheck("A BuildKit build works", "fail", f"{result.error}",
                          "Read the error; on Docker Desktop restart it; on Linux check `docker buildx ls` "
                          "and that the engine's storage has space.")
    finally:
        session.close()


def show_checks(checks: list[SetupCheck]) -> None:
    """The summary table: ✔ / ⚠ / ✘ per check, what was found, and how to fix it."""
    from rich.table import Table

    marks = {"ok": "[green]✔[/]", "warn": "[yellow]⚠[/]", "fail": "[red]✘[/]"}
    table = Table(title="Is this machine ready for the course?", show_lines=True, title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("check", ratio=2)
    table.add_column("found", ratio=3)
    table.add_column("how to fix", ratio=4)
    for c in checks:
        table.add_row(marks[c.status], c.name, c.found, c.fix)
    show_rich(table)
