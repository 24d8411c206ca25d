"""The static rules of stages 1-2 on parsed Dockerfiles (no engine): the cases a fixture cannot
build deterministically or offline, and the classes of input each rule must get right.

- os-security-updates: a missing `-y` builds on a day with no pending update and aborts on the
  next, so no fixture can show it reliably: the rule is tested here on every accepted form.
- copy-not-add: `ADD <git URL>` needs the network to build: the DL3020 filter is tested here on
  hadolint's real output.
- absolute-workdir: where COPY puts files, by Docker's rules, against a small build context.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import lint
from graders.checks.stage1 import add_source_kind, app_copied_into_root, local_add_lines
from graders.checks.stage2 import APT_PROMPTS, security_updates
from graders.dockerfile import parse_text

FROM = "FROM python:3.13-slim\n"
CLEAN = "rm -rf /var/lib/apt/lists/*"


def updates(body: str):
    return security_updates(parse_text(FROM + body))


# --- os-security-updates -------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    pytest.param(f"RUN apt-get update && apt-get -y upgrade && {CLEAN}\n", id="shell-y"),
    pytest.param(f'RUN ["/bin/sh", "-c", "apt-get update && apt-get -y upgrade && {CLEAN}"]\n', id="json-sh-c"),
    pytest.param(f"RUN <<EOF\nset -eux\napt-get update\napt-get upgrade --yes\n{CLEAN}\nEOF\n", id="heredoc"),
    pytest.param(f"RUN bash <<'EOF'\napt-get update\napt-get --assume-yes dist-upgrade\n{CLEAN}\nEOF\n",
                 id="bash-heredoc"),
    pytest.param(f"RUN bash -ec 'apt-get update; apt-get full-upgrade -yq; {CLEAN}'\n", id="bash-ec"),
    pytest.param(f"RUN apt-get update && env DEBIAN_FRONTEND=noninteractive apt-get -qy upgrade && {CLEAN}\n",
                 id="env-qy"),
    pytest.param(f"RUN apt-get update && apt-get -qq upgrade && {CLEAN}\n", id="qq"),
    pytest.param(f"RUN apt-get update && apt-get -q -q upgrade && {CLEAN}\n", id="q-q"),
    pytest.param(f"RUN apt-get update && apt-get -q=2 upgrade && {CLEAN}\n", id="q=2"),
    pytest.param(f"RUN apt-get update && apt-get --quiet=2 upgrade && {CLEAN}\n", id="quiet=2"),
    pytest.param(f"RUN apt-get update && apt-get -o APT::Get::Assume-Yes=true upgrade && {CLEAN}\n", id="o-true"),
    pytest.param(f"RUN apt-get update && apt-get -oAPT::Get::Assume-Yes=1 upgrade && {CLEAN}\n", id="o-1-attached"),
    pytest.param(f"RUN apt-get update && yes | apt-get upgrade && {CLEAN}\n", id="yes-pipe"),
    pytest.param(f"RUN apt update && apt -y full-upgrade && {CLEAN}\n", id="apt"),
    pytest.param("RUN apt-get update && apt-get -y upgrade && apt-get distclean\n", id="distclean"),
    pytest.param("RUN apt-get update && apt-get -y upgrade && find /var/lib/apt/lists -type f -delete\n",
                 id="find-delete"),
    pytest.param("RUN apt-get update && apt-get -y upgrade && rm -r /var/lib/apt/lists\n", id="rm-directory"),
    pytest.param("RUN --mount=type=cache,target=/var/lib/apt,sharing=locked --mount=type=cache,target=/var/cache/apt "
                 "apt-get update && apt-get -y upgrade\n", id="cache-mount"),
    pytest.param(f"ARG APT_FLAGS=-y\nRUN apt-get update && apt-get $APT_FLAGS upgrade && {CLEAN}\n", id="arg-flags"),
    pytest.param(f"RUN set -e; if [[ -d /var/lib/apt ]]; then apt-get update && apt-get -y upgrade; fi; {CLEAN}\n",
                 id="fallback-reading"),
])
def test_accepted_forms_pass(body):
    outcome = updates(body)
    assert outcome.status == "pass", outcome.message
    assert outcome.line == body.count("\n", 0, body.index("RUN")) + 2


def test_the_fallback_reading_is_said():
    outcome = updates(f"RUN [[ -d /etc/apt ]] && apt-get update && apt-get -y upgrade && {CLEAN}\n")
    assert outcome.status == "pass" and "conservative tokenizer" in outcome.message


@pytest.mark.parametrize("body, tool", [
    pytest.param(f"RUN apt-get update && apt-get upgrade && {CLEAN}\n", "apt-get", id="no-y"),
    pytest.param(f"RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get dist-upgrade && {CLEAN}\n",
                 "apt-get", id="frontend-is-not-y"),
    pytest.param(f"RUN apt-get update && apt-get -q upgrade && {CLEAN}\n", "apt-get", id="quiet-1"),
    pytest.param(f"RUN apt-get update && apt-get --force-yes upgrade && {CLEAN}\n", "apt-get", id="force-yes"),
    pytest.param(f"RUN apt-get update && apt-get -y upgrade --no-assume-yes && {CLEAN}\n", "apt-get",
                 id="last-option-wins"),
    pytest.param(f"RUN apt-get update && yes n | apt-get upgrade && {CLEAN}\n", "apt-get", id="yes-n"),
    pytest.param(f"RUN apt update && apt -qq upgrade && {CLEAN}\n", "apt", id="apt-qq-still-asks"),
    pytest.param(f'RUN ["/bin/sh", "-c", "apt-get update && apt-get upgrade && {CLEAN}"]\n', "apt-get",
                 id="json-no-y"),
])
def test_an_upgrade_that_can_prompt_fails_and_says_why(body, tool):
    outcome = updates(body)
    assert outcome.status == "fail"
    assert "non-interactive" in outcome.message and outcome.line == 2
    assert APT_PROMPTS[tool] in outcome.fix and "exits 1" in outcome.fix
    assert APT_PROMPTS["apt-get"] == "Do you want to continue? [Y/n] Abort."


def test_an_interactive_upgrade_fails_even_beside_a_good_one():
    outcome = updates(f"RUN apt-get update && apt-get -y upgrade && {CLEAN}\n"
                      f"RUN apt-get update && apt-get upgrade && {CLEAN}\n")
    assert (outcome.status, outcome.line) == ("fail", 3)


@pytest.mark.parametrize("body, says", [
    pytest.param(f"RUN apt-get update\nRUN apt-get -y upgrade && {CLEAN}\n", "without `apt-get update` before it",
                 id="split-runs"),
    pytest.param(f"RUN apt-get -y upgrade && apt-get update && {CLEAN}\n", "without `apt-get update` before it",
                 id="update-after"),
    pytest.param("RUN apt-get update && apt-get -y upgrade && apt-get clean\n", "`apt-get clean` empties",
                 id="clean-is-not-removal"),
    pytest.param(f"RUN apt-get update && {CLEAN} && apt-get -y upgrade\n", "leaves the package lists",
                 id="removed-before-upgrade"),
    pytest.param("RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get -y upgrade\n",
                 "leaves the package lists", id="cache-mount-elsewhere"),
    pytest.param("RUN apt-get update && apt-get -y upgrade && rm -rf /var/lib/apt/lists/partial\n",
                 "leaves the package lists", id="partial-removal"),
    pytest.param(f"RUN apt-get update && apt-get install -y tini && {CLEAN}\n", "nothing upgrades",
                 id="install-is-not-upgrade"),
    pytest.param("RUN echo apt-get -y upgrade\n", "No RUN installs", id="echo-is-not-apt"),
])
def test_what_is_missing_is_named(body, says):
    outcome = updates(body)
    assert outcome.status == "fail" and says in outcome.message, outcome.message


# --- copy-not-add: hadolint's DL3020 and git sources -------------------------------------------

@pytest.mark.parametrize("source, kind", [
    ("https://github.com/org/repo.git#v1.2", "git"), ("https://github.com/org/repo.git?ref=main", "git"),
    ("git@github.com:org/repo.git", "git"), ("git@github.com:org/repo.git#main:sub", "git"),
    ("ssh://git@github.com/org/repo.git", "git"), ("git://github.com/org/repo.git", "git"),
    ("https://example.com/tool.tar.gz", "url"), ("http://example.com/file", "url"),
    ("app.tar.gz", "archive"), ("data.tgz", "archive"), ("x.tar.zst", "archive"),
    ("github.com/org/repo", "local"),  # BuildKit: indistinguishable from a local path
    ("src/", "local"), ("pyproject.toml", "local"), ("bundle.zip", "local"),
])
def test_add_sources_are_read_as_buildkit_reads_them(source, kind):
    assert add_source_kind(source) == kind


def test_dl3020_findings_on_git_sources_are_left_out(tmp_path: Path):
    """hadolint 2.15.1 flags ADD of scp-style, ssh:// and git:// repositories (its isUrl knows only
    http(s)://): those are not local files. The grader's own reading agrees."""
    text = (FROM + "ADD git@github.com:org/repo.git /src\n"
            "ADD ssh://git@github.com/org/repo.git /src2\n"
            "ADD git://github.com/org/repo.git /src3\n"
            "ADD https://github.com/org/repo.git#v1.2 /src4\n"
            "ARG REPO=git@github.com:org/other.git\nADD ${REPO} /src5\n"
            "ADD pyproject.toml /app/\n")
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    result = lint.run(dockerfile)
    assert result.parsed
    assert {f.line for f in result.of("DL3020")} >= {2, 3, 4, 7, 8}, "hadolint no longer flags git sources: revisit"
    lines, source = local_add_lines(parse_text(text), result)
    assert lines == [8] and "left out" in source
    unparsed = lint.LintResult((), False, "cannot parse")
    assert local_add_lines(parse_text(text), unparsed) == ([8], "the grader's own reading: hadolint cannot parse "
                                                                "this Dockerfile")


