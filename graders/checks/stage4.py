"""Stage 4, identify and debug: a crash leaves a traceback, output arrives at once, the image says
which commit it is (labels, /version), logs go to stdout, per-commit metadata does not spoil the
cache."""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime

from .. import catalogue, inside, probes
from ..history_layers import INSTALL_STEP, install_layer, same_layer  # noqa: F401 (INSTALL_STEP: stage 5 imports it from here)
from ..dockerfile import key_values
from ..grading import Grading, NotChecked
from .base import Outcome, check, failed, passed

CRASH = "import ctypes; ctypes.string_at(0)"   # the curriculum's segfault (reference.md §3.4)
FATAL = "Fatal Python error"
TRACEBACK = re.compile(r"(Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\)")
FLUSH_SECONDS = float(catalogue.load().practice("unbuffered-output").limits["seconds"])


def _env_line(g: Grading, name: str) -> int:
    """The line of the ENV that sets `name`; else where it belongs: the final image's first ENV,
    else the line deciding the container's command."""
    envs = [i for i in g.dockerfile.final_instructions() if i.cmd == "ENV"]
    for instr in reversed(envs):
        if any(key == name for key, _value in key_values(instr)):
            return instr.line
    return envs[0].line if envs else g.start_line


def _commit_line(g: Grading) -> int:
    """Where the commit enters the image: an ENV setting GIT_COMMIT, else an ARG naming a commit."""
    for instr in reversed(g.dockerfile.final_instructions()):
        if instr.cmd == "ENV" and any(key == "GIT_COMMIT" for key, _value in key_values(instr)):
            return instr.line
    for instr in reversed(g.dockerfile.final_instructions()):
        if instr.cmd == "ARG" and any(re.search(r"COMMIT|REVISION|SHA", key.upper()) for key, _v in key_values(instr)):
            return instr.line
    return g.start_line


@check("faulthandler", containers=("serve", "crash"))
def faulthandler(g: Grading) -> Outcome:
    python = g.serving.interpreter if g.serving.running else None
    interpreter = python.path if python else "python3"
    crash = g.one_off("segfault", [interpreter, "-c", CRASH])
    if crash.problem:
        raise NotChecked(f"Not checked: {interpreter} could not run in the image ({crash.problem}).")
    if FATAL in crash.log and TRACEBACK.search(crash.log):
        return passed(f"`{interpreter} -c \"{CRASH}\"` in the image exited {crash.exit_code} and left "
                      f"`{FATAL}: Segmentation fault` and the Python traceback in the log.",
                      _env_line(g, "PYTHONFAULTHANDLER"))
    # Not for every Python in the image: maybe for the server's own process (-X faulthandler, or in code).
    run = g.running("crash")
    answer = probes.exec_in(run.container, [run.interpreter.path, "-c", inside.script("segfault_worker")],
                            user=run.interpreter.user)
    crashed = json.loads(answer.stdout.strip().splitlines()[-1]) if answer.ok and answer.stdout.strip() else {}
    deadline = time.monotonic() + 5
    while True:
        log = "\n".join(probes.logs_tail(run.container, 200))
        if FATAL in log and TRACEBACK.search(log):
            return passed(f"A segfault in the server's own process ({' '.join(crashed.get('argv', [])[:3])}…) left "
                          f"`{FATAL}` and its traceback in the log (faulthandler is enabled for the server, not for "
                          "every Python in the image).", g.start_line)
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    return failed(f"A segfault (`{CRASH}`) exited with code {crash.exit_code} and left no Python traceback in the "
                  "log; neither did a segfault of the running server's process.",
                  f"`{FATAL}: Segmentation fault` and the Python traceback in the container's log.",
                  _env_line(g, "PYTHONFAULTHANDLER"),
                  details=[f"log: {line}" for line in crash.log.strip().splitlines()[-5:]] or ["log: (empty)"])


PROBE_LINE = "course-probe: printed at start-up"


def _python_options(argv: list[str]) -> list[str]:
    """The interpreter's own options in a command line (before -m, -c or the script)."""
    options, words = [], iter(argv[1:])
    for word in words:
        if not word.startswith("-") or word.startswith(("-m", "-c")):
            break
        options.append(word)
        if word in ("-X", "-W"):   # their value is the next word
            options.append(next(words, ""))
    return options


