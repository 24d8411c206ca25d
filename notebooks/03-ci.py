# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Automated builds (CI)
#
# Stage 3 of 7. The learner's question: **does every push build, test and tag an image without
# stomping on `latest`?**
#
# ## Objectives
#
# By the end of this notebook you can:
#
# - write a build script that stops at the first failing command, pipelines included, and so never
#   pushes a broken image;
# - run the app's tests before anything is pushed, against the image you ship;
# - tag every image with its commit and its branch (made into a valid tag), and move `latest` only
#   from the default branch;
# - read what a registry holds over its HTTP API: a repository's tags, and the digest each points at;
# - run the script from a GitHub Actions workflow on every push and pull request;
# - make `exercises/` pass the stage-3 check (which re-checks stages 1 and 2).
#
# **Time budget:** 80 min (why 10, walkthrough 25, exercise 35, check, hints and discussion 10).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course

lab = course.Lab("03-ci")   # labels everything this notebook builds or runs; the last cell removes it

# %% [markdown]
# ## Why builds are automated
#
# In the talk's order ([EuroPython 2020 recording](https://av.tib.eu/media/49984)), once the image
# works and is secure, it is built **automatically, on every push**: a build that depends on
# someone remembering to run it, on their laptop, with whatever is on their laptop, does not happen
# reliably. The talk's build script was short, in spirit this (paraphrased here, not quoted):
#
# ```bash
# !/bin/bash
# docker build -t "$REGISTRY/$IMAGE" .
# docker push "$REGISTRY/$IMAGE"
# ```
#
# No tag is given, so Docker uses `latest`: every run, from any branch, replaces what `latest`
# points at. The talk's advice was to tag images by branch, so that branches stop stomping on each
# other, and to keep `latest` for the default branch. This notebook runs that script exactly the way
# the grader will run yours, and shows what lands in the registry.
#
# ### What changed between the talk (2020) and 2026
#
# | | 2020 | 2026 | source |
# |---|---|---|---|
# | CI service | GitHub Actions was new: announced in October 2018 as a limited beta, YAML workflows with CI/CD in August 2019, generally available on 2019-11-13, eight months before the talk (July 2020); Travis CI, CircleCI, GitLab CI and Jenkins were the usual homes of a build script | GitHub Actions is the default for a repository on GitHub: a workflow file in `.github/workflows/`; GitHub's hosted `ubuntu-24.04` runners ship Docker 26.1.3 and Buildx 0.20.1 (at the time of writing; this machine's versions are measured below) | [github.blog, 2019-08-08: "GitHub Actions now supports CI/CD"](https://github.blog/news-insights/product-news/github-actions-now-supports-ci-cd/); [actions/runner-images: Ubuntu 24.04](https://github.com/actions/runner-images/blob/main/images/ubuntu/Ubuntu2404-Readme.md) |
# | Builder | the classic builder; BuildKit opt-in with `DOCKER_BUILDKIT=1` | BuildKit is the default builder since Docker Engine 23.0: `docker build` runs it through Buildx | [moby v23.0.0 release notes](https://github.com/moby/moby/releases/tag/v23.0.0) |
# | Tags and labels from Git | written by hand in the script | `docker/metadata-action` derives them in a workflow: `refs/heads/my/branch` → tag `my-branch`, a `sha-…` tag, `latest` rules, and `org.opencontainers.image.*` labels; `docker buildx build --metadata-file` writes the digest a build produced. The course keeps a script, so that a laptop and CI build the same way | [docker/metadata-action](https://github.com/docker/metadata-action); [buildx build reference](https://docs.docker.com/reference/cli/docker/buildx/build/) |
# | Third-party actions | referenced by tag (`@v1`) | pin them to a commit: "Pinning an action to a full length commit SHA is currently the only way to use an action as an immutable release" | [GitHub Docs: security hardening for GitHub Actions](https://docs.github.com/en/actions/security-guides/security-hardening-for-github-actions#using-third-party-actions) |
#
# ## What the grader checks in stage 3
#
# From the catalogue; stages 1 and 2 are checked again (grading is cumulative).

# %%
course.practices(3)

# %% [markdown]
# How the grader runs your `build.sh` (`graders/build_script.py`): in a throwaway git repository of
# your whole workspace (tests included; never your own `.git`), it makes the branches `feature/x`
# and `123-more-cowbell` (a commit of their own each), `main`, `grader-failing-test` (main plus a
# test that fails) and `grader-failing-step` (main plus `RUN exit 97` after every `FROM`). On each
# it runs `bash build.sh` with `IMAGE` and `REGISTRY` set, `REGISTRY` being a real registry of the
# grading's own on 127.0.0.1, and compares the registry's tags before and after the run.
#
# ## The talk's script, run the way the grader runs it
#
# Below, the talk's script (above) with stage 1's Dockerfile, which copies the whole build context
# (`COPY . .`), so each branch's files reach its image; a one-line `.dockerignore` keeps `.git` out,
# so that a run gives the same image for the same files. First, a registry for this notebook: the
# grader's own (`graders/registry.py`), started on the Lab's session.