def test_dl3020_on_local_files_stands(tmp_path: Path):
    text = FROM + "ADD src/ /app/src/\nADD app.tar.gz /opt/\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    assert local_add_lines(parse_text(text), lint.run(dockerfile)) == ([2], "hadolint DL3020")


# --- absolute-workdir: the app copied into / ------------------------------------------------------

@pytest.fixture
def context(tmp_path: Path) -> Path:
    for name, text in {"pyproject.toml": "[project]\nname='x'\n", "app.py": "", "src/pkg/__init__.py": "",
                       "docker-entrypoint.sh": "#!/bin/sh\nexec \"$@\"\n", "conf/app.ini": "", "bin/tool": ""}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.mark.parametrize("body, says", [
    pytest.param("COPY app.py /app.py\n", "app.py lands at /app.py", id="file-at-root"),
    pytest.param("COPY app.py /\n", "app.py lands at /app.py", id="file-into-root"),
    pytest.param("COPY . /\n", "the whole build context", id="context"),
    pytest.param("COPY . .\n", "the whole build context", id="context-no-workdir"),
    pytest.param("COPY src /\n", "src/", id="directory-contents"),
    pytest.param("COPY src/pkg/ /\n", "src/pkg/", id="package-contents"),
    pytest.param("COPY *.py /\n", "app.py lands at /app.py", id="glob"),
    pytest.param("WORKDIR /app\nCOPY app.py ../\n", "lands at /app.py", id="relative-up"),
    pytest.param("ARG DEST=/\nCOPY [\"src\", \"${DEST}\"]\n", "src/", id="json-and-variable"),
    pytest.param("COPY --from=build /build/main.py /main.py\n", "main.py lands at /main.py", id="from-stage-py"),
    pytest.param("COPY <<EOF /app.py\nprint(1)\nEOF\n", "lands at /app.py", id="heredoc"),
])
def test_code_straight_into_root_is_found(context, body, says):
    found = app_copied_into_root(parse_text(FROM + body), context)
    assert found is not None and says in found[1], found


@pytest.mark.parametrize("body", [
    pytest.param("COPY docker-entrypoint.sh /\n", id="entrypoint-script"),
    pytest.param("COPY --from=tini /tini /tini\n", id="binary-from-stage"),
    pytest.param("COPY bin/tool /usr/local/bin/\nCOPY conf /\n", id="no-code"),
    pytest.param("WORKDIR /app\nCOPY . .\n", id="workdir"),
    pytest.param("COPY src/pkg /pkg\n", id="package-directory-of-its-own"),
    pytest.param("WORKDIR /app\nCOPY app.py /app\n", id="existing-directory"),
    pytest.param("COPY app.py /srv/app.py\n", id="elsewhere"),
    pytest.param("COPY --from=build /app /\n", id="unknown-from-stage"),
    pytest.param("ADD https://example.com/app.py /\n", id="url"),
])
def test_scripts_binaries_and_own_directories_pass(context, body):
    assert app_copied_into_root(parse_text(FROM + body), context) is None
