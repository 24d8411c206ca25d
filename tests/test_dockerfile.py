"""Reading Dockerfiles with BuildKit's parser: what the static checks rely on."""

from __future__ import annotations

import pytest

from graders import shell
from graders.dockerfile import expand, key_values, parse_text

MULTI_STAGE = """\
# syntax=docker/dockerfile:1
ARG PYTHON_IMAGE=python:3.13-slim
FROM ${PYTHON_IMAGE} AS build
RUN --mount=type=cache,target=/root/.cache \\
    pip install \\
      six
RUN <<EOT
echo hi
EOT
FROM build AS test
FROM python:3.13-slim-trixie
ENV A=1 B="two words"
USER 10001
CMD ["python", "-m", "x"]
"""


def test_stages_bases_and_arg_templated_from():
    df = parse_text(MULTI_STAGE)
    assert [s.name for s in df.stages] == ["build", "test", None]
    assert df.stages[0].base == "python:3.13-slim"
    assert df.external_base(df.stages[1]) == ("python:3.13-slim", 3)
    assert df.external_base() == ("python:3.13-slim-trixie", 11)


def test_continuations_heredocs_and_flags():
    df = parse_text(MULTI_STAGE)
    run = df.stages[0].instructions[0]
    assert (run.line, run.end_line) == (4, 6)
    assert run.flag("mount") == "type=cache,target=/root/.cache"
    heredoc = df.stages[0].instructions[1]
    assert "echo hi" in heredoc.shell_text


def test_env_pairs_are_unquoted_and_arg_without_default_is_none():
    df = parse_text("FROM x\nENV A=1 B=\"two words\"\nARG TOKEN\nARG N=3\n")
    env, arg1, arg2 = df.final.instructions
    assert key_values(env) == [("A", "1"), ("B", "two words")]
    assert key_values(arg1) == [("TOKEN", None)]
    assert key_values(arg2) == [("N", "3")]


def test_expand_defaults_and_alternatives():
    assert expand("${A:-x}/${B:+y}/$C", {"C": "c"}) == "x//c"
    assert expand("${A:-x}/${B:+y}", {"A": "a", "B": "b"}) == "a/y"


def test_chain_follows_stage_names():
    df = parse_text("FROM python:3.13-slim AS base\nWORKDIR /app\nFROM base\nUSER 1\n")
    assert [s.index for s in df.chain()] == [0, 1]
    assert [i.cmd for i in df.final_instructions()] == ["WORKDIR", "USER"]
    assert df.variables_at() == {}


# --- the simple commands a RUN runs (graders/shell.py) ------------------------------------------

def argvs(script: shell.Script) -> list[list[str]]:
    return [list(c.argv) for c in script]


def run_commands(dockerfile_body: str) -> shell.Script:
    """The commands of the last RUN of `FROM x` + `dockerfile_body`."""
    df = parse_text("FROM python:3.13-slim\n" + dockerfile_body)
    return df.commands(df.final.of("RUN")[-1])


def test_lists_pipes_subshells_groups_and_bodies_in_order():
    script = shell.parse("set -eux; apt-get update && apt-get -y upgrade | tee log || true; "
                         "(cd /x && make); { a; b; }; if [ -f y ]; then c; else d; fi; "
                         "for i in 1 2; do e \"$i\"; done; while false; do f; done; echo \"$(g --h)\"")
    assert argvs(script) == [["set", "-eux"], ["apt-get", "update"], ["apt-get", "-y", "upgrade"], ["tee", "log"],
                             ["true"], ["cd", "/x"], ["make"], ["a"], ["b"], ["[", "-f", "y", "]"], ["c"], ["d"],
                             ["e", "$i"], ["false"], ["f"], ["g", "--h"], ["echo", "$(g --h)"]]
    assert script.reading == shell.BASHLEX and not script.fallback
    tee = script.commands[3]
    assert tee.piped_from == ("apt-get", "-y", "upgrade")


