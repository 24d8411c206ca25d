"""`docker pull` through the engine that gives up when the registry stalls.

A reachable registry streams progress several times a second; an unreachable one fails in
milliseconds (DNS), or hangs behind a firewall that drops packets, which is what the stall
timeout bounds: `python -m graders images` then builds the offline stand-in instead of waiting.
"""

from __future__ import annotations

from collections.abc import Callable

import docker
import docker.auth
import docker.errors
import docker.utils
import requests.exceptions

# The pull gives up when the engine sends nothing for this long.
PULL_STALL_SECONDS = 30


class PullFailed(Exception):
    """The pull failed or stalled; the message says why, as the engine or the connection put it."""


def pull(client: docker.DockerClient, tag: str, show: Callable[[str], None]) -> None:
    """`docker pull tag`, passing each progress event to show() as one line; raises PullFailed.

    APIClient.pull() hard-codes timeout=None (docker 7.2.0, docker/api/image.py), so a firewall
    that drops packets would hang it for as long as the engine keeps trying. This makes the same
    request (same endpoint, parameters and auth header) with a read timeout instead; closing the
    response makes the engine cancel the pull.
    """
    api = client.api
    repository, ref_tag = docker.utils.parse_repository_tag(tag)
    registry, _ = docker.auth.resolve_repository_name(repository)
    headers = {}
    auth_header = docker.auth.get_config_header(api, registry)
    if auth_header:
        headers["X-Registry-Auth"] = auth_header
    response = None
    try:
        response = api._post(
            api._url("/images/create"),
            params={"fromImage": repository, "tag": ref_tag or "latest"},
            headers=headers,
            stream=True,
            timeout=(10, PULL_STALL_SECONDS),
        )
        api._raise_for_status(response)
        for event in api._stream_helper(response, decode=True):
            if event.get("error"):
                raise PullFailed(event["error"])
            progress = event.get("progress") or ""
            show(" ".join(filter(None, (event.get("status"), event.get("id"), progress))))
    except docker.errors.APIError as exc:
        raise PullFailed(exc.explanation or str(exc)) from None
    except requests.exceptions.RequestException as exc:
        # A stalled stream surfaces as ReadTimeout, or as ConnectionError wrapping urllib3's
        # ReadTimeoutError when it stalls mid-stream.
        if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc).lower():
            raise PullFailed(f"the engine reported nothing for {PULL_STALL_SECONDS} s") from None
        raise PullFailed(str(exc)) from None
    finally:
        if response is not None:
            response.close()
