"""The engines a class is spread over: each `--engine` value is a Docker context name or a
DOCKER_HOST URL (unix://, tcp://, ssh://), turned into the environment a `graders check`
subprocess runs with, since the grader reaches its engine through DOCKER_HOST (docker-py) and
the `docker` CLI (buildx), both read from the environment.

- A URL is used as given. For tcp:// with TLS, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH are passed
  through from this process's environment (one set of certificates for every TLS engine, as the
  docker CLI itself reads them). ssh:// needs paramiko in the grader's environment (docker-py's
  SSH transport): without it the engine check says so; a forwarded socket
  (`ssh -NL /tmp/b.sock:/var/run/docker.sock host`, then unix:///tmp/b.sock) works everywhere.
- A context name is resolved to its endpoint (and its TLS material, stored by `docker context
  create`), because docker-py does not read contexts: setting DOCKER_CONTEXT alone would send
  buildx to one engine and the grader's SDK client to another.
- No `--engine`: the environment as it is (DOCKER_HOST, or the CLI's current context), as
  `graders check` would use it.

Before the first grading every engine is asked for its version through the SDK and the CLI
(`unavailable()` says which one did not answer, for exit 2), and `provision()` copies the base
images one engine has and another lacks (`docker save | docker load`: seconds, against a minute
or more of `python -m graders images` building them again from Debian packages).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import docker
import docker.errors
from docker.context import ContextAPI

from .. import registry_image
from ..engine import docker_cli
from ..images import STANDIN_TAGS

ENGINE_VARIABLES = ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
PROBE_TIMEOUT = 20


class EngineError(Exception):
    """An --engine value that names no engine, or an engine that does not answer."""


@dataclass(frozen=True, eq=False)   # hashed by identity: a key of per-engine tables
class Engine:
    spec: str                                # as given on the command line ("" for the environment's own)
    variables: Mapping[str, str] = field(default_factory=dict)   # set for its gradings (DOCKER_HOST...)

    @property
    def name(self) -> str:
        return self.spec or os.environ.get("DOCKER_HOST") or os.environ.get("DOCKER_CONTEXT") or "default"

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """`base` (default: this process's environment) pointed at this engine."""
        env = dict(os.environ if base is None else base)
        if self.spec:
            for name in ENGINE_VARIABLES:
                env.pop(name, None)
            env.update(self.variables)
        return env

    def client(self, timeout: int = PROBE_TIMEOUT) -> docker.DockerClient:
        return docker.from_env(environment=self.environment(), timeout=timeout)


def resolve(spec: str) -> Engine:
    """An Engine for a context name or a URL. Raises EngineError for an unknown context."""
    if "://" in spec:
        variables = {"DOCKER_HOST": spec}
        if spec.startswith("tcp://") and os.environ.get("DOCKER_TLS_VERIFY"):
            variables["DOCKER_TLS_VERIFY"] = os.environ["DOCKER_TLS_VERIFY"]
            if os.environ.get("DOCKER_CERT_PATH"):
                variables["DOCKER_CERT_PATH"] = os.environ["DOCKER_CERT_PATH"]
        return Engine(spec, variables)
    try:
        context = ContextAPI.get_context(spec)
    except docker.errors.DockerException as exc:
        raise EngineError(f"--engine {spec}: cannot read that Docker context ({exc})") from None
    if context is None:
        raise EngineError(f"--engine {spec}: no Docker context of that name (`docker context ls` lists them), "
                          "and not a URL such as unix:///run/other.sock or tcp://host:2376")
    variables = {"DOCKER_HOST": context.Host}
    tls = context.TLSConfig
    if tls is not None and getattr(tls, "ca_cert", None):
        variables["DOCKER_CERT_PATH"] = os.path.dirname(tls.ca_cert)
        variables["DOCKER_TLS_VERIFY"] = "1" if tls.verify else ""
    return Engine(spec, variables)


def engines_from(specs: Sequence[str]) -> list[Engine]:
    """The engines named on the command line, in order, without repeats; the environment's own
    engine when none is named."""
    if not specs:
        return [Engine("")]
    return [resolve(spec) for spec in dict.fromkeys(specs)]


def unavailable(engine: Engine) -> str | None:
    """Why `engine` cannot grade (no answer from the SDK or the CLI, no buildx), or None."""
    try:
        client = engine.client()
        try:
            client.ping()
        finally:
            client.close()
    except docker.errors.DockerException as exc:
        return f"engine {engine.name} does not answer ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    env = {**engine.environment(), "DOCKER_CLI_HINTS": "false"}
    for argv, what in (([docker_cli(), "version", "--format", "{{.Server.Version}}"], "the docker CLI"),
                       ([docker_cli(), "buildx", "version"], "buildx")):
        try:
            done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"engine {engine.name}: {what} did not answer within {PROBE_TIMEOUT} s"
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]
            return f"engine {engine.name}: {what} failed there ({reason})"
    return None


def base_tags(stage: int) -> list[str]:
    """The images gradings up to `stage` need on every engine: the python bases, and from stage 3
    the registry build.sh pushes to."""
    return [*STANDIN_TAGS, *([registry_image.REGISTRY_TAG] if stage >= 3 else [])]


def _missing(client: docker.DockerClient, tags: Sequence[str]) -> list[str]:
    missing = []
    for tag in tags:
        try:
            client.images.get(tag)
        except docker.errors.ImageNotFound:
            missing.append(tag)
    return missing


def copy_images(source: Engine, target: Engine, tags: Sequence[str]) -> float:
    """`docker save TAGS` on source piped into `docker load` on target; the seconds it took."""
    started = time.monotonic()
    save = subprocess.Popen([docker_cli(), "save", *tags], env=source.environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        load = subprocess.run([docker_cli(), "load", "--quiet"], env=target.environment(), stdin=save.stdout,
                              capture_output=True, text=True)
    finally:
        save.stdout.close()
        saved_error = save.stderr.read().decode(errors="replace")
        save.wait()
    if save.returncode != 0 or load.returncode != 0:
        reason = (saved_error.strip() or load.stderr.strip() or "failed").splitlines()[-1][:200]
        raise EngineError(f"copying {', '.join(tags)} from engine {source.name} to {target.name}: {reason}")
    return time.monotonic() - started


def provision(engines: Sequence[Engine], stage: int, say) -> None:
    """Make sure every engine has the base images: copy the ones an engine lacks from the first
    engine that has them. Raises EngineError when no engine has one (run `graders images`)."""
    tags = base_tags(stage)
    clients = {engine: engine.client(timeout=120) for engine in engines}
    try:
        missing = {engine: _missing(client, tags) for engine, client in clients.items()}
        for engine in engines:
            for tag in list(missing[engine]):
                if tag not in missing[engine]:
                    continue  # copied along with an earlier tag
                source = next((e for e in engines if tag not in missing[e]), None)
                if source is None:
                    raise EngineError(f"no engine has the base image {tag}: run `DOCKER_HOST=... python -m graders "
                                      f"images` against engine {engines[0].name} first")
                batch = [t for t in missing[engine] if t not in missing[source]]
                seconds = copy_images(source, engine, batch)
                missing[engine] = [t for t in missing[engine] if t not in batch]
                say(f"engine {engine.name} lacked {', '.join(batch)}: copied from {source.name} "
                    f"(docker save | docker load, {seconds:.0f} s)")
    finally:
        for client in clients.values():
            client.close()