# %%
registry = course.DemoRegistry(lab)

TALK_BUILD_SH = """\
#!/bin/bash
docker build -t "$REGISTRY/$IMAGE" .
docker push "$REGISTRY/$IMAGE"
"""
talk = course.ScriptDemo(lab, registry, "talk", {
    "build.sh": TALK_BUILD_SH,
    "Dockerfile": (course.ROOT / "solutions/stage1/Dockerfile").read_text(),
    ".dockerignore": ".git\n",
})
talk.run()
talk.table()

# %% [markdown]
# The commands the runner issued, in order (the git commands are the grader's; each
# `bash build.sh` ran the two `docker` commands of the script):

# %%
talk.show_commands()

# %% [markdown]
# Read the table row by row:
#
# - **Every run exited 0**: to CI, five green builds.
# - **`latest` moved on every branch**: four different images in turn. Whoever pulled `latest`
#   after the `123-more-cowbell` run got that branch's unreviewed work.
# - **`grader-failing-test` was pushed**: the script never runs the tests.
# - **`grader-failing-step` exited 0 although its build failed.** Its last lines:

# %%
print("\n".join(talk.runs[-1].log_tail[-12:]))

# %% [markdown]
# `docker build` failed (`ERROR: failed to solve: … exit code: 97`), bash went on to the next line,
# and `docker push` pushed the image that `latest` still named locally: the previous run's. The
# script's exit status is that of its last command, the successful push. The next three sections
# fix each of these.
#
# ## Strict scripts <a id="strict-scripts"></a>
#
# By default bash runs every line whatever the one before returned. `set -e` (errexit) stops at a
# failing command, but not inside a pipeline: "The return status of a pipeline is the exit status
# of the last command, unless the `pipefail` option is enabled"
# ([Bash manual: Pipelines](https://www.gnu.org/software/bash/manual/html_node/Pipelines.html)).
# A build piped into `tee` or `tail` is exactly such a pipeline. Measured, with a build that fails:

# %%
PUSH_DEMO = """\
docker buildx build --progress=plain - <<'EOF' 2>&1 | tail -n 1
FROM python:3.13-slim
RUN exit 3
EOF
echo "==> pushing"
"""
print(PUSH_DEMO)
for strict in ("", "set -e\n", "set -euo pipefail\n"):
    course.run_script(strict + PUSH_DEMO, "push-demo.sh", tail=2,
                      note=f"push-demo.sh with `{strict.strip()}` first" if strict else "push-demo.sh as it is")

# %% [markdown]
# Only with `pipefail` does the failed build stop the script, before the push, with a non-zero
# exit status, which CI shows as a failed build. The third option, `nounset` (`-u`), stops at an
# unset variable instead of expanding it to nothing:

# %%
course.run_command(["bash", "-c", 'echo "==> pushing $REGISTRY/$IMAGE:latest"'], env={"REGISTRY": registry.address})
course.run_command(["bash", "-u", "-c", 'echo "==> pushing $REGISTRY/$IMAGE:latest"'], env={"REGISTRY": registry.address})

# %% [markdown]
# One trap: the grader, like most CI configurations, runs `bash build.sh`, and then the options on
# the script's first line (`#!/bin/bash -e`) are not read: bash treats that line as a comment. Put
# the options in a `set` command, before the first command that can fail. The grader reads your
# script with a shell parser and runs shellcheck on it; shellcheck's findings are shown as advice
# and never fail the practice.
#
# ## Test before push <a id="test-before-push"></a>
#
# The `grader-failing-test` run above pushed an image whose tests fail. The tests must run before
# the push, and a failing test must stop the script: pytest exits with status 1 when "tests were
# collected and run but some of the tests failed"
# ([pytest: exit codes](https://docs.pytest.org/en/stable/reference/exit-codes.html)), which is
# all strict mode needs.
#
# Where should they run? Against the image you are about to push, so that what was tested is what
# ships, with two constraints from earlier and later stages:
#
# - stage 2's `.dockerignore` keeps `tests/` out of the build context;
# - pytest belongs to the tests, not to the runtime image (stage 6 checks that no test or dev tool
#   is in the final image: `no-dev-dependencies`).
#
# Ways that respect both, each documented: a build stage of its own, selected with
# `docker buildx build --target` ([multi-stage builds](https://docs.docker.com/build/building/multi-stage/)),
# which can read files that are not in the main build context through a named context
# (`--build-context`, [buildx build reference](https://docs.docker.com/reference/cli/docker/buildx/build/#build-context))
# or a bind mount ([`RUN --mount=type=bind`](https://docs.docker.com/reference/dockerfile/#run---mounttypebind));
# or a container of the built image with the tests mounted and the test tools installed in it.
# Choose one; the grader only looks at the outcome: with a failing test planted, nothing is pushed
# and the script exits non-zero.
#
# ## Tags <a id="tags"></a>
#
# A tag is a name for an image in a repository, and one image can have several. Push this
# notebook's build of solution 2 under two tags, the course repository's current commit and
# `latest`, then ask the registry what it holds, as the grader does:

