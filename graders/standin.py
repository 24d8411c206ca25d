"""The offline stand-in for python:3.13-slim-trixie: built from Debian trixie packages with
mmdebstrap, imported with `docker import`, tagged with every tag it stands in for.

For an air-gapped room or CI without registry access. It behaves like the official
`python:3.13-slim-trixie` where the course's checks and a learner's Dockerfile can tell: the same
tags, `PATH`, `GPG_KEY`, `PYTHON_VERSION` and `CMD` (no `LANG`, as 3.13's); `python` and `pip` in
/usr/local/bin; no EXTERNALLY-MANAGED marker, so `pip install` (and `pip install --upgrade pip`)
works as root; `python -m venv`; apt sources for trixie, trixie-updates and trixie-security with
the package lists emptied; and the apt/dpkg settings of Debian's official images (debuerreotype's
docker-clean, slim path excludes, ...), so a learner's `apt-get` layer grows about as much as on
the real image. It carries STANDIN_LABEL saying it is a stand-in, and trusts the build host's
extra CA certificates (/usr/local/share/ca-certificates), so `pip install` works behind a
TLS-intercepting proxy.

Labels are inherited: every image built FROM the stand-in carries STANDIN_LABEL too.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import docker
import docker.errors
import docker.utils

from . import host, process

if TYPE_CHECKING:
    from .images import Display

STANDIN_LABEL = "org.dockercourse.base-stand-in"
DESCRIPTION_LABEL = "org.opencontainers.image.description"
TMP_PREFIX = "course-python-standin-"

SUITE = "trixie"
PYTHON_SERIES = "3.13"
# Not python3-pip: Debian's pip package refuses to upgrade itself ("Cannot uninstall pip ...
# The package was installed by debian"), so `RUN pip install --upgrade pip` (and `... wheel`,
# which python3-pip pulls in) would fail where it works on the official image. pip is installed
# instead from the wheel Debian ships for venvs (python3-pip-whl) into /usr/local, as a normal
# pip-managed distribution with /usr/local/bin/pip, pip3 and pip3.13, like the official image.
PACKAGES = (
    "python3",
    "python3-venv",
    "python3-pip-whl",
    "python-is-python3",
    "ca-certificates",
    "netbase",
    "tzdata",
)
# Docker's default PATH. (The official image's is "/usr/local/bin:" followed by this, from
# `ENV PATH /usr/local/bin:$PATH`; both find /usr/local/bin before /usr/bin, which is what
# matters for `python` and `pip`.)
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The official image's `ENV GPG_KEY`: the OpenPGP fingerprint of Thomas Wouters, release manager
# of Python 3.12 and 3.13, whose key signs the 3.13 source tarballs. From docker-library/python,
# 3.13/slim-trixie/Dockerfile (commit 4f07059567fa61c80397126e8063dbbde011b794, June 2026). Not the
# same Python (the stand-in's is Debian's), but a learner's image inherits this ENV unchanged,
# and the grader's no-secret-env check must let it pass. (PYTHON_SHA256 is left out: it names
# a tarball the stand-in does not contain.)
OFFICIAL_GPG_KEY = "7169605F62C751356D054A26A821E680E5FA6305"

# Debian's official images are "slim": dpkg skips docs, man pages and translations
# (debuerreotype scripts/.slimify-excludes and .slimify-includes). Kept in the image
# (/etc/dpkg/dpkg.cfg.d/99mmdebstrap) so learners' `apt-get install` layers are slim too.
SLIM_DPKG_OPTIONS = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/groff/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/linda/*",
    "path-exclude=/usr/share/lintian/overrides/*",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/man/*",
)

# The apt/dpkg settings of Debian's official images (debuerreotype-minimizing-config). docker-clean
# matters most: without it an `apt-get install` layer keeps the downloaded .deb files, and the
# same Dockerfile would make a bigger image on the stand-in than on the real base.
_APT_CLEAN = (
    '"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb'
    ' /var/cache/apt/*.bin || true";'
)
OFFICIAL_IMAGE_CONFIG = {
    "etc/apt/apt.conf.d/docker-clean": (
        f"DPkg::Post-Invoke {{ {_APT_CLEAN} }};\n"
        f"APT::Update::Post-Invoke {{ {_APT_CLEAN} }};\n"
        'Dir::Cache::pkgcache "";\n'
        'Dir::Cache::srcpkgcache "";\n'
    ),
    "etc/apt/apt.conf.d/docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
    "etc/apt/apt.conf.d/docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "etc/apt/apt.conf.d/docker-no-languages": 'Acquire::Languages "none";\n',
    "etc/dpkg/dpkg.cfg.d/docker-apt-speedup": "force-unsafe-io\n",
}
# Services do not start during `docker build` (also from debuerreotype-minimizing-config). Written by
# an essential hook, with mmdebstrap's own temporary policy-rc.d skipped: mmdebstrap removes
# whatever is at that path when it unmounts, after the customize hooks.
POLICY_RC_D = "#!/bin/sh\n# Services do not start during `docker build`.\nexit 101\n"

# Interrupted, mmdebstrap unmounts and removes its chroot (it traps SIGTERM); give it time to.
_MMDEBSTRAP_GRACE = 30


class BaseImageError(Exception):
    """A base image could not be made: which step failed, why, and what to do."""

    def __init__(
        self, step: str, reason: str, hint: str | None = None, *, during: str | None = None
    ) -> None:
        self.step = step
        self.reason = reason
        self.hint = hint
        self.during = during  # what the step was doing when it failed, e.g. "downloading packages"
        message = f"{step} failed" + (f" while {during}" if during else "") + f": {reason}"
        if hint:
            message += f" -- {hint}"
        super().__init__(message)


def first_line(exc: BaseException, width: int = 300) -> str:
    """An exception in one short line (its message's first line, else its type)."""
    text = str(exc).strip()
    return text.splitlines()[0][:width] if text else type(exc).__name__


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def local_image(client: docker.DockerClient, tag: str):
    """The engine's image called `tag`, or None."""
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise BaseImageError(f"looking up {tag} in the engine's images", first_line(exc)) from None


# ---------------------------------------------------------------------------------------------
# Running mmdebstrap and apt-get.


class _AptOutput:
    """The output of mmdebstrap or apt-get: "I: ..." lines say what it is doing, "E: ..." lines why
    it failed. Shows the lines it is given to show (via process.run's on_line)."""

    def __init__(self, show: Callable[[str], None], shown: tuple[str, ...] = ("",)) -> None:
        self.show = show
        self.shown = shown  # the prefixes of the lines shown (all lines: "")
        self.phase = ""  # the last "I: ..." line before the first "E: ..." line, without "I: " and "..."
        self.errors: list[str] = []  # the "E: ..." lines

    def __call__(self, line: str) -> None:
        line = line.rstrip()
        if not line:
            return
        if line.startswith("E: "):
            self.errors.append(line)
        elif line.startswith("I: ") and not self.errors:
            self.phase = line[3:].rstrip(".").strip()
        if line.startswith(self.shown):
            self.show(line)

    def why(self, finished: process.Finished) -> str:
        tail = [line.rstrip() for line in finished.lines if line.strip()]
        shown = self.errors[:3] if self.errors else tail[-6:]
        return f"exit status {finished.returncode}: " + " | ".join(shown)


def _run(argv: Sequence[str], output: _AptOutput, **options) -> process.Finished:
    return process.run(argv, on_line=output, keep=50, **options)


def ensure_mmdebstrap(display: Display) -> str:
    """mmdebstrap's path, installing it with apt-get on a Debian-family machine as root."""
    found = shutil.which("mmdebstrap")
    if found:
        return found
    why = "mmdebstrap is not installed (it builds the stand-in when the registry cannot be reached)"
    if not host.debian_family() or not shutil.which("apt-get"):
        raise BaseImageError(
            "finding mmdebstrap",
            why,
            "install mmdebstrap (Debian/Ubuntu: `apt-get install mmdebstrap`; Fedora and Arch package "
            "it too) and run `python -m graders images` again, or give the Docker engine registry "
            "access so `docker pull python:3.13-slim-trixie` works",
        )
    if os.geteuid() != 0:
        raise BaseImageError(
            "finding mmdebstrap",
            why,
            "install it: `sudo apt-get update && sudo apt-get install -y mmdebstrap`, then run "
            "`python -m graders images` again",
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for step, argv in (
        ("installing mmdebstrap (apt-get update)", ["apt-get", "update", "-q"]),
        ("installing mmdebstrap (apt-get install)", ["apt-get", "install", "-y", "-q", "mmdebstrap"]),
    ):
        display.step(step)
        output = _AptOutput(display.detail)
        finished = _run(argv, output, env=env)
        if finished.returncode != 0:
            raise BaseImageError(
                step,
                output.why(finished),
                "check the machine's apt sources and network, then run `python -m graders images` again",
            )
    found = shutil.which("mmdebstrap")
    if not found:
        raise BaseImageError("installing mmdebstrap", "apt-get succeeded but mmdebstrap is not on PATH")
    display.done(f"installed mmdebstrap ({found})")
    return found


def _mmdebstrap_hint(phase: str, mirror: str, security: str) -> str:
    if any(word in phase for word in ("apt-get update", "downloading", "finding correct signed-by")):
        return (
            f"check that this machine reaches {mirror} and {security} (apt sources in /etc/apt), "
            "then run `python -m graders images` again"
        )
    return "fix the cause shown and run `python -m graders images` again"


# ---------------------------------------------------------------------------------------------
# What mmdebstrap is given: apt sources and hook scripts.


def _deb822(uri: str, suites: str, signed_by: str | None) -> str:
    text = f"Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: main\n"
    if signed_by:
        text += f"Signed-By: {signed_by}\n"
    return text


def _sources(mirror: str, security: str, signed_by: str | None) -> str:
    """deb822 sources for trixie, trixie-updates and trixie-security."""
    return (
        _deb822(mirror, f"{SUITE} {SUITE}-updates", signed_by)
        + "\n"
        + _deb822(security, f"{SUITE}-security", signed_by)
    )


def _customize_hook(
    mirror: str, security: str, cas: Sequence[Path], python_version_file: Path
) -> str:
    """The shell script mmdebstrap runs once the packages are installed ($1: the root directory)."""
    lines = [
        "#!/bin/sh",
        "# Written by graders/standin.py; mmdebstrap runs it with the new root directory as $1.",
        "set -eu",
        'root="$1"',
        'echo "I: customize: apt sources for trixie, trixie-updates, trixie-security"',
        'rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*',
        "keyring=/usr/share/keyrings/debian-archive-keyring.pgp",
        '[ -e "$root$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg',
        "cat > \"$root/etc/apt/sources.list.d/debian.sources\" <<'SOURCES'",
        _sources(mirror, security, "@KEYRING@").rstrip("\n"),
        "SOURCES",
        'sed -i "s|@KEYRING@|$keyring|" "$root/etc/apt/sources.list.d/debian.sources"',
        'echo "I: customize: apt and dpkg settings of the official Debian images"',
    ]
    for rel, content in OFFICIAL_IMAGE_CONFIG.items():
        lines += [f"cat > \"$root/{rel}\" <<'CONFIG'", content.rstrip("\n"), "CONFIG"]
        lines.append(f'chmod 0644 "$root/{rel}"')
    lines += [
        "# Written before docker-clean's `Dir::Cache::pkgcache \"\"`, which hides them from the",
        "# `apt-get clean` of mmdebstrap's cleanup.",
        'rm -f "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb',
        'echo "I: customize: pip installs as root like the official image (no EXTERNALLY-MANAGED)"',
        'rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED',
        'wheel=$(cd "$root" && ls usr/share/python-wheels/pip-*.whl | head -n 1)',
        'chroot "$root" python3 "/$wheel/pip" install --no-index --no-cache-dir'
        ' --disable-pip-version-check --root-user-action=ignore --quiet "/$wheel"',
        'ln -sf /usr/bin/python3 "$root/usr/local/bin/python3"',
        'ln -sf python3 "$root/usr/local/bin/python"',
        "# Docker provides these at run time; the build host's must not stay in the image.",
        ': > "$root/etc/resolv.conf"',
        ': > "$root/etc/hostname"',
    ]
    if cas:
        lines.append(f'echo "I: customize: trusting {len(cas)} extra CA certificate(s) of the host"')
        for ca in cas:
            rel = ca.relative_to(host.HOST_CA_DIR) if ca.is_relative_to(host.HOST_CA_DIR) else Path(ca.name)
            dest = shlex.quote(f"/usr/local/share/ca-certificates/{rel}")
            lines.append(f'install -D -m 0644 {shlex.quote(str(ca))} "$root"{dest}')
        lines.append('chroot "$root" update-ca-certificates')
    lines += [
        'echo "I: customize: emptying /var/lib/apt/lists"',
        'rm -rf "$root"/var/lib/apt/lists/*',
        "chroot \"$root\" python3 -c 'import platform; print(platform.python_version())' > "
        + shlex.quote(str(python_version_file)),
        "",
    ]
    return "\n".join(lines)


def _essential_hook() -> str:
    """The shell script mmdebstrap runs once the essential packages are in ($1: the root directory)."""
    return "\n".join([
        "#!/bin/sh",
        "# Written by graders/standin.py; mmdebstrap runs it with the new root directory as $1.",
        "set -eu",
        "cat > \"$1/usr/sbin/policy-rc.d\" <<'POLICY'",
        POLICY_RC_D.rstrip("\n"),
        "POLICY",
        'chmod 0755 "$1/usr/sbin/policy-rc.d"',
        "",
    ])


def _write_script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


# ---------------------------------------------------------------------------------------------
# What the image says about itself: label and configuration.


def _label_text(python_version: str, cas: Sequence[Path], day: datetime.date) -> str:
    text = (
        f"Stand-in for the official python:{PYTHON_SERIES}-slim-{SUITE} image, not the Docker "
        f"Official Image: built offline by the Docker packaging course from Debian {SUITE} packages "
        f"(python3 {python_version}) with mmdebstrap on {day.isoformat()}"
    )
    if cas:
        names = ", ".join(ca.name for ca in cas)
        text += f"; trusts the build host's extra CA certificates ({names}), SSL_CERT_FILE set"
    return text


def _changes(python_version: str, cas: Sequence[Path]) -> list[str]:
    """The Dockerfile instructions `docker import` applies: the official image's ENV and CMD, labels."""
    changes = [
        f"ENV PATH={IMAGE_PATH}",
        # No LANG: the official 3.13 images dropped it (docker-library/python 0d539116, "drop LANG
        # for 3.13+"); Python coerces the C locale to UTF-8 by itself (PEP 538).
        f"ENV GPG_KEY={OFFICIAL_GPG_KEY}",
        f"ENV PYTHON_VERSION={python_version}",
    ]
    if cas:
        changes.append("ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
    label = _label_text(python_version, cas, datetime.date.today())
    description = (
        f"Python {python_version} on Debian {SUITE}: offline course stand-in for the "
        f"official python:{PYTHON_SERIES}-slim-{SUITE} image"
    )
    return changes + [
        f"LABEL {STANDIN_LABEL}={json.dumps(label)}",
        f"LABEL {DESCRIPTION_LABEL}={json.dumps(description)}",
        'CMD ["python3"]',
    ]


# ---------------------------------------------------------------------------------------------
# Building, importing, tagging.


def build(client: docker.DockerClient, tags: Sequence[str], display: Display, mirror: str | None):
    """Build the stand-in once, import it as tags[0], tag it with the others; return the image.

    `mirror` overrides the Debian archive read from the machine's apt sources. Raises BaseImageError.
    """
    mmdebstrap = ensure_mmdebstrap(display)
    host_mirror = host.debian_mirror_uri()
    mirror = (mirror or host_mirror).rstrip("/")
    security = host.debian_security_uri(mirror) if mirror == host_mirror else mirror + "-security"
    cas = host.host_extra_cas()
    workdir = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    try:
        rootfs = workdir / "rootfs.tar"
        python_version = _mmdebstrap(mmdebstrap, workdir, rootfs, mirror, security, cas, display)
        image = _import(client, rootfs, tags[0], _changes(python_version, cas), display)
        for other in tags[1:]:
            display.step("tagging", other)
            repository, tag = docker.utils.parse_repository_tag(other)
            try:
                image.tag(repository, tag)
            except docker.errors.APIError as exc:
                raise BaseImageError(f"tagging the stand-in as {other}", first_line(exc)) from None
        for name in tags:
            match = re.search(r":(\d+\.\d+\.\d+)-", name)
            if match and match.group(1) != python_version:
                display.warn(f"{name} names Python {match.group(1)}; the stand-in has {python_version}")
        return client.images.get(image.id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if workdir.exists():
            display.warn(f"could not remove the temporary directory {workdir}")


def _mmdebstrap(
    mmdebstrap: str,
    workdir: Path,
    rootfs: Path,
    mirror: str,
    security: str,
    cas: Sequence[Path],
    display: Display,
) -> str:
    """Write the root filesystem to `rootfs` (a tar file); return its Python version."""
    version_file = workdir / "python-version"
    hook = _write_script(workdir / "customize.sh", _customize_hook(mirror, security, cas, version_file))
    essential_hook = _write_script(workdir / "essential.sh", _essential_hook())
    keyring = host.debian_keyring()
    sources = workdir / "bootstrap.sources"
    sources.write_text(_sources(mirror, security, str(keyring) if keyring else None))
    argv = [
        mmdebstrap,
        "--variant=minbase",
        "--format=tar",
        "--include=" + ",".join(PACKAGES),
        *(f"--dpkgopt={opt}" for opt in SLIM_DPKG_OPTIONS),
        "--skip=chroot/policy-rc.d",
        f"--essential-hook={essential_hook}",
        f"--customize-hook={hook}",
        SUITE,
        str(rootfs),
        str(sources),
    ]
    display.step("building the stand-in with mmdebstrap", f"Debian {SUITE} from {mirror}")
    # mmdebstrap's status lines are shown; the rest is in the error's tail.
    output = _AptOutput(display.detail, shown=("I: ", "W: ", "E: "))
    finished = _run(argv, output, grace=_MMDEBSTRAP_GRACE)
    if finished.returncode != 0:
        raise BaseImageError(
            "mmdebstrap",
            output.why(finished),
            _mmdebstrap_hint(output.phase, mirror, security),
            during=output.phase or None,
        )
    python_version = version_file.read_text().strip() if version_file.exists() else ""
    if not re.fullmatch(re.escape(PYTHON_SERIES) + r"\.\d+", python_version):
        raise BaseImageError(
            "checking the stand-in's Python",
            f"Debian {SUITE}'s python3 is {python_version or 'missing'}, not {PYTHON_SERIES}.x",
            "the stand-in cannot stand in for the python:3.13 tags; give the engine registry access",
        )
    display.done(
        f"mmdebstrap: Debian {SUITE} root filesystem with Python {python_version}, "
        f"{megabytes(rootfs.stat().st_size)}, in {finished.seconds:.1f} s"
    )
    return python_version


def _import(client: docker.DockerClient, rootfs: Path, name: str, changes: list[str], display: Display):
    """`docker import rootfs name` with the Dockerfile instructions `changes`; return the image."""
    step = "docker import of the stand-in"
    repository, tag = docker.utils.parse_repository_tag(name)
    display.step("docker import", f"{name} ({megabytes(rootfs.stat().st_size)})")
    started = time.monotonic()
    try:
        answer = client.api.import_image_from_file(
            str(rootfs), repository=repository, tag=tag, changes=changes
        )
    except docker.errors.APIError as exc:
        raise BaseImageError(step, first_line(exc)) from None
    for line in str(answer).splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("error"):
            raise BaseImageError(step, event["error"])
    image = local_image(client, name)
    if image is None:
        raise BaseImageError(step, f"the engine answered {answer!r} but {name} is missing")
    display.done(f"docker import: {name} = {image.short_id}, in {time.monotonic() - started:.1f} s")
    return image
