"""Observing a running container: HTTP probes, listening sockets, /proc, commands inside it.

Every probe is bounded: an HTTP request has a timeout and never follows a redirect (a `/healthz`
that redirects must not make the grader fetch another address), a command run inside the
container has its own deadline and a cap on the output kept, logs are read from their tail.
"""

from __future__ import annotations

import ipaddress
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime

import docker.errors

EXEC_TIMEOUT = 20.0          # seconds a command run inside the container may take
EXEC_OUTPUT_LIMIT = 4 << 20  # bytes of its stdout (and of its stderr) kept
HTTP_TIMEOUT = 2.0
REDIRECT_PATIENCE = 2.0     # seconds of nothing but redirects before wait_for_200 gives up


@dataclass
class HttpAnswer:
    ok: bool                 # 200 received
    status: int | None       # last HTTP status seen
    seconds: float           # time until the answer (or until giving up)
    problem: str | None      # what went wrong, in words


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 (urllib's hook)
        return None  # urllib then raises HTTPError with the 3xx status, unfollowed


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_status(url: str, timeout: float = HTTP_TIMEOUT) -> tuple[int | None, str | None]:
    """(status, problem) of GET url; redirects are reported, never followed."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, None
    except urllib.error.HTTPError as exc:
        location = exc.headers.get("Location") if exc.headers else None
        exc.close()
        if 300 <= exc.code < 400:
            return exc.code, f"HTTP {exc.code}, a redirect to {location or '(no Location)'}, which the grader does not follow"
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)


def http_body(url: str, timeout: float = HTTP_TIMEOUT, limit: int = 1 << 16) -> tuple[int | None, str]:
    """(status, the first `limit` bytes of the body as text) of GET url; redirects not followed."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read(limit).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        body = exc.read(limit).decode("utf-8", "replace")
        exc.close()
        return exc.code, body
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))


def container_state(container) -> dict:
    try:
        container.reload()
    except docker.errors.NotFound:
        return {"Status": "removed", "ExitCode": None}
    return container.attrs.get("State", {})


def published_url(container, port: int, path: str, reload: bool = True) -> str | None:
    """The loopback URL of `path` on the host port published for the container's `port`."""
    if reload:
        container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            host = binding.get("HostIp") or "127.0.0.1"
            host = "127.0.0.1" if host in ("0.0.0.0", "") else host
            return f"http://{host}:{binding['HostPort']}{path}"
    return None


def stopped_problem(state: dict) -> str:
    """'the container stopped (...)' in words, from its State."""
    return (f"the container stopped (status {state.get('Status')}, exit code {state.get('ExitCode')})"
            + (", killed for using more than its memory limit" if state.get("OOMKilled") else ""))


def poll_200(container, ports: list[int], path: str) -> tuple[int | None, int | None, str | None]:
    """One round over the published ports (container attrs already fresh): (port that answered 200
    or None, last status, last problem)."""
    status, problem = None, "no answer"
    for port in ports:
        url = published_url(container, port, path, reload=False)
        if url:
            status, problem = http_status(url)
            if status == 200:
                return port, status, None
    return None, status, problem


def wait_for_200(container, ports: list[int], path: str = "/healthz", limit: float = 30.0,
                 started: float | None = None) -> tuple[HttpAnswer, int]:
    """Poll `path` on each published port until one answers 200, the container exits, or `limit`.

    Returns the answer and the port it came from (the first port when none answered)."""
    started = started or time.monotonic()
    status, problem = None, "no answer"
    redirected_since = None
    while True:
        elapsed = time.monotonic() - started
        state = container_state(container)
        if state.get("Status") not in ("running", "created"):
            return HttpAnswer(False, status, elapsed, stopped_problem(state)), ports[0]
        port, status, problem = poll_200(container, ports, path)
        if port is not None:
            return HttpAnswer(True, 200, time.monotonic() - started, None), port
        # A server that keeps answering with a redirect will not start answering 200: say so at once.
        redirected_since = (redirected_since or time.monotonic()) if status and 300 <= status < 400 else None
        if redirected_since and time.monotonic() - redirected_since > REDIRECT_PATIENCE:
            return HttpAnswer(False, status, elapsed, problem), ports[0]
        if elapsed > limit:
            shown = ", ".join(map(str, ports))
            return HttpAnswer(False, status, elapsed,
                              f"no 200 from GET {path} on port {shown} within {limit:.0f} s (last: {problem})"), ports[0]
        time.sleep(0.25)


