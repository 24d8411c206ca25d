"""Base images: the official python images from the registry, or labelled stand-ins built offline.

`python -m graders images` makes sure every tag in STANDIN_TAGS exists locally:

- present locally: nothing to do (no network, instant);
- otherwise `docker pull` through the engine, with a short stall timeout;
- otherwise (air-gapped room, CI without registry access) one stand-in is built from Debian
  trixie packages with mmdebstrap, imported with `docker import`, and tagged with every
  missing tag.

The stand-in behaves like the official `python:3.13-slim-trixie` where the course's checks and a
learner's Dockerfile can tell: the same tags, `LANG`/`PATH`/`PYTHON_VERSION` and `CMD`; `python`
and `pip` in /usr/local/bin; no EXTERNALLY-MANAGED marker, so `pip install` (and
`pip install --upgrade pip`) works as root; `python -m venv`; apt sources for trixie,
trixie-updates and trixie-security with the package lists emptied; and the apt/dpkg settings of
Debian's official images (debuerreotype's docker-clean, slim path excludes, ...), so a learner's
`apt-get` layer grows about as much as on the real image. It carries STANDIN_LABEL saying it is a
stand-in, and trusts the build host's extra CA certificates (/usr/local/share/ca-certificates), so
`pip install` works behind a TLS-intercepting proxy.

Labels are inherited: every image built FROM the stand-in carries STANDIN_LABEL too.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.auth
import docker.errors
import docker.utils
import requests.exceptions
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

STANDIN_TAGS = ("python:3.13-slim-trixie", "python:3.13-slim", "python:3.13.5-slim-trixie")
STANDIN_LABEL = "org.dockercourse.base-stand-in"
DESCRIPTION_LABEL = "org.opencontainers.image.description"

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
DEFAULT_MIRROR = "http://deb.debian.org/debian"
HOST_CA_DIR = Path("/usr/local/share/ca-certificates")
HOST_KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
ETC_APT = Path("/etc/apt")
TMP_PREFIX = "course-python-standin-"

# `docker pull` gives up when the engine sends nothing for this long. A reachable registry
# streams progress several times a second; an unreachable one fails in milliseconds (DNS) or
# hangs on a firewall that drops packets, which is what this bounds.
PULL_STALL_SECONDS = 30

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


@dataclass(frozen=True)
class ImageOutcome:
    """What ensure_base_images() did for one tag."""

    tag: str
    action: str  # "present", "pulled" or "built"
    image_id: str
    size_bytes: int
    stand_in: bool  # carries STANDIN_LABEL
    detail: str
    seconds: float


# ---------------------------------------------------------------------------------------------
# The host: its Debian mirror, its extra CA certificates, mmdebstrap.


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


def _debian_family() -> bool:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    return bool(re.search(r"^(ID|ID_LIKE)=.*\bdebian\b", text, re.MULTILINE))


# ---------------------------------------------------------------------------------------------
# The progress display.


class _Display:
    """One live line: the current step, its latest detail (e.g. mmdebstrap's "I: ..." lines) and
    the time spent; finished steps of a build or pull are printed above it. When the console is
    not a terminal (CI logs, pytest), only the finished steps and warnings are printed."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = console.is_terminal
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[step]}[/]:"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task("", step="", total=None)

    def __enter__(self) -> _Display:
        if self._live:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._progress.stop()

    def step(self, step: str, detail: str = "") -> None:
        self._progress.reset(self._task)  # the elapsed time is this step's
        self._progress.update(self._task, step=escape(step), description=escape(detail))

    def detail(self, text: str) -> None:
        self._progress.update(self._task, description=escape(text[:120]))

    def done(self, text: str) -> None:
        self._progress.console.print(f"[green]✓[/] {escape(text)}", highlight=False)

    def warn(self, text: str) -> None:
        self._progress.console.print(f"[yellow]![/] {escape(text)}", highlight=False)


# ---------------------------------------------------------------------------------------------
# Local images and the registry.


def _local_image(client: docker.DockerClient, tag: str):
    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise BaseImageError(f"looking up {tag} in the engine's images", _first_line(exc)) from None


def _is_stand_in(image) -> bool:
    return STANDIN_LABEL in (image.labels or {})


