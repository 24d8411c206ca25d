"""Image references (what FROM names), read the way Docker reads them.

`parse()` follows github.com/distribution/reference, the package the Docker CLI, the engine and
BuildKit use (`ParseNormalizedNamed`): the grammar of regexp.go and the normalisation of
normalize.go (`splitDockerDomain`):

- a first component without `.` or `:` that is not `localhost` is a path, not a registry, so
  `python` and `library/python` are on Docker Hub, `docker.io`; `index.docker.io` (the legacy
  "Docker Index" domain) is normalised to `docker.io`; a name of one component on Docker Hub gets
  the `library/` prefix of the Docker Official Images (`docker.io/python` is
  `docker.io/library/python`);
- `localhost`, and any first component with a `.` or a `:port` (`localhost:5000`,
  `registry.corp`, `[::1]:5000`), is a registry;
- repository paths are lower case (`Python:3.13` is invalid: "repository name must be
  lowercase"); a tag is `[\\w][\\w.-]{0,127}`; a digest is `algorithm:hex` (sha256: 64 hex digits);
  a name is at most 255 characters; a 64-hex-digit string alone is an image ID, not a name.

Docker Hub's registry answers as `registry-1.docker.io` too (distribution/reference keeps that
name as a registry of its own; it is Docker Hub all the same), and registry mirrors serve Docker
Hub's official images under their own names: `mirror.gcr.io/library/python`,
`public.ecr.aws/docker/library/python`, a company's pull-through cache
`registry.corp/dockerhub/library/python`. `library_name()` says which official image a
reference names, directly or through such a mirror. Only what the name says: whether the image
it resolves to really is that image is for the caller to check (stage 1's official-python-base).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255
# Names Docker Hub answers to beyond distribution/reference's docker.io and index.docker.io.
DOCKER_HUB_DOMAINS = frozenset({DEFAULT_DOMAIN, "registry-1.docker.io", "registry.hub.docker.com"})
SCRATCH = "scratch"  # FROM scratch: no base image at all (BuildKit's emptyImageName)

# regexp.go, as Python patterns.
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHANUMERIC}(?:{_SEPARATOR}{_ALPHANUMERIC})*"
_REMOTE_NAME = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_AND_PORT = rf"(?:{_DOMAIN_NAME}|{_IPV6})(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN_AND_PORT})/)?(?P<path>{_REMOTE_NAME}))"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$", re.ASCII)
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")
# go-digest: the algorithms it knows, and the length of their lower-case hex encoding.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}


class InvalidReference(ValueError):
    """Not an image reference Docker would accept; the message says why, in Docker's words."""


@dataclass(frozen=True)
class Reference:
    domain: str             # "docker.io", "localhost:5000", "mirror.gcr.io"
    path: str               # "library/python", "dockerhub/library/python"
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        """The canonical repository name, e.g. "docker.io/library/python"."""
        return f"{self.domain}/{self.path}"

    @property
    def on_docker_hub(self) -> bool:
        return self.domain in DOCKER_HUB_DOMAINS

    @property
    def tag_or_default(self) -> str | None:
        """The tag, or "latest" when the reference names neither a tag nor a digest."""
        return self.tag if self.tag or self.digest else DEFAULT_TAG

    @property
    def familiar(self) -> str:
        """The short form the Docker CLI shows ("python:3.13-slim", "mirror.gcr.io/library/python")."""
        name = self.repository
        if self.domain == DEFAULT_DOMAIN:
            name = self.path
            rest = self.path.removeprefix(OFFICIAL_REPO_PREFIX)
            if rest != self.path and "/" not in rest:
                name = rest
        return name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def __str__(self) -> str:
        return self.repository + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def split_docker_domain(name: str) -> tuple[str, str]:
    """distribution/reference's splitDockerDomain: (domain, remainder), Docker Hub by default."""
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if maybe_domain == "localhost" or any(c in maybe_domain for c in ".:") or maybe_domain.lower() != maybe_domain:
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def parse(text: str) -> Reference:
    """Parse and normalise a reference as `docker pull` / FROM would (ParseNormalizedNamed)."""
    if _IDENTIFIER.match(text):
        raise InvalidReference(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = split_docker_domain(text)
    remote = remainder.split("@", 1)[0].split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(f"invalid reference format: repository name ({remote}) must be lowercase")
    match = _REFERENCE.match(f"{domain}/{remainder}")
    if match is None:
        raise InvalidReference("invalid reference format")
    if len(match["name"]) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(f"repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters")
    digest = match["digest"]
    if digest:
        algorithm, _, encoded = digest.partition(":")
        if algorithm not in _DIGEST_HEX_LENGTHS:
            raise InvalidReference(f"unsupported digest algorithm ({algorithm})")
        if not re.fullmatch(f"[a-f0-9]{{{_DIGEST_HEX_LENGTHS[algorithm]}}}", encoded):
            raise InvalidReference("invalid checksum digest format")
    return Reference(match["domain"], match["path"], match["tag"], digest)


def is_scratch(text: str) -> bool:
    return text.strip().lower() == SCRATCH


def library_name(reference: Reference) -> str | None:
    """The Docker Official Image (`library/NAME` on Docker Hub) a reference names, directly or
    through a registry mirror, else None:

    - on Docker Hub, `library/NAME` itself (`docker.io/someone/python` is someone's own image);
    - on another registry, a path ending in `library/NAME` (mirror.gcr.io/library/python,
      public.ecr.aws/docker/library/python, registry.corp/dockerhub/library/python), or the
      bare `NAME` a private registry or a local tag keeps it under (`localhost:5000/python`).
      A namespaced `ghcr.io/acme/python` is acme's image, not a mirror.
    """
    parts = reference.path.split("/")
    if reference.on_docker_hub:
        return parts[1] if len(parts) == 2 and parts[0] == "library" else None
    if len(parts) == 1:
        return parts[0]
    return parts[-1] if parts[-2] == "library" else None