def logs_tail(container, lines: int = 12) -> list[str]:
    try:
        text = container.logs(tail=lines).decode("utf-8", errors="replace")
    except docker.errors.APIError:
        return []
    return [l for l in text.splitlines() if l.strip()]


@dataclass
class ExecResult:
    exit_code: int | None    # None: still running at the deadline, or it could not start
    stdout: str
    stderr: str
    timed_out: bool = False
    problem: str | None = None  # the engine's words when the command could not be started

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def exec_in(container, cmd: list[str], user: str | None = None, workdir: str | None = None,
            timeout: float = EXEC_TIMEOUT, limit: int = EXEC_OUTPUT_LIMIT) -> ExecResult:
    """Run a command inside the running container (as the image's user unless `user` is given),
    stdout and stderr apart, giving up after `timeout` seconds (the command may go on running
    until the container is removed; the grader does not wait for it)."""
    api = container.client.api
    try:
        exec_id = api.exec_create(container.id, cmd, user=user or "", workdir=workdir)["Id"]
        stream = api.exec_start(exec_id, stream=True, demux=True)
    except docker.errors.APIError as exc:
        return ExecResult(None, "", "", problem=exc.explanation or str(exc))
    out, err = bytearray(), bytearray()

    def read() -> None:
        try:
            for chunk_out, chunk_err in stream:
                if chunk_out and len(out) < limit:
                    out.extend(chunk_out[: limit - len(out)])
                if chunk_err and len(err) < limit:
                    err.extend(chunk_err[: limit - len(err)])
        except Exception:  # the stream was closed at the deadline, or the container went away
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    timed_out = reader.is_alive()
    _close(stream)
    if timed_out:
        reader.join(2)
        code = None
    else:
        try:
            code = api.exec_inspect(exec_id).get("ExitCode")
        except docker.errors.APIError:
            code = None
    return ExecResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), timed_out)


def _close(stream) -> None:
    """Close an exec's output stream: its socket (which also ends a reader blocked at the deadline)
    and the HTTP response it came on (docker-py's exec_run does the latter after reading)."""
    for close in (stream.close, getattr(getattr(stream, "_response", None), "close", None)):
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 (already closed by the engine or the other call)
                pass


def exec_output(container, cmd: list[str], user: str | None = None) -> tuple[int, str]:
    """(exit code, stdout) of a command in the running container; 126 and the reason when it
    could not run, 124 when it timed out."""
    result = exec_in(container, cmd, user=user)
    if result.problem:
        return 126, result.problem
    if result.timed_out:
        return 124, result.stdout
    return (result.exit_code if result.exit_code is not None else 126), result.stdout


def read_file(container, path: str) -> str | None:
    """Read a file in a running container with whatever the image has (cat, else python)."""
    code, out = exec_output(container, ["cat", path])
    if code == 0:
        return out
    for python in ("python3", "python"):
        code, out = exec_output(container, [python, "-c", f"import sys; sys.stdout.write(open({path!r}).read())"])
        if code == 0:
            return out
    return None


def proc_status_ids(container, pid: int = 1) -> dict[str, list[int]] | None:
    """Uid/Gid lines of a process (real, effective, saved, filesystem); PID 1 by default."""
    text = read_file(container, f"/proc/{pid}/status")
    if text is None:
        return None
    ids = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Uid", "Gid"):
            ids[key] = [int(x) for x in rest.split()]
    return ids


# On user-defined networks Docker runs a DNS resolver inside each container's network namespace,
# listening on 127.0.0.11 (random ports): it is not the app.
DOCKER_EMBEDDED_DNS = "127.0.0.11"


@dataclass(frozen=True)
class Listener:
    address: str   # "0.0.0.0", "127.0.0.1", "::", ...
    port: int

    @property
    def all_interfaces(self) -> bool:
        return self.address in ("0.0.0.0", "::")

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.address).is_loopback

    def __str__(self) -> str:
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"