@check("unbuffered-output", containers=("serve",))
def unbuffered_output(g: Grading) -> Outcome:
    """A line the image's Python prints at start-up reaches `docker logs` within the limit. (The
    app's own start-up line is no evidence: gunicorn's access log on stdout flushes whatever the
    app printed at the first request, the grader's own.)"""
    run = g.running()
    python = run.interpreter
    line = _env_line(g, "PYTHONUNBUFFERED")
    probe = g.one_off("print", [python.path, "-c", f"import time; print({PROBE_LINE!r}); time.sleep(30)"],
                      timeout=FLUSH_SECONDS + 1)
    if probe.problem:
        raise NotChecked(f"Not checked: {python.path} could not run in the image ({probe.problem}).")
    if PROBE_LINE in probe.log:
        return passed(f"A line printed at start-up by the image's Python ({python.path}) was in `docker logs` within "
                      f"{FLUSH_SECONDS:.0f} s: its output is not buffered.", line)
    server = next((proc for proc in probes.processes(run.container) if proc.argv and proc.argv[0] == python.path), None)
    flags = _python_options(server.argv) if server else []
    if any(flag.startswith("-") and "u" in flag[1:] and not flag.startswith("--") for flag in flags):
        return passed(f"The server runs unbuffered (`{' '.join(server.argv[:4])} …`), though a plain `python` in the "
                      "image does not.", g.start_line)
    return failed(f"A line printed at start-up by the image's Python ({python.path}) was not in `docker logs` "
                  f"within {FLUSH_SECONDS:.0f} s, and the server is not started with `-u`: its output is buffered, so "
                  "it arrives late, and is lost if the process dies.",
                  f"A line printed at start-up is in `docker logs` within {FLUSH_SECONDS:.0f} s.", line,
                  details=[f"log: {l}" for l in probe.log.strip().splitlines()[-4:]] or ["log: (empty)"])


@check("logs-to-stdout", containers=("serve",))
def logs_to_stdout(g: Grading) -> Outcome:
    run = g.running()
    marker = uuid.uuid4().hex[:16]
    url = probes.published_url(run.container, run.port, f"/version?course-probe={marker}")
    status, problem = probes.http_status(url) if url else (None, "port not published")
    deadline = time.monotonic() + FLUSH_SECONDS + 1
    while not (found := [l for l in probes.logs_tail(run.container, 400) if marker in l]):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    written = sorted(change["Path"] for change in (run.container.diff() or [])
                     if change["Path"].endswith(".log") and change.get("Kind") in (0, 1))
    if written:
        return failed(f"The container writes log files: {', '.join(written[:5])}.",
                      "Logs on stdout/stderr only; no *.log files in the container.", g.start_line, details=written)
    if not found:
        return failed(f"After `GET /version?course-probe={marker}` (answer: {status or problem}), no access-log line "
                      "naming it reached `docker logs`.",
                      "The server's access log on stdout: one line per request in `docker logs`.", g.start_line)
    return passed(f"The request's access-log line is in `docker logs` ({found[0].strip()[:100]!r}); no *.log file "
                  "is written in the container.", g.start_line)


# --- what the build script built: labels, /version, the cache across commits ----------------------

OCI = "org.opencontainers.image."
REQUIRED_LABELS = ("revision", "source", "version", "created")


def _main_run(g: Grading, name: str = "main"):
    """The build script's run on main (stage 3), and the commit tag it pushed."""
    from .stage3 import _commit_tags, _Missing, _script

    try:
        _script(g)
    except _Missing:
        raise NotChecked("Not checked: there is no build.sh, which builds the images stage 4 looks at "
                         "(see stage 3).") from None
    run = g.scripts.run(name)
    tags = _commit_tags(run)
    if not run.ok or not tags:
        raise NotChecked(f"Not checked: on {run.branch} build.sh {run.ended()} and pushed no commit tag, so there "
                         "is no image of a known commit to look at (see stage 3).")
    return run, tags[0]


def _names_commit(value: str, commit: str) -> bool:
    return len(value) >= 7 and commit.startswith(value.strip())


def _label_line(g: Grading) -> tuple[int | None, str]:
    """Where the labels are set: a Dockerfile LABEL naming them, else build.sh's --label."""
    for instr in g.dockerfile.final_instructions():
        if instr.cmd == "LABEL" and OCI in instr.original:
            return instr.line, "Dockerfile"
    for number, text in enumerate(g.file_lines.get("build.sh") or [], 1):
        if OCI in text and not text.lstrip().startswith("#"):
            return number, "build.sh"
    return g.final_from_line, "Dockerfile"