def _origin(image) -> str:
    if _is_stand_in(image):
        built = re.search(r" on (\d{4}-\d\d-\d\d)", image.labels[STANDIN_LABEL])
        return "course stand-in" + (f" built {built.group(1)}" if built else "")
    if image.attrs.get("RepoDigests"):
        return "from the registry"
    return "local image, neither pulled nor a course stand-in"


class _PullFailed(Exception):
    pass


def _pull(client: docker.DockerClient, tag: str, show: Callable[[str], None]) -> None:
    """`docker pull`, giving up when the engine sends nothing for PULL_STALL_SECONDS.

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
                raise _PullFailed(event["error"])
            progress = event.get("progress") or ""
            show(" ".join(filter(None, (event.get("status"), event.get("id"), progress))))
    except docker.errors.APIError as exc:
        raise _PullFailed(exc.explanation or _first_line(exc)) from None
    except requests.exceptions.RequestException as exc:
        # A stalled stream surfaces as ReadTimeout, or as ConnectionError wrapping urllib3's
        # ReadTimeoutError when it stalls mid-stream.
        if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc).lower():
            raise _PullFailed(f"the engine reported nothing for {PULL_STALL_SECONDS} s") from None
        raise _PullFailed(_first_line(exc)) from None
    finally:
        if response is not None:
            response.close()


# ---------------------------------------------------------------------------------------------
# The stand-in.


@dataclass
class _RunResult:
    status: int
    tail: list[str]  # the last output lines
    phase: str  # the last "I: ..." line before the first "E: ..." line, without "I: " and "..."
    errors: list[str]  # the "E: ..." lines

    def why(self) -> str:
        shown = self.errors[:3] if self.errors else self.tail[-6:]
        return f"exit status {self.status}: " + " | ".join(shown)


def _run_streamed(
    argv: Sequence[str], show: Callable[[str], None], env: dict[str, str] | None = None
) -> _RunResult:
    """Run argv, passing each output line to show()."""
    tail: collections.deque[str] = collections.deque(maxlen=8)
    phase = ""
    errors: list[str] = []
    # Leaving the `with` waits for the child: an interrupt reaches it too (same process group),
    # and it gets to clean up its chroot before we remove our temporary directory.
    with subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        errors="replace",
        env=env,
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip()
            if not line:
                continue
            tail.append(line)
            if line.startswith("E: "):
                errors.append(line)
            elif line.startswith("I: ") and not errors:
                phase = line[3:].rstrip(".").strip()
            show(line)
    return _RunResult(proc.returncode, list(tail), phase, errors)


def _ensure_mmdebstrap(display: _Display) -> str:
    found = shutil.which("mmdebstrap")
    if found:
        return found
    why = "mmdebstrap is not installed (it builds the stand-in when the registry cannot be reached)"
    if not _debian_family() or not shutil.which("apt-get"):
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
        result = _run_streamed(argv, display.detail, env=env)
        if result.status != 0:
            raise BaseImageError(
                step,
                result.why(),
                "check the machine's apt sources and network, then run `python -m graders images` again",
            )
    found = shutil.which("mmdebstrap")
    if not found:
        raise BaseImageError("installing mmdebstrap", "apt-get succeeded but mmdebstrap is not on PATH")
    display.done(f"installed mmdebstrap ({found})")
    return found


def _deb822(uri: str, suites: str, signed_by: str | None) -> str:
    text = f"Types: deb\nURIs: {uri}\nSuites: {suites}\nComponents: main\n"
    if signed_by:
        text += f"Signed-By: {signed_by}\n"
    return text


def _customize_hook(
    mirror: str, security: str, cas: Sequence[Path], python_version_file: Path
) -> str:
    """The shell script mmdebstrap runs once the packages are installed ($1: the root directory)."""
    final_sources = (
        _deb822(mirror, f"{SUITE} {SUITE}-updates", "@KEYRING@")
        + "\n"
        + _deb822(security, f"{SUITE}-security", "@KEYRING@")
    )
    lines = [
        "#!/bin/sh",
        "# Written by graders/images.py; mmdebstrap runs it with the new root directory as $1.",
        "set -eu",
        'root="$1"',
        'echo "I: customize: apt sources for trixie, trixie-updates, trixie-security"',
        'rm -f "$root/etc/apt/sources.list" "$root"/etc/apt/sources.list.d/*',
        "keyring=/usr/share/keyrings/debian-archive-keyring.pgp",
        '[ -e "$root$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg',
        "cat > \"$root/etc/apt/sources.list.d/debian.sources\" <<'SOURCES'",
        final_sources.rstrip("\n"),
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
            rel = ca.relative_to(HOST_CA_DIR) if ca.is_relative_to(HOST_CA_DIR) else Path(ca.name)
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
        "# Written by graders/images.py; mmdebstrap runs it with the new root directory as $1.",
        "set -eu",
        "cat > \"$1/usr/sbin/policy-rc.d\" <<'POLICY'",
        POLICY_RC_D.rstrip("\n"),
        "POLICY",
        'chmod 0755 "$1/usr/sbin/policy-rc.d"',
        "",
    ])


def _mmdebstrap_hint(phase: str, mirror: str, security: str) -> str:
    if any(word in phase for word in ("apt-get update", "downloading", "finding correct signed-by")):
        return (
            f"check that this machine reaches {mirror} and {security} (apt sources in /etc/apt), "
            "then run `python -m graders images` again"
        )
    return "fix the cause shown and run `python -m graders images` again"


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


def _build_stand_in(
    client: docker.DockerClient, tags: Sequence[str], display: _Display, mirror: str | None
):
    """Build the stand-in once, import it as tags[0], tag it with the others; return the image."""
    mmdebstrap = _ensure_mmdebstrap(display)
    mirror = (mirror or debian_mirror_uri()).rstrip("/")
    security = debian_security_uri(mirror) if mirror == debian_mirror_uri() else mirror + "-security"
    cas = host_extra_cas()
    workdir = Path(tempfile.mkdtemp(prefix=TMP_PREFIX))
    try:
        rootfs = workdir / "rootfs.tar"
        version_file = workdir / "python-version"
        hook = workdir / "customize.sh"
        hook.write_text(_customize_hook(mirror, security, cas, version_file))
        hook.chmod(0o755)
        essential_hook = workdir / "essential.sh"
        essential_hook.write_text(_essential_hook())
        essential_hook.chmod(0o755)
        signed_by = str(HOST_KEYRING) if HOST_KEYRING.exists() else None
        sources = workdir / "bootstrap.sources"
        sources.write_text(
            _deb822(mirror, f"{SUITE} {SUITE}-updates", signed_by)
            + "\n"
            + _deb822(security, f"{SUITE}-security", signed_by)
        )
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
        started = time.monotonic()

        def show(line: str) -> None:  # mmdebstrap's status lines; the rest is in the error tail
            if line[:3] in ("I: ", "W: ", "E: "):
                display.detail(line)

        result = _run_streamed(argv, show)
        if result.status != 0:
            raise BaseImageError(
                "mmdebstrap",
                result.why(),
                _mmdebstrap_hint(result.phase, mirror, security),
                during=result.phase or None,
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
            f"{_size(rootfs.stat().st_size)}, in {time.monotonic() - started:.1f} s"
        )

        label = _label_text(python_version, cas, datetime.date.today())
        changes = [
            f"ENV PATH={IMAGE_PATH}",
            "ENV LANG=C.UTF-8",
            f"ENV PYTHON_VERSION={python_version}",
        ]
        if cas:
            changes.append("ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
        changes += [
            f"LABEL {STANDIN_LABEL}={json.dumps(label)}",
            f"LABEL {DESCRIPTION_LABEL}="
            + json.dumps(
                f"Python {python_version} on Debian {SUITE}: offline course stand-in for the "
                f"official python:{PYTHON_SERIES}-slim-{SUITE} image"
            ),
            'CMD ["python3"]',
        ]
        first, *others = tags
        repository, tag = docker.utils.parse_repository_tag(first)
        display.step("docker import", f"{first} ({_size(rootfs.stat().st_size)})")
        started = time.monotonic()
        try:
            answer = client.api.import_image_from_file(
                str(rootfs), repository=repository, tag=tag, changes=changes
            )
        except docker.errors.APIError as exc:
            raise BaseImageError("docker import of the stand-in", _first_line(exc)) from None
        for line in str(answer).splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("error"):
                raise BaseImageError("docker import of the stand-in", event["error"])
        image = _local_image(client, first)
        if image is None:
            raise BaseImageError("docker import of the stand-in", f"the engine answered {answer!r} but {first} is missing")
        display.done(f"docker import: {first} = {image.short_id}, in {time.monotonic() - started:.1f} s")

        for other in others:
            display.step("tagging", other)
            repository, tag = docker.utils.parse_repository_tag(other)
            try:
                image.tag(repository, tag)
            except docker.errors.APIError as exc:
                raise BaseImageError(f"tagging the stand-in as {other}", _first_line(exc)) from None
        for name in tags:
            match = re.search(r":(\d+\.\d+\.\d+)-", name)
            if match and match.group(1) != python_version:
                display.warn(f"{name} names Python {match.group(1)}; the stand-in has {python_version}")
        return client.images.get(image.id)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if workdir.exists():
            display.warn(f"could not remove the temporary directory {workdir}")


# ---------------------------------------------------------------------------------------------
# The entry points.


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _connect() -> docker.DockerClient:
    try:
        client = docker.from_env()
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise BaseImageError(
            "connecting to the Docker engine",
            _first_line(exc),
            "start it (Docker Desktop, or `bash scripts/ensure-engine.sh` on Debian as root) and try again",
        ) from None
    return client


def ensure_base_images(
    console: Console | None = None,
    client: docker.DockerClient | None = None,
    *,
    tags: Sequence[str] = STANDIN_TAGS,
    pull: bool = True,
    mirror: str | None = None,
) -> list[ImageOutcome]:
    """Make sure every tag exists locally: present, else pulled, else built as a stand-in.

    Idempotent: tags already present are left alone, with no network access. `tags` lets tests
    build stand-ins under throwaway names; `pull=False` skips the registry; `mirror` overrides
    the Debian archive read from the machine's apt sources. Raises BaseImageError.
    """
    console = console or Console(stderr=True)
    own_client = client is None
    client = client or _connect()
    outcomes: dict[str, ImageOutcome] = {}
    try:
        with _Display(console) as display:
            display.step("checking local images")
            for tag in tags:
                started = time.monotonic()
                image = _local_image(client, tag)
                if image is not None:
                    outcomes[tag] = ImageOutcome(
                        tag, "present", image.id, image.attrs.get("Size", 0), _is_stand_in(image),
                        _origin(image), time.monotonic() - started,
                    )
            missing = [t for t in tags if t not in outcomes]

            pull_failure = "" if pull else "not tried (offline)"
            for tag in missing:
                if pull_failure:
                    break
                display.step(f"docker pull {tag}")
                started = time.monotonic()
                try:
                    _pull(client, tag, display.detail)
                except _PullFailed as exc:
                    pull_failure = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else "failed"
                    display.warn(f"docker pull {tag}: {pull_failure}")
                    continue
                image = _local_image(client, tag)
                if image is None:
                    pull_failure = "the pull ended but the image is missing"
                    continue
                outcomes[tag] = ImageOutcome(
                    tag, "pulled", image.id, image.attrs.get("Size", 0), _is_stand_in(image),
                    "from the registry", time.monotonic() - started,
                )
                display.done(f"docker pull {tag}: {image.short_id}, in {time.monotonic() - started:.1f} s")

            to_build = [t for t in tags if t not in outcomes]
            if to_build:
                started = time.monotonic()
                image = _build_stand_in(client, to_build, display, mirror)
                seconds = time.monotonic() - started
                for tag in to_build:
                    outcomes[tag] = ImageOutcome(
                        tag, "built", image.id, image.attrs.get("Size", 0), True,
                        f"course stand-in; registry: {pull_failure}", seconds,
                    )
    finally:
        if own_client:
            client.close()
    return [outcomes[t] for t in tags]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m graders images`: one line per tag (present / pulled / built, size); 0, or 2 on failure."""
    parser = argparse.ArgumentParser(
        prog="python -m graders images",
        description="Make sure the python base images exist: present, pulled, or built as stand-ins.",
    )
    parser.add_argument(
        "--offline", action="store_true", help="do not try the registry; build stand-ins for missing tags"
    )
    args = parser.parse_args(argv)
    console = Console()
    try:
        outcomes = ensure_base_images(console, pull=not args.offline)
    except BaseImageError as exc:
        Console(stderr=True).print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    width = max(len(o.tag) for o in outcomes)
    for o in outcomes:
        console.print(
            f"{o.tag:<{width}}  {o.action:<7}  {_size(o.size_bytes):>9}  {o.image_id[7:19]}  {o.detail}",
            markup=False, highlight=False, soft_wrap=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
