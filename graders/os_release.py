"""Which operating system an image is: its os-release file, read without running the image.

os-release(5) (freedesktop.org): `/etc/os-release`, else `/usr/lib/os-release` (on Debian the
first is a symbolic link to the second), newline-separated `KEY=value` lines, values optionally
quoted, `#` comments. `ID` names the distribution (`debian`, `alpine`, `ubuntu`...), `ID_LIKE`
the ones it derives from (Ubuntu: `debian`). A musl-based image is Alpine's (`ID=alpine`); the
official python image's Linux variants are Debian (`-trixie`, `-bookworm`, their `-slim`) or
Alpine (`-alpine3.2x`).

`read()` creates a container from the image (labelled by the grading session, never started),
copies the file out with the archive API (`get_archive`, a tar stream) and removes the
container at once; an image with no os-release (FROM scratch, distroless-style) gives None.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import shlex
import tarfile
from dataclasses import dataclass

import docker.errors

PATHS = ("/etc/os-release", "/usr/lib/os-release")
MAX_LINKS = 4


@dataclass(frozen=True)
class OsRelease:
    fields: dict[str, str]

    @property
    def id(self) -> str:
        return self.fields.get("ID", "linux").lower()   # os-release(5): ID defaults to "linux"

    @property
    def id_like(self) -> tuple[str, ...]:
        return tuple(self.fields.get("ID_LIKE", "").lower().split())

    @property
    def name(self) -> str:
        """How to call it in a message: PRETTY_NAME, else NAME and VERSION, else ID."""
        pretty = self.fields.get("PRETTY_NAME")
        if pretty:
            return pretty
        named = " ".join(v for v in (self.fields.get("NAME"), self.fields.get("VERSION")) if v)
        return named or self.id

    @property
    def is_debian(self) -> bool:
        """Debian itself (not a derivative such as Ubuntu, whose ID_LIKE is debian)."""
        return self.id == "debian"

    @property
    def is_alpine(self) -> bool:
        """Alpine Linux or a derivative: musl libc, so manylinux wheels do not install."""
        return self.id == "alpine" or "alpine" in self.id_like


def parse(text: str) -> OsRelease:
    """Parse os-release text: KEY=value lines; shell-style quoting and escapes in values."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = [value.strip("\"'")]
        fields[key.strip()] = " ".join(words)
    return OsRelease(fields)


def _archive_member(container, path: str) -> tarfile.TarInfo | bytes | None:
    """The file at `path` in the container: its bytes, or its TarInfo when it is a symbolic link
    (the archive API copies a link as a link)."""
    try:
        bits, _stat = container.get_archive(path)
    except docker.errors.NotFound:
        return None
    with tarfile.open(fileobj=io.BytesIO(b"".join(bits)), mode="r|") as archive:
        for member in archive:
            if member.issym():
                return member
            if member.isfile():
                handle = archive.extractfile(member)
                return handle.read() if handle else None
    return None


def read(session, image) -> OsRelease | None:
    """The image's os-release, from a container created (not started) through the grading
    session and removed afterwards; None when the image has none."""
    container = session.create(image.id, command=["/os-release-probe"], network_disabled=True)
    try:
        for first in PATHS:
            path = first
            for _ in range(MAX_LINKS):
                found = _archive_member(container, path)
                if isinstance(found, tarfile.TarInfo):   # /etc/os-release -> ../usr/lib/os-release
                    path = posixpath.normpath(posixpath.join(posixpath.dirname(path), found.linkname))
                    continue
                if found is not None:
                    return parse(found.decode("utf-8", errors="replace"))
                break
        return None
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