def test_quotes_are_removed_and_leading_assignments_kept():
    script = shell.parse("DEBIAN_FRONTEND=noninteractive LANG='C.UTF-8' apt-get install -y \"a b\" c\\ d x=y")
    (command,) = script.commands
    assert command.argv == ("apt-get", "install", "-y", "a b", "c d", "x=y")
    assert command.assignments == ("DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8")
    assert command.env["DEBIAN_FRONTEND"] == "noninteractive"
    assert command.name == "apt-get"
    assert shell.parse("/usr/bin/apt-get update").commands[0].name == "apt-get"


@pytest.mark.parametrize("text, expected, wrappers", [
    pytest.param("env DEBIAN_FRONTEND=noninteractive apt-get -qy upgrade", ["apt-get", "-qy", "upgrade"], ("env",),
                 id="env"),
    pytest.param("env -i -u HOME PATH=/usr/bin apt-get update", ["apt-get", "update"], ("env",), id="env-i-u"),
    pytest.param("exec gunicorn app", ["gunicorn", "app"], ("exec",), id="exec"),
    pytest.param("command apt-get update", ["apt-get", "update"], ("command",), id="command"),
    pytest.param("nohup apt-get update", ["apt-get", "update"], ("nohup",), id="nohup"),
    pytest.param("time -p apt-get update", ["apt-get", "update"], ("time",), id="time"),
    pytest.param("nice -n 10 apt-get update", ["apt-get", "update"], ("nice",), id="nice-n"),
    pytest.param("nice -5 apt-get update", ["apt-get", "update"], ("nice",), id="nice-number"),
    pytest.param("sudo -E -u root DEBIAN_FRONTEND=x apt-get update", ["apt-get", "update"], ("sudo",), id="sudo"),
    pytest.param("timeout -s KILL --kill-after=5 60 apt-get update", ["apt-get", "update"], ("timeout",),
                 id="timeout"),
    pytest.param("nice -n 5 nohup env A=1 apt-get update", ["apt-get", "update"], ("nice", "nohup", "env"),
                 id="stacked"),
    pytest.param("sh -c 'apt-get update'", ["apt-get", "update"], ("sh -c",), id="sh-c"),
    pytest.param("/bin/bash -ec \"apt-get update\"", ["apt-get", "update"], ("bash -c",), id="bash-ec"),
    pytest.param("bash -o pipefail -xc 'apt-get update' name arg", ["apt-get", "update"], ("bash -c",),
                 id="bash-o-cluster"),
    pytest.param("sudo sh -c 'apt-get update'", ["apt-get", "update"], ("sudo", "sh -c"), id="sudo-sh-c"),
])
def test_wrappers_and_nested_shells_are_looked_through(text, expected, wrappers):
    (command,) = shell.parse(text).commands
    assert list(command.argv) == expected
    assert command.wrappers == wrappers


def test_a_wrapper_keeps_its_assignments_and_queries_are_not_runs():
    (command,) = shell.parse("X=1 env DEBIAN_FRONTEND=noninteractive apt-get upgrade").commands
    assert command.assignments == ("X=1", "DEBIAN_FRONTEND=noninteractive")
    assert argvs(shell.parse("command -v apt-get")) == [["command", "-v", "apt-get"]]
    assert argvs(shell.parse("env")) == [["env"]]
    assert argvs(shell.parse("bash script.sh")) == [["bash", "script.sh"]]  # a file, not a script we can read
    (inner,) = shell.parse("DEBIAN_FRONTEND=noninteractive sh -c 'apt-get -y upgrade'").commands
    assert inner.env == {"DEBIAN_FRONTEND": "noninteractive"}


def test_shell_form_continuations_comments_and_set_prefix():
    script = run_commands("RUN set -e; \\\n    apt-get update \\\n    # the lists\n    && rm -rf /var/lib/apt/lists/*\n")
    assert argvs(script) == [["set", "-e"], ["apt-get", "update"], ["rm", "-rf", "/var/lib/apt/lists/*"]]


