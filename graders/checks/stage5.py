"""Stage 5, operational correctness: PID 1 is the server (or an init) started in exec form,
`docker stop` stops it at once, the image reports its health with what it contains, its bytecode
is compiled at build time, it serves from a read-only root filesystem, and it starts fast."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import time
from dataclasses import dataclass

from .. import catalogue, inside, probes, shell
from ..dockerfile import Instruction
from ..grading import PYTHON_EXECUTABLE, SERVE_LIMIT, Grading, NotChecked, Run
from .base import Outcome, check, failed, passed
from .stage2 import APP_PACKAGE
from .stage4 import INSTALL_STEP, _python_options

_PRACTICES = catalogue.load()
STOP_LIMIT = float(_PRACTICES.practice("graceful-shutdown").limits["seconds"])
STOP_GRACE = float(_PRACTICES.practice("graceful-shutdown").limits["grace_seconds"])
STARTUP_LIMIT = float(_PRACTICES.practice("startup-time").limits["seconds"])
SIGKILLED = 137   # 128 + 9: the engine's SIGKILL when the grace period ran out

# Inits made for containers: they pass signals on to their child and reap zombies.
INITS = frozenset({"tini", "tini-static", "dumb-init", "catatonit", "s6-svscan", "runsvdir"})
# The engine's own init (tini, bind-mounted at /sbin/docker-init), put in front by `docker run
# --init` or a daemon whose default is `"init": true`: not the image's, so its child is judged.
ENGINE_INIT = "docker-init"
SHELLS = shell.SHELLS | {"busybox"}


def _word(arg: str) -> str:
    """An argv word as a reader would type it: quoted only when it must be."""
    if arg and not re.search(r"[\s'\"\\$`|&;<>()*?!]", arg):
        return arg
    return f'"{arg}"' if '"' not in arg and "$" not in arg and "\\" not in arg else shlex.quote(arg)


def _shown(argv: list[str], limit: int = 90) -> str:
    text = " ".join(argv)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _kind(proc: probes.Process) -> str:
    """"shell", "python", "init" or "other", by the program PID 1 runs."""
    name = posixpath.basename(proc.argv[0])
    if name in SHELLS:
        return "shell"
    if PYTHON_EXECUTABLE.search(name):
        return "python"
    return "init" if name in INITS else "other"


def _program(proc: probes.Process) -> str:
    """What a process runs, in words: `gunicorn run by /usr/bin/python3`, `python3 -m app`, `tini`."""
    name = posixpath.basename(proc.argv[0])
    if not PYTHON_EXECUTABLE.search(name):
        return name
    rest = proc.argv[1 + len(_python_options(proc.argv)):]
    if rest[:1] == ["-m"] and len(rest) > 1:
        return f"{name} -m {rest[1]}"
    if rest and not rest[0].startswith("-"):
        return f"{posixpath.basename(rest[0])} run by {proc.argv[0]}"
    return name


def _shell_forms(g: Grading) -> list[Instruction]:
    """The ENTRYPOINT and CMD in effect that are written in the shell form, which the engine runs
    as `/bin/sh -c "…"` (a CMD that a later stage's ENTRYPOINT reset to nothing is not in effect)."""
    found = []
    for instr in (g.last("ENTRYPOINT"), g.last("CMD")):
        if instr is None or instr.json or (instr.cmd == "CMD" and not g.config.get("Cmd")):
            continue
        found.append(instr)
    return found


def _pid1_line(g: Grading, first: probes.Process | None) -> int:
    """The line that decides what PID 1 runs: the ENTRYPOINT when PID 1 is running it, else the CMD."""
    entry, cmd = g.last("ENTRYPOINT"), g.last("CMD")
    entrypoint = g.config.get("Entrypoint") or []
    if entry and entrypoint and first and posixpath.basename(entrypoint[0]) in map(posixpath.basename, first.argv[:3]):
        return entry.line
    return cmd.line if cmd else g.start_line


def _instruction_text(instr: Instruction) -> str:
    return _shown([instr.cmd, *instr.args], 70)


# --- exec-form-entrypoint ------------------------------------------------------------------------

def _image_pid1(container) -> tuple[probes.Process | None, str]:
    """The first process the image's own ENTRYPOINT/CMD started: PID 1, or its child when PID 1 is
    the engine's docker-init; and a note saying so."""
    first = probes.pid1(container)
    if first is None or not first.argv or posixpath.basename(first.argv[0]) != ENGINE_INIT:
        return first, ""
    child = next((p for p in probes.processes(container) if p.pid != first.pid and p.argv), None)
    return child, (f" (PID 1 itself is the engine's {ENGINE_INIT}, which `--init` or the daemon's default adds: not "
                   "the image's, so the grader judges its child)")


@check("exec-form-entrypoint", containers=("serve",))
def exec_form_entrypoint(g: Grading) -> Outcome:
    run = g.running()
    first, engine_init = _image_pid1(run.container)
    if first is None or not first.argv:
        raise NotChecked("Not checked: the engine did not list the container's PID 1 (docker top).")
    kind, line, shells = _kind(first), _pid1_line(g, first), _shell_forms(g)
    expected = "PID 1 the app server (or an init such as tini), started by an ENTRYPOINT/CMD in JSON (exec) form."
    if kind == "shell":
        form = next((i for i in shells if i.line == line), None)
        how = (f"`{_instruction_text(form)}` is the shell form, which the engine runs as `/bin/sh -c \"…\"`" if form
               else "the command starts a shell that stays (a script that does not `exec` the server, or `sh -c`)")
        return failed(f"PID 1 is {posixpath.basename(first.argv[0])} (`{_shown(first.argv)}`){engine_init}, a shell: "
                      f"{how}. docker stop's SIGTERM goes to PID 1 only, and a shell does not pass it on to the server.",
                      expected, line,
                      fix="Write ENTRYPOINT/CMD as a JSON array, so that the server itself is PID 1; an entrypoint "
                          "script must hand PID 1 over to the server with `exec` as its last command.")
    if shells:
        instr = shells[0]
        return failed(f"`{_instruction_text(instr)}` is the shell form: the engine runs it as `/bin/sh -c \"…\"`. PID 1 "
                      f"is {_program(first)} only because that shell replaced itself with it (`exec`, or a shell "
                      "that does so for a lone command); one more command in that line and the shell stays PID 1.",
                      expected, instr.line)
    if kind == "init":
        child = next((p for p in probes.processes(run.container) if p.pid != first.pid and p.argv
                      and _kind(p) == "python"), None)
        server = f"; the server, {_program(child)}, is its child" if child else ""
        return passed(f"PID 1 is {_program(first)} (`{_shown(first.argv)}`){engine_init}, an init that passes signals "
                      f"on{server}; ENTRYPOINT/CMD in JSON form.", line)
    return passed(f"PID 1 is {_program(first)} (`{_shown(first.argv)}`){engine_init}, not a shell; ENTRYPOINT/CMD in "
                  "JSON form.", line)


# --- graceful-shutdown ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shutdown:
    """What stopping the "stop" container showed."""

    run: Run
    pid1: probes.Process | None
    stopped: probes.Stopped | None    # None: it never served, so it was not stopped
    logs: list[str]


def _stop(run: Run) -> Shutdown:
    if not run.answer.ok or not run.running:
        return Shutdown(run, None, None, run.logs())
    first = probes.pid1(run.container)
    stopped = probes.timed_stop(run.container, STOP_GRACE)
    return Shutdown(run, first, stopped, run.logs(8))


def _stop_when_serving(g: Grading):
    """In the background from the moment the image is built: wait for the "stop" container to
    serve, then `docker stop` it, timed. One that ignores the signal takes the whole grace
    period; the other checks go on meanwhile."""
    return g.submit("graceful-stop", lambda: _stop(g.container("stop")))


@check("graceful-shutdown", containers=("stop",), prepare=_stop_when_serving)
def graceful_shutdown(g: Grading) -> Outcome:
    result = _stop_when_serving(g).result()
    if result.stopped is None:
        raise NotChecked(f"Not checked: the container never served ({result.run.answer.problem}), so there was "
                         "nothing to stop (see serves-on-run).")
    stopped = result.stopped
    if stopped.problem:
        raise NotChecked(f"Not checked: `docker stop` failed: {stopped.problem}")
    g.metrics["stop_seconds"] = round(stopped.seconds, 2)
    signal = g.config.get("StopSignal") or "SIGTERM"
    took = (f"`docker stop` (sends {signal} to PID 1, SIGKILL after {STOP_GRACE:.0f} s) took {stopped.seconds:.1f} s, "
            f"exit code {stopped.exit_code}")
    details = [f"container log: {line}" for line in result.logs]
    first = result.pid1
    line = _pid1_line(g, first)
    if stopped.seconds < STOP_LIMIT and stopped.exit_code != SIGKILLED:
        return passed(f"{took}.", line, details=details)
    expected = f"`docker stop` returns within {STOP_LIMIT:.0f} s, with an exit code other than {SIGKILLED} (SIGKILL)."
    if stopped.exit_code != SIGKILLED:
        return failed(f"{took}: it stops by itself, but slowly.", expected, line, details=details,
                      fix="Something in the shutdown waits: make the server finish its requests and exit promptly on "
                          f"{signal} (gunicorn: --graceful-timeout).")
    killed = f"{took}: the grace period ran out and the engine killed it."
    stop_signal = g.last("STOPSIGNAL")
    if first is not None and _kind(first) == "shell":
        return failed(f"{killed} PID 1 is a shell (`{_shown(first.argv)}`): {signal} went to the shell, which does not "
                      "pass it on to the server, so nothing stopped.", expected, line, details=details,
                      fix="Make the server PID 1 (ENTRYPOINT/CMD as a JSON array, an entrypoint script that ends in "
                          "`exec`), or an init such as tini that passes the signal on.")
    if first is not None and _kind(first) != "init" and not stop_signal:
        return failed(f"{killed} PID 1, {_program(first)} (`{_shown(first.argv)}`), neither stopped nor passed "
                      f"{signal} on: a process that is PID 1 ignores a signal it has no handler for (the kernel does "
                      "not apply the default action to a container's init).", expected, line, details=details,
                      fix="Make the server itself PID 1 (exec it rather than start it as a child), or put an init "
                          "such as tini in front, which passes the signal on to its child.")
    return failed(f"{killed} {signal} did not make {_program(first) if first else 'PID 1'} stop.", expected,
                  stop_signal.line if stop_signal else line, details=details,
                  fix=f"Send a signal the server stops on: check what {signal} means to it (gunicorn stops on SIGTERM, "
                      "SIGINT and SIGQUIT).")


# --- healthcheck -----------------------------------------------------------------------------------

# The engine's defaults for what a HEALTHCHECK leaves unset (Dockerfile reference), in seconds.
HEALTH_DEFAULTS = {"Interval": 30.0, "Timeout": 30.0, "StartPeriod": 0.0, "StartInterval": 5.0}
HEALTH_RETRIES = 3
# A bound of the grader's own on the wait for `healthy` after the app serves: a health report
# that needs longer than twice serves-on-run's limit is no working report.
HEALTH_WAIT_CAP = 2 * SERVE_LIMIT
HEALTH_SLACK = 3.0          # seconds for the engine to run and record a probe on a busy machine
ENGINE_LOG_KEPT = 5         # the engine keeps the last 5 probes in State.Health.Log
# Shell builtins a CMD-SHELL probe may use (`curl … || exit 1`): not programs the image must have.
SHELL_BUILTINS = frozenset({"exit", "return", "true", "false", ":", "test", "[", "echo", "printf", "cd", "export",
                            "set", "unset", ".", "source", "type", "read", "wait", "kill", "trap", "shift", "eval",
                            "local", "break", "continue"})


@dataclass(frozen=True)
class Probe:
    """The HEALTHCHECK as the image declares it (Config.Healthcheck), durations in seconds."""

    test: list[str]
    interval: float
    timeout: float
    start_period: float
    start_interval: float
    retries: int

    @property
    def failures_to_judge(self) -> int:
        """Failed probes in a row that make it unhealthy (as many as the engine's log can show)."""
        return max(1, min(self.retries, ENGINE_LOG_KEPT))

    @property
    def command(self) -> str:
        text = self.test[1] if self.test[0] == "CMD-SHELL" else " ".join(map(_word, self.test[1:]))
        return text if len(text) <= 100 else text[:99] + "…"

    def programs(self, image_shell: list[str]) -> list[str]:
        """The programs the probe runs, each as written: the command of an exec-form probe; the
        shell and the commands (builtins left out) of a CMD-SHELL one."""
        if self.test[0] == "CMD":
            return self.test[1:2]
        names = [c.argv[0] for c in shell.parse(self.test[1]) if c.argv and c.name not in SHELL_BUILTINS
                 and "$" not in c.argv[0]]
        return list(dict.fromkeys([(image_shell or ["/bin/sh"])[0], *names]))


def declared_probe(config: dict) -> Probe | None:
    """The image's HEALTHCHECK; None when there is none or it is `NONE`."""
    hc = config.get("Healthcheck") or {}
    test = list(hc.get("Test") or [])
    if not test or test[0] not in ("CMD", "CMD-SHELL") or len(test) < 2:
        return None

    def seconds(key: str) -> float:
        return (hc.get(key) or 0) / 1e9 or HEALTH_DEFAULTS[key]

    return Probe(test, seconds("Interval"), seconds("Timeout"), seconds("StartPeriod"), seconds("StartInterval"),
                 int(hc.get("Retries") or HEALTH_RETRIES))


def _missing_programs(run: Run, probe: Probe, image_shell: list[str]) -> list[str] | None:
    """The probe's programs the container cannot run (looked up inside it, on its PATH, as the
    image's user); None when that could not be found out."""
    names = probe.programs(image_shell)
    result = probes.exec_in(run.container, [run.interpreter.path, "-c", inside.script("programs"), *names])
    if not result.ok or not result.stdout.strip():
        return None
    found = json.loads(result.stdout.strip().splitlines()[-1])
    return [name for name in names if not found.get(name)]


def _watch(container, probe: Probe, served_by: float, until: float) -> tuple[str, dict, dict]:
    """Poll the container's health until it is healthy, it stops, the probe has failed as many
    times in a row as the engine allows (--retries) while the app was already serving (the
    engine's own `unhealthy` can wait out the start period), or `until` (Unix time)."""
    needed = probe.failures_to_judge
    while True:
        state, health = probes.health(container)
        if health.get("Status") == "healthy":
            return "healthy", state, health
        if state.get("Status") != "running":
            return "stopped", state, health
        since = [e for e in health.get("Log") or [] if (probes.engine_time(e.get("Start")) or 0) > served_by]
        if len(since) >= needed and all(e.get("ExitCode") != 0 for e in since[-needed:]):
            return "failing", state, health
        if time.time() > until:
            return "waited", state, health
        time.sleep(0.25)


def _last_words(output: str | None) -> str:
    """What a probe said last (a traceback's last line is its error)."""
    lines = [l.strip() for l in (output or "").splitlines() if l.strip()]
    return lines[-1][:200] if lines else "(no output)"


def _probe_log(health: dict, started_at: float | None) -> list[str]:
    lines = []
    for entry in health.get("Log") or []:
        at = probes.engine_time(entry.get("Start"))
        when = f"+{at - started_at:.1f} s" if at and started_at else "?"
        output = " | ".join(l.strip() for l in (entry.get("Output") or "").strip().splitlines()[-2:]) or "(no output)"
        lines.append(f"probe at {when}: exit {entry.get('ExitCode')}: {output[:200]}")
    return lines


@check("healthcheck", containers=("serve",))
def healthcheck(g: Grading) -> Outcome:
    instr = g.last("HEALTHCHECK")
    line = instr.line if instr else g.start_line
    probe = declared_probe(g.config)
    expected = "A HEALTHCHECK whose command the image can run, and the container reaching `healthy`."
    if probe is None:
        said = "`HEALTHCHECK NONE` turns health reporting off" if instr else "The image declares no HEALTHCHECK"
        return failed(f"{said}: `docker ps` and orchestrators see a running process, not whether it serves.",
                      expected, line)
    run = g.running()
    state, _health = probes.health(run.container)
    started_at = probes.engine_time(state.get("StartedAt"))
    # When the app was serving for sure: the engine's start plus the grader's own wait for the 200
    # (counted from before the container was even created, so never early).
    served_by = (started_at or time.time()) + run.answer.seconds
    until = served_by + min(probe.interval + probe.timeout, HEALTH_WAIT_CAP) + HEALTH_SLACK
    g.on_step("waiting for the container's HEALTHCHECK to report")
    verdict, state, health = _watch(run.container, probe, served_by, until)
    log = _probe_log(health, started_at)
    if verdict == "healthy":
        first_ok = next((probes.engine_time(e.get("End")) for e in health.get("Log") or [] if e.get("ExitCode") == 0),
                        None)
        after = f" {first_ok - started_at:.1f} s after the container started" if first_ok and started_at else ""
        return passed(f"The HEALTHCHECK (`{probe.command}`, every {probe.interval:g} s) reported the container "
                      f"healthy{after}.", line, details=log)
    if verdict == "stopped":
        raise NotChecked(f"Not checked: {probes.stopped_problem(state)} before it was healthy (see serves-on-run).")
    missing = _missing_programs(run, probe, g.config.get("Shell") or [])
    status = health.get("Status") or "starting"
    if missing:
        path = next((e.partition("=")[2] for e in g.config.get("Env") or [] if e.startswith("PATH=")), "")
        return failed(f"The HEALTHCHECK runs `{probe.command}`, but the image has no {', '.join(missing)} (not on the "
                      f"container's PATH, {path or 'unset'}): every probe fails, and the container stays {status}.",
                      expected, line, details=log,
                      fix="Probe with a program the image has (its own Python can make an HTTP request), or install "
                          "the tool in the image.")
    last = (health.get("Log") or [{}])[-1]
    if verdict == "failing":
        return failed(f"The HEALTHCHECK (`{probe.command}`) failed {probe.failures_to_judge} times in a row while the "
                      f"app was answering GET /healthz with 200 (health status: {status}); the last probe exited "
                      f"{last.get('ExitCode')}: {_last_words(last.get('Output'))}",
                      expected, line, details=log,
                      fix="Run the probe's command in the running container (`docker exec`) and make it succeed: the "
                          "address and port the app listens on, a path that answers 200, a timeout it can meet.")
    waited = until - served_by
    ran = f"the last probe exited {last.get('ExitCode')}" if log else "no probe ran in that time"
    return failed(f"The container was still {status} {waited:.0f} s after the app served ({ran}; the probe runs every "
                  f"{probe.interval:g} s, every {probe.start_interval:g} s in its first {probe.start_period:g} s).",
                  expected, line, details=log,
                  fix="Probe soon after start and often enough to report health within seconds (--start-period with "
                      "--start-interval, a shorter --interval), with a --timeout the probe can meet.")


# --- bytecode-precompiled ------------------------------------------------------------------------

REQUESTS = ("/healthz", "/version", "/links", "/links/course-probe")   # what the app serves, 404 included
STATE_WORDS = {
    "missing": "no .pyc", "stale": "its .pyc does not match the source (compiled from another version of it)",
    "other-python": "its .pyc is for another Python", "unreadable": "its .pyc cannot be read",
    "runtime": "its .pyc was written at run time, not in the image",
}
_EDITABLE = re.compile(r"\s(-e|--editable)[\s=]")


def _pyc_written(container) -> list[str]:
    """The .pyc files the container added or changed (its diff against the image)."""
    return sorted(c["Path"] for c in container.diff() or [] if c.get("Kind") in (0, 1) and c["Path"].endswith(".pyc"))


def _source_of(pyc: str) -> str:
    """/x/__pycache__/m.cpython-313.pyc -> /x/m.py"""
    folder = posixpath.dirname(posixpath.dirname(pyc))
    return posixpath.join(folder, posixpath.basename(pyc).split(".", 1)[0] + ".py")


def _optimization(container, python: str) -> int:
    """How many -O the server's interpreter runs with (PYTHONOPTIMIZE is seen by the probe itself)."""
    server = next((p for p in probes.processes(container) if p.argv and p.argv[0] == python), None)
    flags = _python_options(server.argv) if server else []
    return min(2, sum(f[1:].count("O") for f in flags if f.startswith("-") and not f.startswith("--")))


def _compiled_code(run: Run) -> dict:
    python = run.interpreter
    result = probes.exec_in(run.container, [python.path, "-B", "-c", inside.script("compiled_code"), APP_PACKAGE,
                                            str(_optimization(run.container, python.path))],
                            user=python.user, timeout=60)
    if result.timed_out or result.exit_code != 0 or not result.stdout.strip():
        why = "it did not finish within 60 s" if result.timed_out else (result.problem or f"exit {result.exit_code}")
        raise NotChecked(f"Not checked: the probe could not run inside the container with {python.how} ({why}): "
                         + " | ".join(result.stderr.strip().splitlines()[-3:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


def _put_there_by(g: Grading, path: str, editable: bool) -> int:
    """The line that put an uncompiled file there: an editable install (the server runs the
    source tree), else the last COPY/ADD whose destination holds the path, else the last
    install step, else the line that starts the container."""
    final = g.dockerfile.final_instructions()
    installs = [i for i in final if i.cmd == "RUN" and INSTALL_STEP.search(" ".join(i.args))]
    if editable:
        flagged = [i for i in installs if _EDITABLE.search(f" {' '.join(i.args)} ")]
        if flagged:
            return flagged[-1].line
    copies = []
    for instr, workdir in g.dockerfile.workdirs():
        if instr.cmd in ("COPY", "ADD") and len(instr.args) >= 2:
            destination = g.dockerfile.path_at(instr, instr.args[-1], workdir)
            if path == destination or path.startswith(destination.rstrip("/") + "/"):
                copies.append(instr)
    if copies:
        return copies[-1].line
    return installs[-1].line if installs else g.start_line


@check("bytecode-precompiled", containers=("bytecode",))
def bytecode_precompiled(g: Grading) -> Outcome:
    """Static and behavioural: the image holds a valid .pyc for each .py of the app, and serving
    with PYTHONDONTWRITEBYTECODE emptied (unset, for Python) writes none. The static part is the
    one that catches code the runtime user cannot write (stage 2's code-not-writable): Python
    then cannot write a .pyc either, so it compiles that code in memory at every start and the
    diff stays empty whether or not the build compiled anything."""
    run = g.running("bytecode")
    for path in REQUESTS:
        url = probes.published_url(run.container, run.port, path)
        if url:
            probes.http_status(url)
    written = _pyc_written(run.container)   # before the probe below runs anything in the container
    report = _compiled_code(run)
    if not report["package"]:
        raise NotChecked(f"Not checked: {run.interpreter.path} in the container (working directory {report['cwd']}) "
                         f"cannot find the app's package {APP_PACKAGE}.")
    files = report["files"]
    runtime = set(written)
    lacking = [(f["py"], "runtime" if f["state"] == "ok" else f["state"]) for f in files
               if f["state"] != "ok" or f["pyc"] in runtime]
    where = (f"the package {APP_PACKAGE} at {', '.join(report['package'])}"
             + (f" and the .py files under the working directory {report['cwd']}, where it runs from"
                if report["runs_from_cwd"] else ""))
    served = f"serving {len(REQUESTS)} requests with PYTHONDONTWRITEBYTECODE unset"
    if not lacking and not written:
        return passed(f"All {len(files)} .py files of the app ({where}) have a valid .pyc for "
                      f"{report['tag']} in the image; {served} wrote no .pyc.")
    parts = []
    if lacking:
        more = f", and {len(lacking) - 2} more" if len(lacking) > 2 else ""
        parts.append(f"{len(lacking)} of the {len(files)} .py files of the app ({where}) have no valid .pyc for "
                     f"{report['tag']} in the image: "
                     + "; ".join(f"{py}: {STATE_WORDS[state]}" for py, state in lacking[:2]) + more)
    if report["editable"]:
        parts.append("It is installed in editable mode (`pip install -e`): the server imports that source tree, "
                     "which pip does not compile")
    if written:
        more = f", and {len(written) - 2} more" if len(written) > 2 else ""
        parts.append(f"{served[0].upper()}{served[1:]} wrote {len(written)} new .pyc files, compiled at every "
                     f"start: {', '.join(written[:2])}{more}")
    else:
        parts.append(f"{served[0].upper()}{served[1:]} wrote none: the runtime user cannot write there, so Python "
                     "compiles them again, in memory, at every start")
    if any(e == "PYTHONDONTWRITEBYTECODE=1" for e in g.config.get("Env") or []):
        parts.append("PYTHONDONTWRITEBYTECODE=1 only stops run-time writes; it compiles nothing")
    culprit = lacking[0][0] if lacking else _source_of(written[0])
    return failed(". ".join(parts) + ".",
                  "A valid .pyc in __pycache__ for every .py of the app, compiled at build time; none written while "
                  "serving.", _put_there_by(g, culprit, report["editable"]),
                  details=[f"{py}: {STATE_WORDS[state]}" for py, state in lacking[:20]]
                  + [f"written at run time: {p}" for p in written[:20]],
                  fix="Compile what the server imports while building: `pip install` (not -e) compiles what it "
                      "installs (uv: --compile-bytecode); code run from its source tree needs compiling in a RUN "
                      "after it is copied.")


# --- read-only-rootfs ------------------------------------------------------------------------------

def _refused_writes(logs: list[str]) -> list[str]:
    """The log lines where a write hit the read-only root filesystem (EROFS, errno 30)."""
    return [line.strip() for line in logs if "read-only file system" in line.lower() or "errno 30" in line.lower()]


@check("read-only-rootfs", containers=("read-only",))
def read_only_rootfs(g: Grading) -> Outcome:
    """The image run with `read_only=True` and a tmpfs /tmp, nothing else changed (stage 2's
    runs-hardened also drops every capability): it must serve."""
    run = g.container("read-only")
    if not run.answer.ok and not (run.started or g.serving.started):
        raise NotChecked("Not checked: the container did not start (see serves-on-run).")
    if run.answer.ok:
        return passed(f"GET /healthz answered 200 {run.answer.seconds:.1f} s after `docker run --read-only "
                      "--tmpfs /tmp`: nothing is written outside /tmp and the data volume.")
    log = run.logs(20)
    refused = _refused_writes(log)
    return failed(f"With the root filesystem read-only (`docker run --read-only --tmpfs /tmp`) the app does not "
                  f"serve: {run.answer.problem}."
                  + (f" What it tried to write: {refused[-1]}" if refused else ""),
                  "GET /healthz answers 200 with a read-only root filesystem and a tmpfs /tmp.", g.start_line,
                  details=[f"container log: {line}" for line in log],
                  fix="At run time, write only to /tmp and to the data VOLUME: temporary files, PID files and "
                      "caches go to /tmp, data to the volume.")


# --- startup-time ----------------------------------------------------------------------------------

def _startup_line(g: Grading) -> int:
    """An ENTRYPOINT that is not an init runs first, so its work counts first; else the CMD."""
    entry, cmd = g.last("ENTRYPOINT"), g.last("CMD")
    if entry and entry.args and not (entry.json and posixpath.basename(entry.args[0]) in INITS):
        return entry.line
    return cmd.line if cmd else g.start_line


@check("startup-time", containers=("serve",))
def startup_time(g: Grading) -> Outcome:
    """From `docker run` to the first 200, as the Grading timed it for the serve container
    (startup_seconds). That container started beside the other purposes' ones, each booting its
    own server on the same cores: a time over the limit is taken again with one more container,
    started alone once the others are up, and the better time counts (and is the metric)."""
    run = g.container("serve")
    if not run.answer.ok:
        raise NotChecked("Not checked: the app never answered GET /healthz with 200 (see serves-on-run).")
    seconds, again = run.answer.seconds, ""
    if seconds >= STARTUP_LIMIT:
        g.on_step("timing the start again, alone")
        second = g.container("startup")
        if second.answer.ok:
            again = f" (first {seconds:.1f} s, with the grader's other containers starting beside it)"
            seconds = min(seconds, second.answer.seconds)
            g.metrics["startup_seconds"] = round(seconds, 2)
    said = f"The first 200 from GET /healthz came {seconds:.1f} s after `docker run`{again}"
    if seconds < STARTUP_LIMIT:
        return passed(f"{said} (limit {STARTUP_LIMIT:g} s).", _startup_line(g))
    return failed(f"{said}.", f"The first 200 within {STARTUP_LIMIT:g} s of `docker run`.", _startup_line(g),
                  details=[f"container log: {l}" for l in run.logs()],
                  fix="Find what runs before the server answers (the entrypoint's steps, the app's imports and "
                      "set-up) and move the slow part into the build, or out of the start path.")
