"""Which installers and build tools the build fetches, and whether each is pinned to a version.
(pinned-build-tools)

Read from the RUN commands (graders/shell.py, through graders/installs.py) of the stages the final
image is made from, and from their COPY --from / RUN --mount=from image references:

- `pip install [-U] pip|uv|pip-tools|setuptools|wheel|poetry|pipx|...` (pip, pip3, python -m pip,
  uv pip): each such name must carry an exact version (`uv==0.9.5`; `===` too); `--upgrade pip`,
  `uv>=0.9` or `poetry` alone fetch whatever is newest that day;
- `pipx install NAME` and `uv tool install NAME`: the same rule;
- the uv/ruff standalone installer (`curl -LsSf https://astral.sh/uv/install.sh | sh`): the URL
  must name a version (`https://astral.sh/uv/0.9.5/install.sh`);
- `COPY --from=IMAGE` and `RUN --mount=from=IMAGE` naming an image, not a stage
  (`ghcr.io/astral-sh/uv:0.9.5`): the image must be pinned as graders/image_pins.py says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from . import image_pins, installs, locks
from .dockerfile import Dockerfile, Instruction, expand, unquote

# The installers and build tools whose version a build should not leave to the day.
BUILD_TOOLS = frozenset({"pip", "uv", "pip-tools", "setuptools", "wheel", "poetry", "poetry-core", "pipx", "pdm",
                         "pipenv", "hatch", "hatchling", "virtualenv", "build", "flit", "flit-core", "setuptools-scm"})
_INSTALLER_URL = re.compile(r"https?://astral\.sh/(?P<tool>uv|ruff)(?P<version>/\d[^/]*)?/install\.sh")


@dataclass(frozen=True)
class Fetched:
    instr: Instruction
    tool: str          # "pip", "uv", "ghcr.io/astral-sh/uv"...
    written: str       # as the build names it: "pip", "uv==0.9.5", "ghcr.io/astral-sh/uv:latest"
    pinned: bool
    why: str = ""      # for an image: what it names or lacks
    command: str = ""  # the command or instruction that fetches it, as written

    def describe(self) -> str:
        if self.pinned:
            return f"`{self.written}` (line {self.instr.line})"
        return f"line {self.instr.line} `{self.command}`: {self.why}"


def exact(spec: str) -> bool:
    """`name==1.2.3` / `name===1.2.3` (no wildcard), or a direct URL."""
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        return False
    if requirement.url:
        return True
    specs = list(requirement.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version


def _named_tools(instr: Instruction, specs: list[str], command: str, every: bool = False) -> list[Fetched]:
    """The build tools among requirement specs (`every`: all of them, for pipx / uv tool)."""
    found = []
    for spec in specs:
        name = locks.requirement_name(spec)
        if name and (every or name in BUILD_TOOLS):
            pinned = exact(spec)
            why = "" if pinned else (f"`{spec}` has no version" if spec == name else f"`{spec}` allows more than one version")
            found.append(Fetched(instr, name, spec, pinned, why, command))
    return found


def _from_images(df: Dockerfile, instr: Instruction) -> list[Fetched]:
    sources = [instr.flag("from")] if instr.cmd in ("COPY", "ADD") else []
    sources += [m.get("from") for m in installs.mounts(instr)] if instr.cmd == "RUN" else []
    found = []
    for raw in filter(None, sources):
        ref = unquote(expand(raw, df.variables_at(instr)))
        if df.stage_named(ref) is not None or ref.lower() in ("scratch", ""):
            continue   # an earlier stage, judged by pinned-base-image where it has a FROM
        verdict = image_pins.judge(ref)
        found.append(Fetched(instr, verdict.reference, ref, verdict.pinned, verdict.why, " ".join(instr.original.split())))
    return found


def fetched(df: Dockerfile) -> list[Fetched]:
    """Every installer or build tool the build fetches, in Dockerfile order."""
    found: list[Fetched] = []
    for install in installs.installs(df):
        if install.tool in ("pip", "uv") and install.argv[:1] == ("install",):
            _values, positional, _flags = installs._option_values(install.argv[1:])
            found += _named_tools(install.instr, positional, install.text)
    for stage in installs.used_stages(df):
        for instr in stage.instructions:
            found += _from_images(df, instr)
            if instr.cmd != "RUN":
                continue
            for cmd in df.commands(instr):
                if cmd.name == "pipx" and cmd.args[:1] == ("install",):
                    words = cmd.args[1:]
                elif cmd.name == "uv" and cmd.args[:2] == ("tool", "install"):
                    words = cmd.args[2:]
                else:
                    words = ()
                    for word in cmd.argv:
                        if match := _INSTALLER_URL.search(word):
                            found.append(Fetched(instr, match.group("tool"), word, bool(match.group("version")),
                                                 "" if match.group("version") else f"`{word}` installs the newest "
                                                 f"{match.group('tool')}", " ".join(cmd.argv)))
                _values, positional, _flags = installs._option_values(tuple(words))
                found += _named_tools(instr, positional, " ".join(cmd.argv), every=True)
    return sorted(found, key=lambda f: f.instr.line)
