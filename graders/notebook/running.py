"""A container a Lab started, and what the notebooks ask of it: an HTTP answer, its exit, its
log, a command's output, PID 1's user and capabilities, the addresses it listens on. The probes
are the grader's own (graders/probes.py), so a notebook sees what the grader sees."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .. import probes
from ..grading import DEFAULT_APP_PORT, HARDENED_RUN, HEALTH_PATH, SERVE_LIMIT

# How the `runs-hardened` practice runs the image (graders/checks/stage2.py): read-only root
# file system, a small tmpfs /tmp, no capabilities, no privilege escalation.
HARDENED = HARDENED_RUN  # the options runs-hardened grades with

# Linux capability numbers (capabilities(7), include/uapi/linux/capability.h), to name CapEff bits.
CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
)


@dataclass
class Running:
    """A container a Lab started, with the probes the notebooks use."""

    container: Any
    started: float

    def wait_for_http(self, path: str = HEALTH_PATH, limit: float = SERVE_LIMIT) -> probes.HttpAnswer:
        answer, _port = probes.wait_for_200(self.container, [DEFAULT_APP_PORT], path, limit, self.started)
        return answer

    def get(self, path: str = HEALTH_PATH) -> tuple[int | None, str]:
        """(HTTP status, body) from the published port; (None, reason) when nothing answers."""
        url = probes.published_url(self.container, DEFAULT_APP_PORT, path)
        if url is None:
            return None, "port not published"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 (loopback only)
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            exc.close()
            return exc.code, body
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            return None, str(getattr(exc, "reason", exc))

    def wait_exit(self, timeout: float = 30.0) -> tuple[int | None, float]:
        """(exit code, seconds since start) once the container stops; (None, ...) if it still runs."""
        try:
            status = self.container.wait(timeout=timeout)
        except Exception:  # requests' ReadTimeout / ConnectionError: still running
            return None, time.monotonic() - self.started
        return status.get("StatusCode"), time.monotonic() - self.started

    def logs(self, lines: int = 20) -> list[str]:
        return probes.logs_tail(self.container, lines)

    def exec(self, *cmd: str) -> tuple[int, str]:
        return probes.exec_output(self.container, list(cmd))

    def pid1(self) -> dict[str, Any]:
        """PID 1's UIDs and GIDs (as the grader reads them) and effective capabilities, from
        /proc/1/status inside the container."""
        ids = probes.proc_status_ids(self.container) or {}
        found: dict[str, Any] = {key.lower(): values for key, values in ids.items()}
        status = probes.read_file(self.container, "/proc/1/status") or ""
        cap_eff = next((line.partition(":")[2] for line in status.splitlines() if line.startswith("CapEff:")), None)
        if cap_eff is not None:
            mask = int(cap_eff.strip(), 16)
            found["capabilities"] = [name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1]
        return found

    def listening(self) -> list[str] | str:
        """The TCP addresses listening inside the container (/proc/net/tcp and tcp6), as the grader reads them."""
        for _attempt in range(3):
            found = probes.listening_sockets(self.container)
            if found is not None:
                return [f"{l.address}:{l.port}" for l in found]
            time.sleep(0.5)
        state = probes.container_state(self.container)
        return f"unknown: /proc/net/tcp could not be read (container {state.get('Status')})"
