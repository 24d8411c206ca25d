"""A registry for a notebook's demos: the grader's own (graders/registry.py `start()`, a `registry:2`
container on a loopback port), started on the Lab's session so the Lab's last cell removes it.

Pushes go through the docker CLI (`docker tag`, `docker push`, shown as run); reads go over the
registry's HTTP API (the Distribution API the grader reads), each request shown as the `curl`
command that makes it, with the answer.
"""

from __future__ import annotations

import json
import urllib.error
from dataclasses import dataclass

from .. import registry as registry_module
from ..registry_image import REGISTRY_TAG
from . import commands
from .built import Built


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class DemoRegistry:
    """A registry of the Lab's own, written with the docker CLI, read over HTTP."""

    def __init__(self, lab) -> None:
        self.registry = registry_module.start(lab.session)
        name = self.registry.container.name
        print(f"registry {REGISTRY_TAG} running as container {name}, answering on http://{self.address}/v2/\n"
              f"  what it stands for: {commands.command_line(['docker', 'run', '-d', '--name', name, '-p', '127.0.0.1::5000', REGISTRY_TAG])}\n"
              "  (dockerd trusts 127.0.0.0/8 as an insecure registry by default: pushes over plain HTTP work as they are)")

    @property
    def address(self) -> str:
        return self.registry.address

    def reference(self, name: str, tag: str) -> str:
        return f"{self.address}/{name}:{tag}"

    # --- writing, with the docker CLI ---------------------------------------------------------------
    def push(self, built: Built, name: str, *tags: str) -> list[commands.Ran]:
        """`docker tag` the Lab's image as ADDRESS/name:tag, then `docker push` it, for each tag.
        (The new tags belong to the Lab's labelled image: the Lab's last cell removes them.)"""
        done = []
        for tag in tags:
            reference = self.reference(name, tag)
            done.append(commands.run(["docker", "tag", built.image.tags[0], reference], tail=2))
            done.append(commands.run(["docker", "push", reference], tail=1))
        return done

    # --- reading, over HTTP ---------------------------------------------------------------------------
    def request(self, path: str, method: str = "GET", accept: str | None = None, show_body: bool = True) -> Answer:
        """One request to the registry's HTTP API, shown as its curl command, with the answer."""
        flags = ["-s"] + (["-I"] if method == "HEAD" else []) + (["-H", f"Accept: {accept}"] if accept else [])
        print(commands.command_line(["curl", *flags, f"http://{self.address}{path}"]))
        try:
            with self.registry._get(path, method, accept) as response:  # the grader's own request
                answer = Answer(response.status, dict(response.headers), response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, dict(exc.headers or {}), exc.read().decode("utf-8", "replace"))
            exc.close()
        print(f"  → HTTP {answer.status}" + (f"\n  {answer.body.strip()}" if show_body and answer.body.strip() else ""))
        return answer

    def tags(self, name: str) -> list[str]:
        """GET /v2/<name>/tags/list: the repository's tags, as the registry lists them."""
        answer = self.request(f"/v2/{name}/tags/list")
        return sorted(json.loads(answer.body).get("tags") or []) if answer.status == 200 else []

    def digest(self, name: str, tag: str) -> str | None:
        """HEAD /v2/<name>/manifests/<tag>: the digest of the manifest the tag points at."""
        answer = self.request(f"/v2/{name}/manifests/{tag}", "HEAD", registry_module.MANIFEST_TYPES)
        digest = answer.headers.get("Docker-Content-Digest")
        if digest:
            print(f"  Docker-Content-Digest: {digest}")
        return digest

    def labels(self, name: str, tag: str) -> dict[str, str]:
        """The labels of a pushed image, as anyone who can pull it reads them: its manifest, then
        the config blob the manifest names."""
        answer = self.request(f"/v2/{name}/manifests/{tag}", accept=registry_module.MANIFEST_TYPES, show_body=False)
        manifest = json.loads(answer.body)
        if "config" not in manifest:  # an index (BuildKit's multi-platform push): the grader's reader picks the image
            config = self.registry.config(name, tag)
        else:
            print(f"  its config blob: {manifest['config']['digest']}")
            config = json.loads(self.request(f"/v2/{name}/blobs/{manifest['config']['digest']}", show_body=False).body)
        return (config.get("config") or {}).get("Labels") or {}
