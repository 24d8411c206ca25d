"""Which RUNs install Python packages, what they install, and where the installer keeps its cache.

Read from the Dockerfile with the real shell parser (graders/shell.py), over every stage the
final image is made from: its own FROM chain, and the stages it copies or mounts from
(`COPY --from=`, `RUN --mount=...,from=`), so a multi-stage build's builder stage counts.

A *dependency* install is one that installs the app's dependencies: a requirements file or lock
(`-r`), the project itself without `--no-deps` (`pip install .` resolves and installs its
dependencies), or named packages other than installers and build tools (`pip install pip==25.1`
upgrades the installer; `pip install --no-deps .` installs only the app). `uv sync`, `poetry
install`, `pdm install|sync` and `pipenv install|sync` install from their lock.

Each installer's cache directory follows its documentation: pip (`--cache-dir`, PIP_CACHE_DIR,
$XDG_CACHE_HOME/pip, ~/.cache/pip; off with --no-cache-dir or PIP_NO_CACHE_DIR), uv
(`--cache-dir`, UV_CACHE_DIR, $XDG_CACHE_HOME/uv, ~/.cache/uv; off with --no-cache/-n or
UV_NO_CACHE), poetry (POETRY_CACHE_DIR, ~/.cache/pypoetry), pdm (~/.cache/pdm), pipenv
(PIPENV_CACHE_DIR, ~/.cache/pipenv).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from . import shell
from .dockerfile import Dockerfile, Instruction, Stage, expand, key_values

PIP = re.compile(r"pip(\d+(\.\d+)?)?$")
PYTHON = re.compile(r"python(\d+(\.\d+)?)?$")
# Installing only these installs an installer or a build tool, not the app's dependencies.
TOOLS = frozenset({"pip", "setuptools", "wheel", "uv", "pip-tools", "poetry", "poetry-core", "pdm", "pdm-backend",
                   "pipenv", "build", "hatch", "hatchling", "virtualenv", "flit", "flit-core", "setuptools-scm"})
# pip/uv install options that take a value (the next word, or `=value`).
_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url", "--extra-index-url",
    "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--platform", "--python-version",
    "--implementation", "--abi", "--cache-dir", "--python", "-p", "--log", "--proxy", "--retries", "--timeout",
    "--exists-action", "--trusted-host", "--cert", "--client-cert", "--src", "--root-user-action",
    "--progress-bar", "--config-settings", "-C", "--global-option", "--upgrade-strategy", "--only-binary",
    "--no-binary", "--report", "--index-strategy", "--keyring-provider", "--resolution", "--prerelease",
    "--link-mode", "--compile-bytecode-level", "--extra", "--group", "--only-group", "--no-group", "--package",
    "--directory", "--project", "--config-file", "--python-platform", "--reinstall-package", "--upgrade-package",
    "--refresh-package", "--no-build-package", "--no-binary-package", "--exclude-newer", "--color",
})
_TRUE = frozenset({"1", "true", "yes", "on", "y"})
_OFF = frozenset({"0", "false", "no", "off", "n"})


@dataclass(frozen=True)
class Install:
    """One installer command in a RUN."""

    instr: Instruction
    stage: Stage
    tool: str                      # "pip", "uv", "poetry", "pdm", "pipenv"
    argv: tuple[str, ...]          # the installer's own words, from its subcommand on
    dependencies: bool             # it installs the app's dependencies (see the module docstring)
    cache_disabled: bool           # --no-cache-dir, UV_NO_CACHE=1...
    cache_dir: str | None          # where it caches; None when that depends on an unknown $HOME
    command: tuple[str, ...] = ()  # the whole command line, as written (after ARG/ENV expansion)

    @property
    def text(self) -> str:
        return " ".join(self.command or self.argv)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _OFF | {""}


def _option_values(words: tuple[str, ...]) -> tuple[dict[str, list[str]], list[str], set[str]]:
    """({option: [values]}, positional words, bare flags) of an installer's words."""
    values: dict[str, list[str]] = {}
    positional: list[str] = []
    flags: set[str] = set()
    i = 0
    while i < len(words):
        word, i = words[i], i + 1
        if word.startswith("--") and "=" in word:
            key, _, value = word.partition("=")
            values.setdefault(key, []).append(value)
        elif word in _VALUE_OPTIONS:
            values.setdefault(word, []).append(words[i] if i < len(words) else "")
            i += 1
        elif len(word) > 2 and word[0] == "-" and word[1] != "-" and word[:2] in _VALUE_OPTIONS:
            values.setdefault(word[:2], []).append(word[2:])     # -rrequirements.txt
        elif word.startswith("-"):
            flags.add(word)
        else:
            positional.append(word)
    return values, positional, flags