# %%
image = lab.build("solutions/stage2", name="stage 2 solution")
commit = course.run_command(["git", "rev-parse", "--short=12", "HEAD"], cwd=course.ROOT, tail=1)
commit_tag = commit.output[-1] if commit.ok else "0123456789ab"   # (not a git clone: a made-up commit)
pushes = registry.push(image, "shortlinks", commit_tag, "latest")   # the `docker tag` and `docker push` runs

# %%
tags = registry.tags("shortlinks")
digests = {tag: registry.digest("shortlinks", tag) for tag in tags}
print("two tags, one image:" if len(set(digests.values())) == 1 else "tags and digests:", digests)

# %% [markdown]
# Two tags, one digest: the same manifest, so the same image. That is how `latest` should relate to
# a commit tag on the default branch: tag the one image you built twice, rather than building twice.
#
# A branch name is not always a valid tag. Docker's rule: a tag "must be valid ASCII and may contain
# lowercase and uppercase letters, digits, underscores, periods, and hyphens. A tag name may not
# start with a period or hyphen and may contain a maximum of 128 characters"
# ([`docker image tag`](https://docs.docker.com/reference/cli/docker/image/tag/)). So `feature/x`
# cannot be used as it is:

# %%
course.run_command(["docker", "tag", image.image.tags[0], registry.reference("shortlinks", "feature/x")])

# %% [markdown]
# The script has to turn the branch name into a valid tag, the way `docker/metadata-action` turns
# `refs/heads/my/branch` into `my-branch`; bash's parameter expansion or `tr` can do it. Where the
# branch name comes from differs: in a clone, git knows the branch checked out; in GitHub Actions,
# a pull request is checked out as a merge commit on a detached HEAD, and the branch names are in
# the environment (`GITHUB_REF_NAME` for a push, `GITHUB_HEAD_REF` for a pull request:
# [GitHub Docs: default environment variables](https://docs.github.com/en/actions/learn-github-actions/variables#default-environment-variables)).
#
# What the grader expects, measured on the course's solution (run the same way as the talk's
# script above; its files stay hidden until you have written yours, see "Your turn"):

# %%
solution = course.ScriptDemo(lab, registry, "solution 3", "solutions/stage3")
solution.run()
solution.table()

# %% [markdown]
# Both scripts, side by side: which tags the registry held after each run, and which image each
# pointed at (measured above).

# %%
fig = course.plot_tag_history({"the talk's build.sh": talk.runs, "solution 3's build.sh": solution.runs})

# %% [markdown]
# The talk's script leaves one tag, `latest`, which four runs moved to four different images; the
# failing step was "green" and changed nothing. Solution 3's leaves a tag per branch and one per
# commit, never reused for another image, and `latest` appears only with the `main` run, on the
# same image as that commit's tag; the two planted failures exit 1 and push nothing. Every image
# stays reachable by the commit that made it: that is what the next stage relies on to answer
# "which code is this?".
#
# ## CI workflow <a id="ci-workflow"></a>
#
# A GitHub Actions workflow is a YAML file in `.github/workflows/`: the events it runs `on`, and
# jobs of steps, each a shell command (`run:`) or an action (`uses:`)
# ([workflow syntax](https://docs.github.com/en/actions/using-workflows/workflow-syntax-for-github-actions)).
# The grader reads it as YAML, not as text, and one YAML detail bites: under YAML 1.1, which PyYAML
# (and so the grader) reads, `on` is a boolean.

# %%
import yaml
print(yaml.safe_load("on: push"))

# %% [markdown]
# (GitHub itself reads `on` as the key it is; the grader knows both.) It also runs
# [actionlint](https://github.com/rhysd/actionlint), a checker for workflow files, and counts its
# findings against the workflow. On a small workflow with two mistakes:

# %%
findings = course.lint_workflow("""\
name: build
on: push
jobs:
  build:
    steps:
      - uses: actions/checkout@v4
      - run: echo "building ${{ github.event.head_commit.message }}"
""")