def test_exec_form_is_the_argv_and_a_shell_c_script_is_parsed():
    assert argvs(run_commands('RUN ["apt-get", "update"]\n')) == [["apt-get", "update"]]
    assert run_commands('RUN ["apt-get", "update"]\n').reading == shell.EXEC_FORM
    script = run_commands('RUN ["/bin/sh", "-c", "apt-get update && apt-get -y upgrade && rm -rf /var/lib/apt/lists/*"]\n')
    assert argvs(script) == [["apt-get", "update"], ["apt-get", "-y", "upgrade"], ["rm", "-rf", "/var/lib/apt/lists/*"]]
    assert script.reading == shell.BASHLEX
    assert argvs(run_commands('RUN ["bash", "-ec", "apt-get update"]\n')) == [["apt-get", "update"]]


def test_variables_in_force_are_expanded_and_unknown_ones_kept():
    script = run_commands("ARG FLAGS=-y\nENV LISTS=/var/lib/apt/lists\n"
                          "RUN apt-get $FLAGS upgrade && rm -rf ${LISTS}/* && for f in a; do echo $f $HOME; done\n")
    assert argvs(script) == [["apt-get", "-y", "upgrade"], ["rm", "-rf", "/var/lib/apt/lists/*"],
                             ["echo", "$f", "$HOME"]]
    # exec form: no shell, no expansion of the argv itself; a script handed to a shell is expanded
    assert argvs(run_commands('ARG F=-y\nRUN ["apt-get", "$F", "upgrade"]\n')) == [["apt-get", "$F", "upgrade"]]
    assert argvs(run_commands('ARG F=-y\nRUN ["sh", "-c", "apt-get $F upgrade"]\n')) == [["apt-get", "-y", "upgrade"]]


def test_heredoc_run_bodies_are_shell_scripts():
    sole = run_commands("RUN <<EOF\nset -eu\napt-get update\napt-get -y upgrade\nEOF\n")
    assert argvs(sole) == [["set", "-eu"], ["apt-get", "update"], ["apt-get", "-y", "upgrade"]]
    dashed = run_commands("RUN <<-EOT\n\tapt-get update\n\tEOT\n")
    assert argvs(dashed) == [["apt-get", "update"]]
    for line in ("RUN bash <<EOF", "RUN sh -e <<'EOF'", "RUN bash -s <<\"EOF\""):
        script = run_commands(f"{line}\napt-get update\nEOF\n")
        assert argvs(script) == [["apt-get", "update"]], line
        assert script.commands[0].wrappers[-1].endswith("<<")
    shebang = run_commands("RUN <<EOF\n#!/bin/bash -e\napt-get update\nEOF\n")
    assert argvs(shebang) == [["apt-get", "update"]]


def test_heredocs_that_feed_anything_else_are_data():
    assert argvs(run_commands("RUN python3 <<EOF\nimport os\nos.system('apt-get update')\nEOF\n")) == [["python3"]]
    assert argvs(run_commands("RUN cat <<EOF > /etc/app.conf && echo done\n[[ not a command ]]\nEOF\n")) == [
        ["cat"], ["echo", "done"]]
    assert argvs(run_commands("RUN <<EOF\n#!/usr/bin/env python3\nimport os\nEOF\n")) == [["python3"]]
    assert argvs(run_commands("RUN <<A cat > /x; <<B bash\napt-get nope\nA\napt-get update\nB\n")) == [
        ["cat"], ["apt-get", "update"]]
    assert argvs(shell.parse("cat <<'EOF' > /f\n$(not run)\nEOF\necho after")) == [["cat"], ["echo", "after"]]


