"""A real registry for one grading: started from the registry image (graders/registry_image.py)
on 127.0.0.1, labelled through the grading's session (so removed with it), and read over the
Distribution HTTP API: `/v2/<name>/tags/list`, manifests and their `Docker-Content-Digest`.

Pushes go over plain HTTP: dockerd treats 127.0.0.0/8 as an insecure registry by default
(`docker info` lists it under "Insecure Registries"), so a build script's `docker push
127.0.0.1:PORT/...` works with no daemon configuration.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import docker.errors

from .engine import Session
from .registry_image import REGISTRY_TAG

START_LIMIT = 30.0
# What `docker push` of a single-platform image stores, and what BuildKit may push (an index).
MANIFEST_TYPES = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))


class RegistryError(Exception):
    """The registry could not be started or read (the environment, not the learner)."""


@dataclass
class Registry:
    container: object
    port: int
    client: object

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _get(self, path: str, method: str = "GET", accept: str | None = None):
        request = urllib.request.Request(f"http://{self.address}{path}", method=method,
                                         headers={"Accept": accept} if accept else {})
        return urllib.request.urlopen(request, timeout=10)  # noqa: S310 (loopback only)

    def tags(self, name: str) -> list[str]:
        """The tags of a repository (none when nothing was pushed to it)."""
        try:
            with self._get(f"/v2/{name}/tags/list") as answer:
                return sorted(json.load(answer).get("tags") or [])
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return []
            raise RegistryError(f"GET /v2/{name}/tags/list answered {exc.code}") from None

    def digest(self, name: str, tag: str) -> str | None:
        """The manifest digest a tag points at (None: no such tag)."""
        try:
            with self._get(f"/v2/{name}/manifests/{tag}", "HEAD", MANIFEST_TYPES) as answer:
                return answer.headers.get("Docker-Content-Digest")
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code == 404:
                return None
            raise RegistryError(f"HEAD /v2/{name}/manifests/{tag} answered {exc.code}") from None

    def snapshot(self, name: str) -> dict[str, str]:
        """Every tag of a repository and the digest it points at."""
        return {tag: digest for tag in self.tags(name) if (digest := self.digest(name, tag))}

    def manifest(self, name: str, tag: str) -> dict:
        """The image manifest of a tag (for an index, its linux/amd64 entry, else its first)."""
        with self._get(f"/v2/{name}/manifests/{tag}", accept=MANIFEST_TYPES) as answer:
            manifest = json.load(answer)
        if "manifests" in manifest:
            entries = manifest["manifests"]
            chosen = next((m for m in entries if (m.get("platform") or {}).get("architecture") == "amd64"), entries[0])
            with self._get(f"/v2/{name}/manifests/{chosen['digest']}", accept=MANIFEST_TYPES) as answer:
                manifest = json.load(answer)
        return manifest

    def config(self, name: str, tag: str) -> dict:
        """The image config of a tag (labels, env, history with empty_layer, rootfs.diff_ids)."""
        digest = self.manifest(name, tag)["config"]["digest"]
        with self._get(f"/v2/{name}/blobs/{digest}") as answer:
            return json.load(answer)

    def pull(self, name: str, tag: str):
        """Pull a pushed image back into the engine (an image the build script pushed, to inspect
        or run it); the caller removes it (graders/build_script.py removes the whole namespace)."""
        try:
            return self.client.images.pull(f"{self.address}/{name}", tag=tag)
        except docker.errors.APIError as exc:
            raise RegistryError(f"docker pull {self.address}/{name}:{tag}: {exc.explanation or exc}") from None


def start(session: Session) -> Registry:
    """Start a registry for this session on a random loopback port and wait until /v2/ answers."""
    try:
        container = session.run(REGISTRY_TAG, name=session.name("registry"), ports={"5000/tcp": ("127.0.0.1", None)})
    except docker.errors.ImageNotFound:
        raise RegistryError(f"no {REGISTRY_TAG} image: run `python -m graders images`") from None
    except docker.errors.APIError as exc:
        raise RegistryError(f"the registry could not start: {exc.explanation or exc}") from None
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        container.reload()
        bindings = (container.attrs["NetworkSettings"]["Ports"] or {}).get("5000/tcp") or []
        if bindings:
            registry = Registry(container, int(bindings[0]["HostPort"]), session.client)
            try:
                with registry._get("/v2/") as answer:
                    if answer.status == 200:
                        return registry
            except OSError:
                pass
        if container.status not in ("created", "running"):
            break
        time.sleep(0.2)
    raise RegistryError(f"the registry did not answer GET /v2/ within {START_LIMIT:.0f} s "
                        f"(status {container.status})")
