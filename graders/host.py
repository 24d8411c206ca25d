"""What the machine building base images offers: its Debian mirror and security URIs (from its apt
sources), its extra CA certificates, whether it is Debian-family, its Debian archive keyring.

Read-only facts, no network: the offline stand-in (graders/standin.py) is built from this
machine's mirror and trusts its extra CA certificates, so that it works where the machine works
(a local mirror, a TLS-intercepting proxy).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
HOST_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
ETC_APT = Path("/etc/apt")


def _debian_uri(tokens: Iterable[str], suffix: str) -> str | None:
    pattern = re.compile(r"^(https?|file|mirror|mirror\+\w+):.*/" + re.escape(suffix) + r"/?$")
    for token in tokens:
        if pattern.match(token):
            return token.rstrip("/")
    return None


def _host_source_uris(etc_apt: Path, suffix: str) -> str | None:
    """The first URI ending in /<suffix> in the deb822 sources, else in the one-line sources.list."""
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key.strip().lower() == "uris":
                uri = _debian_uri(value.split(), suffix)
                if uri:
                    return uri
    try:
        lines = (etc_apt / "sources.list").read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.split()
        if fields and fields[0] == "deb":
            uri = _debian_uri(fields[1:], suffix)
            if uri:
                return uri
    return None


def debian_mirror_uri(etc_apt: Path = ETC_APT) -> str:
    """The machine's Debian archive URI (a `URIs:` / `deb` URI ending in /debian), else deb.debian.org."""
    return _host_source_uris(etc_apt, "debian") or DEFAULT_MIRROR


def debian_security_uri(mirror: str, etc_apt: Path = ETC_APT) -> str:
    """The machine's debian-security URI, else the mirror's URI with `-security` appended."""
    return _host_source_uris(etc_apt, "debian-security") or mirror.rstrip("/") + "-security"


def host_extra_cas(ca_dir: Path = HOST_CA_DIR) -> list[Path]:
    """The host's extra CA certificates: what update-ca-certificates reads (*.crt, subfolders too)."""
    if not ca_dir.is_dir():
        return []
    return sorted(p for p in ca_dir.rglob("*.crt") if p.is_file())


def debian_family() -> bool:
    """Whether /etc/os-release says Debian or a derivative (Ubuntu, ...): apt-get can install mmdebstrap."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return bool(re.search(r"^(ID|ID_LIKE)=.*\bdebian\b", text, re.MULTILINE))


def debian_keyring() -> Path | None:
    """The machine's Debian archive keyring, if it has one (else apt finds the suite's own)."""
    return HOST_KEYRING if HOST_KEYRING.exists() else None
