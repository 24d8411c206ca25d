"""Which wheels a package version ships on PyPI, read from PyPI's JSON API
(https://pypi.org/pypi/NAME/json: "releases" maps each version to its files), sorted into what a
glibc-based Linux (manylinux) and a musl-based one (musllinux, PEP 656) can install for one
Python and machine; and which distributions an image holds for its app (the app's requirements,
followed from `importlib.metadata` inside a container)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

PYPI_JSON = "https://pypi.org/pypi/{name}/json"

# Run inside the image: the app's distribution and every requirement it pulls in, name -> version.
# Requirements of an extra are skipped, and so is one that is not installed (an environment marker
# left it out). Plain string handling: `packaging` is not in every image.
CLOSURE_SCRIPT = r"""
import importlib.metadata as md, json, re
seen, todo = {}, ["shortlinks"]
while todo:
    name = todo.pop()
    try:
        dist = md.distribution(name)
    except md.PackageNotFoundError:
        continue
    key = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    if key in seen:
        continue
    seen[key] = dist.version
    for req in dist.requires or []:
        spec, _, marker = req.partition(";")
        if "extra" in marker:
            continue
        todo.append(re.split(r"[\s\[\(<>=!~;]", spec.strip(), maxsplit=1)[0])
print(json.dumps(seen))
"""


@dataclass(frozen=True)
class Release:
    name: str
    version: str
    uploaded: str                                   # the first file's upload date (ISO)
    pure: bool                                      # a py3-none-any wheel: installs anywhere
    manylinux: list[str] = field(default_factory=list)   # wheels a glibc Linux of this machine can use
    musllinux: list[str] = field(default_factory=list)   # wheels a musl Linux of this machine can use
    sdist: bool = False
    problem: str = ""                               # PyPI could not be asked
    latest: str = ""                                # the newest version PyPI lists

    @property
    def glibc(self) -> str:
        return "pure Python wheel" if self.pure else ("binary wheel" if self.manylinux else
                                                       "none: compiled from the sdist" if self.sdist else "none")

    @property
    def musl(self) -> str:
        return "pure Python wheel" if self.pure else ("binary wheel" if self.musllinux else
                                                       "none: compiled from the sdist" if self.sdist else "none")


def _fits(tag, python: str, machine: str, libc: str) -> bool:
    """Whether a wheel tag fits CPython `python` (e.g. "cp313") on `machine` with `libc`."""
    if not tag.platform.startswith(libc) or not tag.platform.endswith(machine):
        return False
    if tag.interpreter == python:
        return True
    # The stable ABI: a cp3X-abi3 wheel serves every CPython from 3.X on.
    return tag.abi == "abi3" and tag.interpreter.startswith("cp3") and int(tag.interpreter[3:]) <= int(python[3:])


def release(name: str, version: str, python: str = "cp313", machine: str = "x86_64", timeout: float = 20) -> Release:
    """What PyPI holds for `name==version` (`version=""`: the newest): its wheels for this Python and machine, and whether it has an sdist."""
    try:
        with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=timeout) as response:  # noqa: S310
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return Release(name, version, "", False, problem=str(getattr(exc, "reason", exc)))
    latest = (data.get("info") or {}).get("version") or ""
    version = version or latest
    files = (data.get("releases") or {}).get(version)
    if files is None:
        return Release(name, version, "", False, problem=f"PyPI lists no release {version}", latest=latest)
    pure, many, musl, sdist = False, [], [], False
    for f in files:
        filename = f.get("filename", "")
        if f.get("packagetype") == "sdist":
            sdist = True
            continue
        try:
            _n, _v, _b, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue
        for tag in tags:
            if tag.platform == "any" and tag.abi == "none" and tag.interpreter.startswith("py3"):
                pure = True
            if _fits(tag, python, machine, "manylinux"):
                many.append(tag.platform)
            if _fits(tag, python, machine, "musllinux"):
                musl.append(tag.platform)
    uploaded = min((f.get("upload_time_iso_8601") or "" for f in files), default="")[:10]
    return Release(name, version, uploaded, pure, sorted(set(many)), sorted(set(musl)), sdist, latest=latest)


def machine_of(image) -> str:
    """The wheel-tag machine name for an image's architecture (amd64 -> x86_64, arm64 -> aarch64)."""
    arch = image.attrs.get("Architecture") or "amd64"
    return {"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}.get(arch, arch)




def _releases(name: str, timeout: float = 20) -> dict:
    with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=timeout) as response:  # noqa: S310
        return json.load(response).get("releases") or {}