@check("oci-labels", needs_image=False)
def oci_labels(g: Grading) -> Outcome:
    run, tag = _main_run(g)
    labels = (g.scripts.registry.config(g.scripts.image, tag).get("config") or {}).get("Labels") or {}
    g.submission_file("build.sh")
    line, file = _label_line(g)
    problems = [f"no {OCI}{name}" for name in REQUIRED_LABELS if not (labels.get(OCI + name) or "").strip()]
    revision = labels.get(OCI + "revision") or ""
    if revision and not _names_commit(revision, run.commit):
        problems.append(f"{OCI}revision is {revision!r}, not the commit built ({run.commit})")
    created = labels.get(OCI + "created") or ""
    if created:
        try:
            datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"{OCI}created is {created!r}, not an RFC 3339 time (e.g. 2026-12-02T18:13:33Z)")
    if problems:
        return failed(f"The image build.sh pushed from {run.branch} ({tag}): {'; '.join(problems)}.",
                      f"Labels {', '.join(OCI + n for n in REQUIRED_LABELS)}; revision = the commit built, created in "
                      "RFC 3339.", line, file=file,
                      details=[f"{key}={value}" for key, value in sorted(labels.items()) if key.startswith(OCI)])
    return passed(f"The image of {tag} says revision {revision}, source {labels[OCI + 'source']}, version "
                  f"{labels[OCI + 'version']}, created {created}.", line, file=file)


@check("version-visible", needs_image=False)
def version_visible(g: Grading) -> Outcome:
    run, tag = _main_run(g)
    image = g.scripts.registry.pull(g.scripts.image, tag)
    served = g.run_image(f"pushed-{tag}", image.id)
    line = _commit_line(g)
    if not served.answer.ok:
        return failed(f"The image build.sh pushed ({tag}) does not serve: {served.answer.problem}.",
                      "GET /version of the running image names the commit it was built from.", line,
                      details=[f"container log: {l}" for l in served.logs()])
    url = probes.published_url(served.container, served.port, "/version")
    answer = probes.http_body(url) if url else None
    said = answer[1] if answer else ""
    try:
        reported = str(json.loads(said).get("commit", ""))
    except (ValueError, AttributeError):
        reported = ""
    if _names_commit(reported, run.commit):
        return passed(f"GET /version of the image of {tag} answers commit {reported}, the commit built.", line)
    logged = next((l for l in served.logs(50) if run.commit[:7] in l), None)
    if logged:
        return passed(f"The image of {tag} logs its commit at start-up: {logged.strip()!r}.", line)
    return failed(f"The image build.sh pushed from commit {run.short} answers GET /version with {said.strip()[:120]!r} "
                  "and does not log the commit.", f"GET /version answers the commit built ({run.commit}).", line,
                  fix="Pass the commit into the build (a build argument) and make it the environment variable the "
                      "app reads (GIT_COMMIT, see exercises/README.md).")


@check("volatile-metadata-last", needs_image=False)
def volatile_metadata_last(g: Grading) -> Outcome:
    first, first_tag = _main_run(g, "main")
    second, second_tag = _main_run(g, "main-next")
    registry, name = g.scripts.registry, g.scripts.image
    configs = [registry.config(name, first_tag), registry.config(name, second_tag)]
    install = install_layer(configs[0])
    if install is None:
        raise NotChecked("Not checked: no layer of the image was made by a dependency install (pip, uv, poetry...).")
    index, step = install
    layers = [(c.get("rootfs") or {}).get("diff_ids") or [] for c in configs]
    same = same_layer(layers[0], layers[1], index)
    short_step = " ".join(step.replace(" # buildkit", "").split())[:90]
    seconds = f"build.sh took {first.seconds:.1f} s, then {second.seconds:.1f} s"
    if same:
        return passed(f"Two builds of commits that differ by nothing but the commit ({first.short}, {second.short}) "
                      f"share the dependency install layer (`{short_step}`); {seconds}.")
    before = [i for i in g.dockerfile.final_instructions() if i.cmd in ("ARG", "LABEL")
              and i.line < _line_of_step(g, step)]
    return failed(f"Two builds of commits that differ by nothing but the commit ({first.short}, {second.short}) "
                  f"made the dependency install layer (`{short_step}`) twice: something per-commit comes before it; "
                  f"{seconds}.", "Per-commit ARG/LABEL after the dependency install, so it comes from the cache.",
                  before[-1].line if before else g.final_from_line)


def _line_of_step(g: Grading, step: str) -> int:
    """The Dockerfile line of the RUN a history entry came from (the end of the file if unknown)."""
    text = " ".join(step.replace(" # buildkit", "").split())
    for instr in reversed(g.dockerfile.final_instructions()):
        words = " ".join(" ".join(instr.args).split())
        if instr.cmd == "RUN" and words and words in text:
            return instr.line
    return len(g.dockerfile.lines) + 1