def _decode_address(hex_address: str) -> str:
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    address = ipaddress.IPv6Address(words)
    return str(address.ipv4_mapped or address)


def parse_listeners(tables: list[str]) -> list[Listener]:
    """TCP sockets in LISTEN state (st 0A) in /proc/net/tcp and /proc/net/tcp6 texts."""
    listeners = set()
    for text in tables:
        for row in text.splitlines()[1:]:
            parts = row.split()
            if len(parts) > 3 and parts[3] == "0A":
                address, port = parts[1].split(":")
                listener = Listener(_decode_address(address), int(port, 16))
                if listener.address != DOCKER_EMBEDDED_DNS:
                    listeners.add(listener)
    return sorted(listeners, key=lambda l: (l.port, l.address))


def listening_sockets(container) -> list[Listener] | None:
    """TCP sockets in LISTEN state in the container's network namespace (None: unreadable)."""
    tables = [text for table in ("/proc/net/tcp", "/proc/net/tcp6") if (text := read_file(container, table)) is not None]
    return parse_listeners(tables) if tables else None


@dataclass(frozen=True)
class Process:
    pid: int            # as the host numbers it
    uid: int | None     # effective
    gid: int | None
    argv: list[str]     # split on spaces (ps joins the arguments)


def processes(container) -> list[Process]:
    """The container's processes, oldest first, as the engine sees them (`docker top`, the host's
    ps): works whatever the image contains, no shell or cat needed."""
    try:
        top = container.top(ps_args="-eo pid,uid,gid,args")
    except docker.errors.APIError:  # NotFound included
        return []
    titles = [t.upper() for t in top.get("Titles") or []]
    found = []
    for row in top.get("Processes") or []:
        fields = dict(zip(titles, row))
        number = lambda key: int(fields[key]) if fields.get(key, "").isdigit() else None  # noqa: E731
        if number("PID") is not None:
            found.append(Process(number("PID"), number("UID"), number("GID"),
                                 (fields.get("COMMAND") or fields.get("CMD") or "").split()))
    return sorted(found, key=lambda proc: proc.pid)


def pid1(container) -> Process | None:
    """The container's PID 1, the process the engine started (State.Pid, numbered as the host
    does), from `docker top`: whatever the image contains, no shell or cat needed."""
    host_pid = container_state(container).get("Pid")
    return next((proc for proc in processes(container) if proc.pid == host_pid), None) if host_pid else None


def engine_time(text: str | None) -> float | None:
    """An engine timestamp (RFC 3339 with nanoseconds, `2026-12-03T10:21:54.339776006Z`) as a
    Unix time; None when absent or unreadable (the zero time of a container never started)."""
    if not text or text.startswith("0001-"):
        return None
    match = re.fullmatch(r"(.*?T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text.strip())
    if not match:
        return None
    fraction = (match.group(2) or ".0")[:7]   # datetime reads microseconds at most
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    try:
        return datetime.fromisoformat(match.group(1) + fraction + zone).timestamp()
    except ValueError:
        return None


def health(container) -> tuple[dict, dict]:
    """(State, State.Health) of the container, fresh: Health holds Status (starting, healthy,
    unhealthy), FailingStreak and Log, the engine's last 5 probes (Start, End, ExitCode,
    Output); {} when the image declares no HEALTHCHECK."""
    state = container_state(container)
    return state, state.get("Health") or {}


@dataclass(frozen=True)
class Stopped:
    seconds: float             # from the stop request to its answer
    exit_code: int | None
    problem: str | None = None  # the engine's words when the stop request failed


def timed_stop(container, grace: float) -> Stopped:
    """`docker stop` with `grace` seconds before the engine's SIGKILL, timed. The engine sends
    the image's StopSignal (SIGTERM unless STOPSIGNAL says otherwise) to PID 1 only."""
    started = time.monotonic()
    try:
        container.stop(timeout=int(grace))
    except (docker.errors.APIError, OSError) as exc:   # OSError: requests' connection errors
        return Stopped(time.monotonic() - started, None, str(getattr(exc, "explanation", None) or exc))
    seconds = time.monotonic() - started
    return Stopped(seconds, container_state(container).get("ExitCode"))
