"""Notebook 06's look at base-image references: what each tag of `python` resolves to on this
engine (image ID, registry digests, labels, `docker image inspect`), and what is inside (Python's
version, Debian's codename, a `docker run`), the official image or the course's offline stand-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import commands
from .built import image_origin

INSIDE = 'import platform; print(platform.python_version(), platform.freedesktop_os_release()["VERSION_CODENAME"])'


@dataclass(frozen=True)
class TagRow:
    reference: str
    image_id: str | None         # sha256:…, None when the engine has no such image
    repo_digests: list[str]
    origin: str                  # "registry", "stand-in", "local", "absent"
    python: str
    codename: str


def describe(lab, references: Sequence[str]) -> list[TagRow]:
    """For each reference: `docker image inspect` (ID and RepoDigests), then
    `docker run --rm REF python -c …` for Python's version and Debian's codename. A reference the
    engine does not have is reported as absent (nothing is pulled)."""
    rows = []
    for reference in references:
        ran = commands.run(["docker", "image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", reference], tail=1)
        if not ran.ok:
            rows.append(TagRow(reference, None, [], "absent", "", ""))
            continue
        image = lab.client.images.get(reference)
        code, log = commands.docker_run(lab, reference, ["python", "-c", INSIDE])
        words = log.split()
        python, codename = (words[-2], words[-1]) if code == 0 and len(words) >= 2 else ("?", "?")
        print(f"  → Python {python}, Debian {codename}")
        rows.append(TagRow(reference, image.id, list(image.attrs.get("RepoDigests") or []), image_origin(image),
                           python, codename))
    return rows


def table(rows: Sequence[TagRow]) -> None:
    """The rows side by side: one line per reference."""
    width = max(len(r.reference) for r in rows)
    print(f"{'reference':{width}}  image ID      Python   Debian    registry digest")
    for r in rows:
        if r.image_id is None:
            print(f"{r.reference:{width}}  (not on this engine)")
            continue
        digest = r.repo_digests[0].split("@", 1)[1][:19] + "…" if r.repo_digests else \
            "none (" + ("the course's offline stand-in: built here, never pulled" if r.origin == "stand-in"
                        else "never pulled") + ")"
        print(f"{r.reference:{width}}  {r.image_id.removeprefix('sha256:')[:12]}  {r.python:8} {r.codename:9} {digest}")