def _requirement_name(spec: str) -> str:
    return re.split(r"[\[<>=!~;@ ]", spec, maxsplit=1)[0].strip().lower().replace("_", "-")


def _is_path(spec: str) -> bool:
    return spec.startswith((".", "/", "~")) or "/" in spec or spec.endswith((".whl", ".tar.gz", ".zip"))


def _installs_dependencies(words: tuple[str, ...]) -> bool:
    """pip/uv pip `install` words: do they install the app's dependencies?"""
    values, positional, flags = _option_values(words)
    if values.get("-r") or values.get("--requirement"):
        return True
    no_deps = "--no-deps" in flags or "--no-dependencies" in flags
    editable = values.get("-e", []) + values.get("--editable", [])
    paths = [p for p in positional + editable if _is_path(p)]
    names = [p for p in positional if not _is_path(p) and _requirement_name(p) not in TOOLS]
    return bool(names) or (bool(paths) and not no_deps)


def _installer(cmd: shell.Command) -> tuple[str, tuple[str, ...]] | None:
    """(tool, its words from the subcommand on) when `cmd` runs an installer's install command."""
    words = cmd.argv
    if PYTHON.match(cmd.name):
        rest = list(words[1:])
        while rest and rest[0].startswith("-") and rest[0] != "-m":
            rest.pop(0)
        if len(rest) >= 2 and rest[0] == "-m" and rest[1] in ("pip", "uv"):
            words = (rest[1], *rest[2:])
        else:
            return None
    name = posixpath.basename(words[0]) if words else ""
    args = list(words[1:])
    while args and args[0].startswith("-"):            # global options before the subcommand
        option = args.pop(0)
        if option in _VALUE_OPTIONS and "=" not in option and args:
            args.pop(0)
    if PIP.match(name) and args[:1] == ["install"]:
        return "pip", tuple(args)
    if name == "uv" and args[:2] == ["pip", "install"]:
        return "uv", tuple(args[1:])
    if name == "uv" and args[:1] == ["sync"]:
        return "uv", tuple(args)
    if name == "poetry" and args[:1] == ["install"]:
        return "poetry", tuple(args)
    if name == "pdm" and args[:1] in (["install"], ["sync"]):
        return "pdm", tuple(args)
    if name == "pipenv" and args[:1] in (["install"], ["sync"]):
        return "pipenv", tuple(args)
    return None


def _dependencies(tool: str, words: tuple[str, ...]) -> bool:
    if tool in ("pip", "uv") and words[:1] == ("install",):
        return _installs_dependencies(words[1:])
    if tool == "poetry":
        return "--only-root" not in words
    return True   # uv sync, pdm install/sync, pipenv install/sync: from their lock


def cache_dir(tool: str, words: tuple[str, ...], env: dict[str, str], home: str | None) -> tuple[bool, str | None]:
    """(disabled, directory) of an installer's cache for its words and environment."""
    values, _positional, flags = _option_values(words[1:])
    given = (values.get("--cache-dir") or [None])[-1]
    xdg = env.get("XDG_CACHE_HOME") or (posixpath.join(home, ".cache") if home else None)
    if tool == "pip":
        disabled = "--no-cache-dir" in flags or _truthy(env.get("PIP_NO_CACHE_DIR"))
        where = given or env.get("PIP_CACHE_DIR") or (xdg and posixpath.join(xdg, "pip"))
    elif tool == "uv":
        disabled = bool({"--no-cache", "-n"} & flags) or _truthy(env.get("UV_NO_CACHE"))
        where = given or env.get("UV_CACHE_DIR") or (xdg and posixpath.join(xdg, "uv"))
    elif tool == "poetry":
        disabled = "--no-cache" in flags
        where = env.get("POETRY_CACHE_DIR") or (xdg and posixpath.join(xdg, "pypoetry"))
    elif tool == "pipenv":
        disabled = False
        where = env.get("PIPENV_CACHE_DIR") or (xdg and posixpath.join(xdg, "pipenv"))
    else:
        disabled, where = False, xdg and posixpath.join(xdg, tool)
    return disabled, posixpath.normpath(where) if where else None


