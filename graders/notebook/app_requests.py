"""Requests to the sample app in a Lab's container, each shown as the `curl` command it stands for
(GET and POST with a JSON body), on its published loopback port; redirects are not followed."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .. import probes
from ..grading import DEFAULT_APP_PORT
from .commands import command_line
from .running import Running


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 (urllib's hook)
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def request(running: Running, path: str, payload: dict | None = None) -> tuple[int | None, str]:
    """GET `path` (or POST `payload` as JSON); shows the curl line and the answer; (status, body)."""
    url = probes.published_url(running.container, DEFAULT_APP_PORT, path)
    if url is None:
        return None, "port not published"
    argv = ["curl", "-s", "-i"]
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        argv += ["-H", "Content-Type: application/json", "-d", data.decode()]
    print(command_line([*argv, url]))
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with _OPENER.open(req, timeout=3) as response:   # noqa: S310 (loopback only)
            status, body, location = response.status, response.read().decode("utf-8", "replace"), None
    except urllib.error.HTTPError as exc:   # 3xx (not followed), 4xx, 5xx
        status, body, location = exc.code, exc.read().decode("utf-8", "replace"), exc.headers.get("Location")
        exc.close()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))
    shown = f"Location: {location}" if location else (body.strip().splitlines() or [""])[0][:200]
    print(f"  → HTTP {status}: {shown}")
    return status, body
