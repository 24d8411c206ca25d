"""Does an image reference keep meaning the same image? (pinned-base-image, pinned-build-tools)

- A digest (`@sha256:...`) pins the exact bytes, whatever the tag says.
- The official `python` image (on Docker Hub or through a mirror, graders/references.py): the tag
  must name the Python minor version (`3.13`, `3.13.5`) AND the OS release: a Debian codename
  (`-slim-trixie`, `-bookworm`) or an Alpine version (`-alpine3.22`). A bare `3.13-slim` is not
  enough: it moved from bookworm to trixie in August 2025; `3-slim`, `slim`, `3` and `latest` also
  move to the next Python.
- Any other image (a tool image such as `ghcr.io/astral-sh/uv:0.9.5`, a Debian base): the tag must
  name a version, i.e. hold a number (`0.9.5`, `12`, `python3.13-trixie-slim`); no tag (which means
  `latest`), `latest`, or a word alone (`stable`, `edge`, `slim`) moves with every release. (A
  major-only tag such as `node:22` still moves across minor releases; it is accepted, as the
  official images document such tags as version lines.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import references

# Debian releases the official python image has used, and the next ones.
DEBIAN_CODENAMES = frozenset({"jessie", "stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "duke"})
_MINOR = re.compile(r"^\d+\.\d+(\.\d+)?([ab]|rc)?\d*$")
_ALPINE = re.compile(r"^alpine\d+\.\d+$")


@dataclass(frozen=True)
class Verdict:
    pinned: bool
    reference: str        # as resolved (ARG defaults expanded), familiar form
    why: str              # what it names, or what it lacks


def judge(text: str) -> Verdict:
    """Whether the image reference `text` (a FROM's, a COPY --from's) is pinned, and why (not)."""
    try:
        ref = references.parse(text)
    except references.InvalidReference as exc:
        return Verdict(False, text, f"`{text}` is not an image reference ({exc})")
    shown = ref.familiar
    if ref.digest:
        return Verdict(True, shown, f"`{shown}` names a digest: the exact image")
    tag = ref.tag
    if references.library_name(ref) == "python":
        return _python(shown, tag)
    if tag is None or tag == references.DEFAULT_TAG:
        return Verdict(False, shown, f"`{shown}` {'has no tag, which means' if tag is None else 'is'} `latest`: "
                                     "whatever was released last")
    if not re.search(r"\d", tag):
        return Verdict(False, shown, f"`{shown}`: the tag `{tag}` names no version, so it moves with every release")
    return Verdict(True, shown, f"`{shown}` names a version")


def _python(shown: str, tag: str | None) -> Verdict:
    if tag is None or tag == references.DEFAULT_TAG:
        return Verdict(False, shown, f"`{shown}` {'has no tag, which means' if tag is None else 'is'} `latest`: the "
                                     "newest Python on the newest Debian, both of which change")
    parts = tag.split("-")
    minor = next((p for p in parts if _MINOR.match(p)), None)
    codename = next((p for p in parts if p in DEBIAN_CODENAMES or _ALPINE.match(p)), None)
    if minor and codename:
        return Verdict(True, shown, f"`{shown}` names Python {minor} and {codename}")
    missing = []
    if not minor:
        major = next((p for p in parts if p.isdigit()), None)
        missing.append(f"only Python {major} (not which {major}.x)" if major else "no Python version")
    if not codename:
        missing.append("no Debian release (a bare `-slim` moved from bookworm to trixie in 2025)"
                       if "slim" in parts else "no Debian release")
    return Verdict(False, shown, f"`{shown}` names {' and '.join(missing)}")