def mounts(instr: Instruction) -> list[dict[str, str]]:
    """A RUN's `--mount=` options, each as a dict (type defaults to bind, as in BuildKit; the
    target under any of its three names as `target`)."""
    found = []
    for flag in instr.flags:
        if not flag.startswith("--mount="):
            continue
        options = dict(part.partition("=")[::2] for part in flag[len("--mount="):].split(","))
        options.setdefault("type", "bind")
        target = options.get("target") or options.get("dst") or options.get("destination")
        if target:
            options["target"] = target
        found.append(options)
    return found


def used_stages(df: Dockerfile) -> list[Stage]:
    """The stages the final image is made from: its FROM chain and, recursively, the stages its
    instructions copy or mount from; in Dockerfile order."""
    wanted: dict[int, Stage] = {}
    todo = [df.final]
    while todo:
        for stage in df.chain(todo.pop()):
            if stage.index in wanted:
                continue
            wanted[stage.index] = stage
            for instr in stage.instructions:
                sources = [instr.flag("from")] + [m.get("from") for m in mounts(instr)]
                todo += [s for ref in sources if ref and (s := df.stage_named(ref)) is not None]
    return [wanted[i] for i in sorted(wanted)]


def user_at(df: Dockerfile, stage: Stage, target: Instruction) -> str:
    """The USER a RUN of `stage` runs as ("" for root, the base image's default)."""
    user = ""
    for s in df.chain(stage):
        for instr in s.instructions:
            if instr is target:
                return user
            if instr.cmd == "USER" and instr.args:
                user = expand(instr.args[0], df.variables_at(instr)).strip()
    return user


def is_root(user: str) -> bool:
    return user.split(":", 1)[0] in ("", "root", "0")


def installs(df: Dockerfile) -> list[Install]:
    """Every installer command of the RUNs the final image is made from, in Dockerfile order."""
    found = []
    final_chain = {s.index for s in df.chain()}
    for stage in used_stages(df):
        for instr in stage.instructions:
            if instr.cmd != "RUN":
                continue
            variables = df.variables_at(instr) if stage.index in final_chain else _stage_variables(df, stage, instr)
            root = is_root(user_at(df, stage, instr))
            for cmd in df.commands(instr):
                match = _installer(cmd)
                if match is None:
                    continue
                tool, words = match
                env = {**variables, **cmd.env}
                home = env.get("HOME") or ("/root" if root else None)
                disabled, where = cache_dir(tool, words, env, home)
                found.append(Install(instr, stage, tool, words, _dependencies(tool, words), disabled, where, cmd.argv))
    return found


def _stage_variables(df: Dockerfile, stage: Stage, target: Instruction) -> dict[str, str]:
    """The ENV values in force at `target` in a stage other than the final one (variables_at
    follows the final chain only); what matters here is ENV (PIP_NO_CACHE_DIR, UV_CACHE_DIR, HOME)."""
    env: dict[str, str] = {}
    for s in df.chain(stage):
        for instr in s.instructions:
            if instr is target:
                return env
            if instr.cmd == "ENV":
                env.update((key, expand(value or "", env)) for key, value in key_values(instr))
    return env


def dependency_installs(df: Dockerfile) -> list[Install]:
    return [i for i in installs(df) if i.dependencies]


def normalised(text: str) -> str:
    """An instruction's text as BuildKit's progress shows it: continuation lines joined, blanks collapsed."""
    return " ".join(text.replace("\\\n", " ").split())