# %% [markdown]
# A job needs a runner (`runs-on`); and a commit message is text anyone who can push controls, so
# pasting it into a shell line lets a crafted message run commands on the runner. A workflow that
# passes runs on `push` and `pull_request`, checks the repository out, logs in to the registry
# (GitHub's own, `ghcr.io`, accepts the job's `GITHUB_TOKEN` when the workflow asks for
# `packages: write`: [GitHub Docs: working with the Container registry](https://docs.github.com/en/packages/working-with-a-github-packages-registry/working-with-the-container-registry)),
# and runs your `build.sh`, the same script a laptop runs. The Docker this machine runs, to compare
# with a hosted runner's (see the table at the top):

# %%
course.run_command(["docker", "version", "--format", "client {{.Client.Version}}, engine {{.Server.Version}}"])
course.run_command(["docker", "buildx", "version"])

# %% [markdown]
# ## Your turn <a id="exercise"></a>
#
# Make **`exercises/`** pass the stage-3 check, starting from your stage-2 files (or from solution 2:
# in a terminal, from the course folder, `.venv/bin/python -m graders start --stage 3` saves your
# files under `backups/` first).
#
# 1. Create **`exercises/build.sh`** (File → New → Text File in JupyterLab, then rename it; or
#    `nano exercises/build.sh` in a terminal). It reads `IMAGE` and `REGISTRY` from the environment,
#    builds, runs the tests, tags and pushes as the sections above describe. You will probably
#    change `exercises/Dockerfile` too, for the tests.
# 2. Create **`exercises/.github/workflows/build.yml`** (a hidden folder: make it in a terminal,
#    `mkdir -p exercises/.github/workflows`).
# 3. Try the script before the check does: in a terminal, from the course folder, start a registry
#    and run it (the course repository's branch and commit stand in for the grader's):
#
#    ```sh
#    docker run -d --rm --name course-registry -p 127.0.0.1:5000:5000 registry:2
#    cd exercises && IMAGE=shortlinks REGISTRY=127.0.0.1:5000 bash build.sh; echo "exit $?"; cd ..
#    curl -s http://127.0.0.1:5000/v2/shortlinks/tags/list
#    docker stop course-registry
#    ```
#
#    `.venv/bin/shellcheck exercises/build.sh` and `.venv/bin/actionlint exercises/.github/workflows/build.yml`
#    check the two files on their own.
# 4. Run the check cell; it takes a few runs of your script, so allow a minute. Repeat.
#
# The course's own files are in `solutions/stage3/` (`build.sh`, `Dockerfile`,
# `.github/workflows/build.yml`): they are there for after your attempt, to compare.
#
# ## Check your work <a id="check"></a>
#
# This cell grades `exercises/` with the graders of stages 1 to 3, as
# `python -m graders check --stage 3` does: it builds and probes your image, then runs your
# `build.sh` on the grader's branches against a registry of its own, and shows what each run
# pushed. **Until every required practice passes, it ends with a red `AssertionError`: that is
# intended.** The report above the error says, for each failing practice, the line of `build.sh`
# (or of the Dockerfile or workflow) it concerns, what was observed, what was expected, and how to
# fix it. `ci-workflow` is recommended: reported and scored, it does not fail the cell.

# %% nbgrader={"grade": true, "grade_id": "stage3-check", "locked": true, "points": 5, "schema_version": 3, "solution": false}
report = course.check(stage=3)
assert report.exit_code == 0, "Not every required practice of stages 1-3 passes yet: the report above says which, where, and how to fix it."

# %% [markdown]
# ## Hints <a id="hints"></a>
#
# One per practice of this stage, from the catalogue. Open only the one you need.

# %%
course.hints(3)

# %% [markdown]
# ## Key points
#
# - A build script runs under `set -euo pipefail` (as a `set` command: `bash build.sh` ignores the
#   first line's options), so a failing build, test or pipeline stops it before anything is pushed,
#   and CI shows red.
# - The tests run against the image being shipped, before the push; a failing test exits non-zero.
# - Every push carries a tag naming its commit; each branch pushes its own tag, made valid
#   (`feature/x` → `feature-x`); only the default branch moves `latest`, to the same image as its
#   commit tag. A registry's `/v2/<name>/tags/list` and each tag's manifest digest show exactly
#   what happened.
# - A GitHub Actions workflow runs the same script on `push` and `pull_request`, with actions pinned
#   to commits and the registry login from the job's token.
# - Stage 4 uses the commit tag to answer "which code is this?", and makes crashes readable.
#
# ## Clean up
#
# Remove the containers (the registry among them) and images this notebook made (also done when the
# kernel shuts down).

# %%
lab.close()
