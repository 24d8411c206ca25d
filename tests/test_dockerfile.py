"""Reading Dockerfiles with BuildKit's parser: what the static checks rely on."""

from __future__ import annotations

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