def previous_with_wheel(name: str, version: str, python: str = "cp313", machine: str = "x86_64") -> str | None:
    """The newest final release of `name` older than `version` with a wheel a glibc Linux of this
    Python and machine can install (or a pure Python one); None if PyPI cannot be asked or has none."""
    from packaging.version import InvalidVersion, Version

    try:
        releases = _releases(name)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return None
    older = []
    for text, files in releases.items():
        try:
            candidate = Version(text)
        except InvalidVersion:
            continue
        if candidate.is_prerelease or candidate >= Version(version):
            continue
        for f in files:
            if f.get("yanked"):
                continue
            try:
                tags = parse_wheel_filename(f.get("filename", ""))[3]
            except InvalidWheelFilename:
                continue
            if any(_fits(t, python, machine, "manylinux") or (t.platform == "any" and t.abi == "none")
                   for t in tags):
                older.append(candidate)
                break
    return str(max(older)) if older else None


def show_table(rows: list[Release], title: str, python: str) -> None:
    """The releases as a table: what a glibc and a musl Linux install for this Python."""
    from rich.table import Table

    from .display import show_rich

    table = Table(title=title, title_justify="left")
    for column in ("distribution", "version", "released", f"glibc (manylinux, {python})", f"musl (musllinux, {python})"):
        table.add_column(column)
    for r in rows:
        if r.problem:
            table.add_row(r.name, r.version, "?", f"[yellow]not read: {r.problem}[/]", "")
            continue
        colour = {"pure Python wheel": "green", "binary wheel": "green"}
        table.add_row(r.name, r.version, r.uploaded,
                      f"[{colour.get(r.glibc, 'red')}]{r.glibc}[/]" + (f" ({r.manylinux[-1]})" if r.manylinux and not r.pure else ""),
                      f"[{colour.get(r.musl, 'red')}]{r.musl}[/]" + (f" ({r.musllinux[-1]})" if r.musllinux and not r.pure else ""))
    show_rich(table)


CACHE_HEADERS = ("Cache-Control", "Expires", "ETag", "Last-Modified", "Age")


def http_cache_headers(name: str, version: str, timeout: float = 20) -> tuple[str, dict[str, str | None]]:
    """(the URL of one of `name==version`'s wheels on PyPI, the HTTP caching headers its download
    answers with on this machine's network): pip's HTTP cache, like a browser's, keeps a response
    only when these allow it. ("", {}) when PyPI cannot be asked."""
    try:
        files = _releases(name, timeout).get(version) or []
        url = next(f["url"] for f in files if f.get("filename", "").endswith(".whl"))
        request = urllib.request.Request(url, method="HEAD")
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return url, {h: response.headers.get(h) for h in CACHE_HEADERS}
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, StopIteration, KeyError):
        return "", {}


def wheel_size(name: str, version: str = "", python: str = "cp313", machine: str = "x86_64") -> int | None:
    """The size PyPI lists for the largest wheel of `name==version` (`""`: the newest) that a glibc
    Linux of this Python and machine would install; None when there is none or PyPI cannot be asked."""
    try:
        with urllib.request.urlopen(PYPI_JSON.format(name=name), timeout=20) as response:  # noqa: S310
            data = json.load(response)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return None
    version = version or (data.get("info") or {}).get("version") or ""
    sizes = []
    for f in (data.get("releases") or {}).get(version) or []:
        try:
            tags = parse_wheel_filename(f.get("filename", ""))[3]
        except InvalidWheelFilename:
            continue
        if any(_fits(t, python, machine, "manylinux") for t in tags):
            sizes.append(f.get("size") or 0)
    return max(sizes) if sizes else None
