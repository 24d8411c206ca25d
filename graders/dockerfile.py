"""Reading a Dockerfile with BuildKit's own parser (the `dockerfile` package wraps it).

Handles what real Dockerfiles use: multi-stage builds, ARG before FROM, line continuations,
heredocs, JSON and shell forms. Variables are expanded the way the builder would for the
values the Dockerfile itself declares (ARG defaults, ENV), which is what static checks need.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile as _parser

from . import shell


class DockerfileError(Exception):
    """The Dockerfile cannot be read or parsed."""


@dataclass(frozen=True)
class Instruction:
    cmd: str                      # upper-case instruction, e.g. "RUN"
    flags: tuple[str, ...]        # e.g. ("--chown=app:app",)
    args: tuple[str, ...]         # the parser's value tuple
    json: bool                    # exec (JSON) form
    line: int                     # first line, 1-based
    end_line: int
    original: str
    heredocs: tuple[str, ...] = ()  # heredoc bodies, in order
    sub_cmd: str | None = None      # for ONBUILD

    def flag(self, name: str) -> str | None:
        """The value of `--name=value` (or "" for a bare `--name`), None when absent."""
        for f in self.flags:
            key, _, value = f.partition("=")
            if key == f"--{name}":
                return value
        return None

    @property
    def shell_text(self) -> str:
        """For RUN/CMD/ENTRYPOINT: the command as one string (heredoc bodies included)."""
        if self.json:
            return shlex.join(self.args)
        text = " ".join(self.args)
        if self.heredocs:
            text = "\n".join([text, *self.heredocs])
        return text

    @property
    def script(self) -> str | None:
        """For shell-form RUN/CMD/ENTRYPOINT: the script BuildKit hands to the shell (None for the
        exec form). As dockerfile2llb's dispatchRun builds it: a RUN that is one heredoc and nothing
        else (`RUN <<EOF`) runs the body, or, when the body starts with `#!`, runs it as a file with
        that interpreter (written here as `interpreter <<'EOF'`, so that a non-shell body stays
        unparsed); otherwise the command line, then each heredoc body and its delimiter."""
        if self.json:
            return None
        line = " ".join(self.args)
        if not self.heredocs:
            return line
        names = [m.group("name") for m in _HEREDOC.finditer(line)]
        sole = _HEREDOC.fullmatch(line.strip())
        if sole:
            body = self.heredocs[0]
            if sole.group("dash"):
                body = "".join(l.lstrip("\t") for l in body.splitlines(keepends=True))
            if not body.startswith("#!"):
                return body
            interpreter, _, rest = body.partition("\n")
            return f"{interpreter[2:].strip()} <<'{sole.group('name')}'\n{rest}{sole.group('name')}\n"
        return "".join([line, *(f"\n{body}{name}" for body, name in zip(self.heredocs, names))]) + "\n"


@dataclass
class Stage:
    index: int
    name: str | None
    base_raw: str          # as written, e.g. "python:${PY}-slim"
    base: str              # with the Dockerfile's own ARG defaults expanded
    from_line: int
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, *cmds: str) -> list[Instruction]:
        return [i for i in self.instructions if i.cmd in cmds]

    def last(self, cmd: str) -> Instruction | None:
        found = self.of(cmd)
        return found[-1] if found else None


# A heredoc redirection on a RUN line: <<EOF, <<-EOF, << "EOF", <<'EOF' (not the here-string <<<).
_HEREDOC = re.compile(r"""(?<!<)<<(?!<)(?P<dash>-?)\s*(?P<quote>["']?)(?P<name>[A-Za-z0-9_.-]+)(?P=quote)""")

_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")


def expand(text: str, variables: dict[str, str], keep_unknown: bool = False) -> str:
    """Expand $VAR, ${VAR}, ${VAR:-default} and ${VAR:+alt} like the Dockerfile frontend.
    `keep_unknown`: leave a variable `variables` does not define as written (for a shell script,
    whose shell may know it: a loop variable, $HOME...)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("braced") or match.group("plain")
        if keep_unknown and name not in variables:
            return match.group(0)
        value = variables.get(name)
        op = match.group("op")
        if op and op.endswith("-"):
            return value if value else match.group("word")
        if op and op.endswith("+"):
            return match.group("word") if value else ""
        return value if value is not None else ""

    return _VAR.sub(replace, text)


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def key_values(instr: Instruction) -> list[tuple[str, str | None]]:
    """ENV/ARG/LABEL as (key, value) pairs; value None for `ARG NAME` without a default."""
    if instr.cmd == "ARG":
        pairs = []
        for arg in instr.args:
            key, eq, value = arg.partition("=")
            pairs.append((key, unquote(value) if eq else None))
        return pairs
    args = list(instr.args)
    return [(args[i], unquote(args[i + 1]) if i + 1 < len(args) else "") for i in range(0, len(args), 2)]


@dataclass
class Dockerfile:
    path: Path
    text: str
    instructions: list[Instruction]
    global_args: dict[str, str]
    stages: list[Stage]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @property
    def final(self) -> Stage:
        if not self.stages:
            raise DockerfileError(f"{self.path.name} has no FROM instruction")
        return self.stages[-1]

    def stage_named(self, ref: str) -> Stage | None:
        for stage in self.stages:
            if stage.name and stage.name.lower() == ref.lower():
                return stage
        if ref.isdigit() and int(ref) < len(self.stages):
            return self.stages[int(ref)]
        return None

    def chain(self, stage: Stage | None = None) -> list[Stage]:
        """The stage and the stages it is built FROM, oldest first."""
        stage = stage or self.final
        chain = [stage]
        seen = {stage.index}
        while (parent := self.stage_named(chain[0].base)) is not None and parent.index not in seen:
            chain.insert(0, parent)
            seen.add(parent.index)
        return chain

    def final_instructions(self) -> list[Instruction]:
        """What the final image inherits from this Dockerfile: its stage chain's instructions."""
        return [i for stage in self.chain() for i in stage.instructions]

    def external_base(self, stage: Stage | None = None) -> tuple[str, int]:
        """The image reference the final stage ultimately starts from, and its FROM line."""
        root = self.chain(stage)[0]
        return root.base, root.from_line

    def commands(self, instr: Instruction) -> shell.Script:
        """The simple commands a RUN (or CMD/ENTRYPOINT) runs, read with graders/shell.py: the
        shell form's script (heredocs included, see `Instruction.script`), or the exec form's argv
        (a script it hands to a shell, `["/bin/sh", "-c", "..."]`, parsed too). The ARG and ENV
        values in force are expanded first: they are in the shell's environment."""
        variables = self.variables_at(instr)

        def with_variables(text: str) -> str:
            return expand(text, variables, keep_unknown=True)

        script = instr.script
        if script is None:
            return shell.parse_argv(instr.args, expand=with_variables)
        return shell.parse(script, expand=with_variables)

    def workdirs(self) -> list[tuple[Instruction, str]]:
        """For each instruction of the final image's chain, the working directory in force when it
        runs (for a WORKDIR: the directory before it). A WORKDIR's path is expanded (ARG/ENV),
        unquoted, joined to the directory before when relative, and normalised; the chain starts
        from `/`, as the official python image sets no WORKDIR."""
        current, found = "/", []
        for instr in self.final_instructions():
            found.append((instr, current))
            current = self.path_at(instr, " ".join(instr.args), current) if instr.cmd == "WORKDIR" else current
        return found

    def workdir_at(self, target: Instruction | None = None) -> str:
        """The working directory in force at `target`; by default, the one the image ends with."""
        entries = self.workdirs()
        for instr, workdir in entries:
            if instr is target:
                return workdir
        if not entries:
            return "/"
        last, before = entries[-1]
        return self.path_at(last, " ".join(last.args), before) if last.cmd == "WORKDIR" else before

    def path_at(self, instr: Instruction, path: str, workdir: str | None = None) -> str:
        """`path` as written in `instr` (variables, quotes), as an absolute normalised path."""
        raw = unquote(expand(path, self.variables_at(instr)))
        return posixpath.normpath(posixpath.join(self.workdir_at(instr) if workdir is None else workdir, raw or "."))

    def variables_at(self, target: Instruction | None = None) -> dict[str, str]:
        """ARG defaults and ENV values in force at `target` (default: the end of the final stage).

        ENV is inherited by a stage built FROM another; ARG is not (as in BuildKit).
        """
        env: dict[str, str] = {}
        for stage in self.chain():
            args: dict[str, str] = {}
            for i in stage.instructions:
                if i is target:
                    return {**args, **env}
                if i.cmd == "ARG":
                    for key, value in key_values(i):
                        if value is not None:
                            args[key] = expand(value, {**args, **env})
                        elif key in self.global_args:
                            args[key] = self.global_args[key]
                elif i.cmd == "ENV":
                    for key, value in key_values(i):
                        env[key] = expand(value or "", {**args, **env})
        return {**args, **env}


def _convert(cmd: _parser.Command) -> Instruction:
    return Instruction(
        cmd=cmd.cmd.upper(),
        flags=tuple(cmd.flags),
        args=tuple(cmd.value),
        json=cmd.json,
        line=cmd.start_line,
        end_line=cmd.end_line,
        original=cmd.original,
        heredocs=tuple(h.content for h in cmd.heredocs),
        sub_cmd=cmd.sub_cmd,
    )


def parse_text(text: str, path: Path = Path("Dockerfile")) -> Dockerfile:
    try:
        commands = _parser.parse_string(text)
    except _parser.GoParseError as exc:
        raise DockerfileError(f"{path.name} cannot be parsed: {exc}") from exc
    instructions = [_convert(c) for c in commands]
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instr in instructions:
        if instr.cmd == "FROM":
            words = list(instr.args)
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            raw = words[0] if words else ""
            stages.append(Stage(len(stages), name, raw, expand(raw, global_args), instr.line))
        elif not stages:
            if instr.cmd == "ARG":
                for key, value in key_values(instr):
                    global_args[key] = expand(value or "", global_args)
        else:
            stages[-1].instructions.append(instr)
    return Dockerfile(path, text, instructions, global_args, stages)


def parse(path: Path) -> Dockerfile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DockerfileError(f"no Dockerfile at {path}") from None
    except UnicodeDecodeError as exc:
        raise DockerfileError(f"{path} is not UTF-8 text: {exc}") from None
    return parse_text(text, path)
