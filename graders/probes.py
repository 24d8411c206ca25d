"""Observing a running container: HTTP probes, listening sockets, /proc, commands inside it."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import docker.errors


@dataclass
class HttpAnswer:
    ok: bool                 # 200 received
    status: int | None       # last HTTP status seen
    seconds: float           # time until the answer (or until giving up)
    problem: str | None      # what went wrong, in words


def http_status(url: str, timeout: float = 2.0) -> tuple[int | None, str | None]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, None
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)


def container_state(container) -> dict:
    try:
        container.reload()
    except docker.errors.NotFound:
        return {"Status": "removed", "ExitCode": None}
    return container.attrs.get("State", {})


def published_url(container, port: int, path: str) -> str | None:
    container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            host = binding.get("HostIp") or "127.0.0.1"
            host = "127.0.0.1" if host in ("0.0.0.0", "") else host
            return f"http://{host}:{binding['HostPort']}{path}"
    return None


def wait_for_200(container, ports: list[int], path: str = "/healthz", limit: float = 30.0,
                 started: float | None = None) -> tuple[HttpAnswer, int]:
    """Poll `path` on each published port until one answers 200, the container exits, or `limit`.

    Returns the answer and the port it came from (the first port when none answered)."""
    started = started or time.monotonic()
    status, problem = None, "no answer"
    while True:
        elapsed = time.monotonic() - started
        state = container_state(container)
        if state.get("Status") not in ("running", "created"):
            return HttpAnswer(False, status, elapsed,
                              f"the container stopped (status {state.get('Status')}, exit code {state.get('ExitCode')})"
                              + (", killed for using more than its memory limit" if state.get("OOMKilled") else "")), ports[0]
        for port in ports:
            url = published_url(container, port, path)
            if url:
                status, problem = http_status(url)
                if status == 200:
                    return HttpAnswer(True, 200, time.monotonic() - started, None), port
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


def exec_output(container, cmd: list[str], user: str | None = None) -> tuple[int, str]:
    """Run a command in the running container (as the image's user unless `user` is given)."""
    try:
        kwargs = {"user": user} if user is not None else {}
        result = container.exec_run(cmd, demux=False, **kwargs)
    except docker.errors.APIError as exc:
        return 126, str(exc)
    return result.exit_code, (result.output or b"").decode("utf-8", errors="replace")


def read_file(container, path: str) -> str | None:
    """Read a file in a running container with whatever the image has (cat, else python)."""
    code, out = exec_output(container, ["cat", path])
    if code == 0:
        return out
    code, out = exec_output(container, ["python3", "-c", f"import sys; sys.stdout.write(open({path!r}).read())"])
    return out if code == 0 else None


def proc_status_ids(container) -> dict[str, list[int]] | None:
    """Uid/Gid lines of PID 1 (real, effective, saved, filesystem)."""
    text = read_file(container, "/proc/1/status")
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


def _decode_address(hex_address: str) -> str:
    import ipaddress

    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    return str(ipaddress.IPv6Address(words))


def listening_sockets(container) -> list[Listener] | None:
    """TCP sockets in LISTEN state in the container's network namespace."""
    listeners = []
    found_any = False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        text = read_file(container, table)
        if text is None:
            continue
        found_any = True
        for row in text.splitlines()[1:]:
            parts = row.split()
            if len(parts) > 3 and parts[3] == "0A":
                address, port = parts[1].split(":")
                listener = Listener(_decode_address(address), int(port, 16))
                if listener.address != DOCKER_EMBEDDED_DNS:
                    listeners.append(listener)
    return sorted(set(listeners), key=lambda l: (l.port, l.address)) if found_any else None