@pytest.mark.parametrize("text, expected", [
    pytest.param('[[ -f x && -d y ]] && apt-get update', [["[[", "-f", "x", "-d", "y", "]]"], ["apt-get", "update"]],
                 id="double-brackets"),
    pytest.param('case "$(uname -m)" in\n  x86_64|amd64) A=x64 ;;\n  *) echo other; exit 1 ;;\nesac\napt-get update',
                 [["uname", "-m"], [], ["echo", "other"], ["exit", "1"], ["apt-get", "update"]], id="case"),
    pytest.param('echo $(( 1 + 2 )); apt-get -y upgrade', [["echo", "$(( 1 + 2 ))"], ["apt-get", "-y", "upgrade"]],
                 id="arithmetic-expansion"),
    pytest.param('(( n = 2 )) && apt-get update', [["apt-get", "update"]], id="arithmetic-command"),
    pytest.param('for ((i = 0; i < 2; i++)); do apt-get update; done', [["apt-get", "update"]], id="c-style-for"),
    pytest.param('time apt-get update', [["apt-get", "update"]], id="time"),
    pytest.param("a=(1 2); echo ${a[@]}", [[], ["echo", "${a[@]}"]], id="array"),
    pytest.param("if [[ $(id -u) == 0 ]]; then\n  cat <<EOF > /f\ncase\nEOF\n  rm -rf /var/lib/apt/lists/*\nfi",
                 [["id", "-u"], ["[[", "$(id -u)", "==", "0", "]]"], ["cat"], ["rm", "-rf", "/var/lib/apt/lists/*"]],
                 id="heredoc-inside"),
])
def test_what_bashlex_rejects_is_read_by_the_fallback_tokenizer(text, expected):
    script = shell.parse(text)
    assert script.reading == shell.FALLBACK and script.fallback
    assert script.rejected and "bashlex could not parse" in script.describe()
    assert argvs(script) == expected


def test_the_fallback_is_per_statement_and_still_looks_through_wrappers():
    script = shell.parse("apt-get update && (cd /x; make)\n[[ -n x ]] && env A=1 sh -c 'apt-get -y upgrade'\necho ok")
    assert argvs(script) == [["apt-get", "update"], ["cd", "/x"], ["make"], ["[[", "-n", "x", "]]"],
                             ["apt-get", "-y", "upgrade"], ["echo", "ok"]]
    assert len(script.rejected) == 1  # only the [[ statement
    assert script.commands[4].wrappers == ("env", "sh -c") and script.commands[4].assignments == ("A=1",)


def test_yes_pipe_is_recorded_in_both_readings():
    assert shell.parse("yes | apt-get upgrade").commands[1].piped_from == ("yes",)
    fallback = shell.parse("[[ 1 ]]; yes | apt-get upgrade")
    assert fallback.fallback and fallback.commands[-1].piped_from == ("yes",)


# --- the working directory in force -------------------------------------------------------------

def test_workdirs_join_relative_paths_expand_variables_and_follow_the_stage_chain():
    df = parse_text('FROM python:3.13-slim AS base\nARG HOME_DIR=/srv\nWORKDIR $HOME_DIR\nWORKDIR app/../code\n'
                    'FROM base\nCOPY . .\nWORKDIR "/my app"\nWORKDIR sub\nRUN true\n')
    by_instruction = [(i.cmd, w) for i, w in df.workdirs()]
    assert by_instruction == [("ARG", "/"), ("WORKDIR", "/"), ("WORKDIR", "/srv"), ("COPY", "/srv/code"),
                              ("WORKDIR", "/srv/code"), ("WORKDIR", "/my app"), ("RUN", "/my app/sub")]
    assert df.workdir_at() == "/my app/sub"
    copy = df.final.of("COPY")[0]
    assert df.workdir_at(copy) == "/srv/code"
    assert df.path_at(copy, ".") == "/srv/code"
    assert df.path_at(copy, "../data/") == "/srv/data"


def test_workdir_starts_at_root_and_ends_at_the_last_workdir():
    assert parse_text("FROM python:3.13-slim\nRUN true\n").workdir_at() == "/"
    assert parse_text("FROM python:3.13-slim\nWORKDIR /app\n").workdir_at() == "/app"
    other = parse_text("FROM python:3.13-slim AS a\nWORKDIR /a\nFROM python:3.13-slim\nCOPY --from=a /a /b\n")
    assert other.workdir_at() == "/"  # a stage not in the final image's chain does not count
