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
# # 06 · Reproducible builds
#
# Stage 6 of 7. The learner's question: **will a rebuild in six months give the same image?**
#
# ## Objectives
#
# By the end of this notebook you can:
#
# - say what a base-image tag resolves to today, why it moves, and pin it to a Python minor
#   version and a Debian release (or a digest);
# - show that the same `pip install` line installs different versions on different days, and
#   read what an image actually has installed;
# - generate a lock of every transitive dependency, with hashes, with pip-tools and with uv;
# - explain what pip's hash-checking mode does when a file does not match its lock, from a real
#   failing build;
# - keep test tools out of the final image, and measure what they would cost there;
# - pin the installers a build fetches;
# - make `exercises/` pass the stage-6 check (which re-checks stages 1 to 5).
#
# **Time budget:** 75 min (why 10, walkthrough 25, exercise 30, check, hints and discussion 10).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course
from graders.notebook import base_pins, lock_demo, reproducible_pictures
from graders.notebook.lab import DemoError

lab = course.Lab("06-reproducible")   # labels everything this notebook builds or runs; the last cell removes it

# %% [markdown]
# ## Why: the same Dockerfile is not the same image
#
# A Dockerfile names its inputs loosely: `FROM python:3.13-slim` is whatever image that tag points
# at on the day of the build, and `pip install .` installs whatever versions of the app's
# dependencies the index offers that day, within the ranges in `pyproject.toml`. Rebuild in six
# months, for a one-line fix, and you may ship a different Debian, a different Python patch
# release and a dozen different libraries, none of which you tested. The talk
# ([EuroPython 2020 recording](https://av.tib.eu/media/49984)) asks for two pins: a base image
# tag that names both the Python version and the Debian release (in 2020, Debian 10 "buster"), so
# that neither changes under you, and the application's dependencies pinned, transitive ones
# included, by generating a lock file with a tool (pip-tools' `pip-compile`, or Poetry's or
# Pipenv's lock files) and installing from it; and to update both deliberately, on your schedule,
# with tests, rather than by accident. The talk's pins still hold; what changed is the tooling.
#
# ### What changed between the talk (2020) and 2026
#
# Dated facts are as of 2026-12 unless the row says otherwise.
#
# | | 2020 | 2026 | source |
# |---|---|---|---|
# | Debian under `python:*-slim` | Debian 10 "buster" | Debian 13 "trixie", stable since 2025-08-09 (bookworm is oldstable). The official image's bare tags followed: `python:3.13-slim` became trixie-based in August 2025 (docker-library/python PR #1042, "Add Debian Trixie (and remove Bullseye)", published 2025-08-12), and projects that had written only `3.13-slim` found themselves on a new Debian ("The python:3.13-slim image is now based on debian 13 (trixie) instead of 12 (bookworm)", 2025-08-20) | [Debian 13 released](https://www.debian.org/News/2025/20250809); [official-images PR #19661](https://github.com/docker-library/official-images/pull/19661); [mozilla-releng/balrog#3532](https://github.com/mozilla-releng/balrog/pull/3532) |
# | Pinning the base by digest | possible (`FROM python@sha256:…`), rarely done by hand | Docker's build best practices (paraphrased): a tag is mutable, so to build on exactly the same image, pin its digest, and let a bot (Dependabot, Renovate) propose digest updates so that security fixes still arrive; `docker build` uses the image already on the engine for a tag unless `--pull` asks the registry again | [Docker: pin base image versions](https://docs.docker.com/build/building/best-practices/#pin-base-image-versions); [`docker buildx build --pull`](https://docs.docker.com/reference/cli/docker/buildx/build/) |
# | Lock tools | pip-tools (`pip-compile --generate-hashes`), Poetry, Pipenv | the same, plus **uv** (Astral): `uv lock` writes a universal `uv.lock` (every platform and Python the project allows), `uv export` turns it into a hashed requirements file, `uv sync --locked` installs it and fails when it is stale | [pip-tools](https://github.com/jazzband/pip-tools); [uv: locking and syncing](https://docs.astral.sh/uv/concepts/projects/sync/); [uv: exporting a lockfile](https://docs.astral.sh/uv/concepts/projects/export/) |
# | A standard lock format | none: each tool had its own | **PEP 751** `pylock.toml`, accepted on 2025-03-31; pip 25.1 (April 2025) added `pip lock`, still marked "EXPERIMENTAL" in pip's documentation; pip 26.1 reads `-r pylock.toml` (also experimental) | [PEP 751](https://peps.python.org/pep-0751/); [`pip lock`](https://pip.pypa.io/en/stable/cli/pip_lock/); [pip changelog](https://pip.pypa.io/en/stable/news/) |
# | Hashes | pip's hash-checking mode (`--require-hashes`, pip 8.0, 2016) | unchanged, and the base of every lock above: `uv.lock`, `uv export` and `pylock.toml` record sha256 hashes by default | [pip: secure installs](https://pip.pypa.io/en/stable/topics/secure-installs/) |
# | "What would pip have installed on that day?" | no answer | pip 26.0 (2026-01-30) added `--uploaded-prior-to`, which considers only files uploaded before a date; uv has `--exclude-newer`. A cut-off, not a lock: no hashes, and today's resolver still decides | [pip changelog, 26.0](https://pip.pypa.io/en/stable/news/); [uv settings: exclude-newer](https://docs.astral.sh/uv/reference/settings/#exclude-newer) |
#
# ## What the grader checks in stage 6
#
# From the catalogue; stages 1 to 5 are checked again.

# %%
course.practices(6)

# %% [markdown]
# The pass conditions (the course contract, `../shared` in the course's design notes): every `FROM`
# names the Python minor version and the Debian codename, or a digest; a lock pins every
# transitive runtime dependency exactly (pip-compile output, `uv export`, or `uv.lock`), the image
# installs only from it, and **the set installed in the image equals the lock**; the lock carries
# hashes and the install enforces them, judged by behaviour: the grader changes a hash in your lock
# and **the build must fail**; no test or dev tool (pytest...) in the final image; and, recommended,
# every installer the build fetches (a pip upgrade, uv, pip-tools) pinned to a version.
#
# ## The starting point
#
# Stage 6 starts where stage 5 ended (`.venv/bin/python -m graders start --stage 6` puts solution 5
# in your `exercises/`). The lines of its Dockerfile that this stage is about:

# %%
solution = course.ROOT / "solutions/stage5/Dockerfile"
print(f"{solution.relative_to(course.ROOT)}:")
for number, line in enumerate(solution.read_text().splitlines(), 1):
    if line.startswith("FROM") or ("pip install" in line and not line.lstrip().startswith("#")):
        print(f"  {number:3}  {line}")

# %% [markdown]
# A base image named by a moving tag, and two `pip install` lines: the app's, which resolves its
# dependency ranges afresh on every build, and the test tools', pinned by hand but without their own
# dependencies. The sections below measure what each of these does over time.
#
# ## Pin the base <a id="pin-the-base"></a>
#
# Three references the course uses for its base image. For each, what the engine has under that
# name (`docker image inspect`: the image ID, and the registry digests it was pulled by) and what is
# inside (a `docker run`):

# %%
tags = ["python:3.13-slim", "python:3.13-slim-trixie", "python:3.13.5-slim-trixie"]
rows = base_pins.describe(lab, tags)
print()
base_pins.table(rows)

# %% [markdown]
# How to read this:
#
# - **`python:3.13-slim`** names the Python minor version and nothing else. On Docker Hub it is an
#   alias of the newest 3.13 patch release on the *current* Debian: bookworm until August 2025,
#   trixie since (the table above). The same `FROM` line, rebuilt across that date, changed
#   Debian, its C library, OpenSSL and the names of its packages (trixie's base images no longer
#   carry `adduser`, for one); nothing in the Dockerfile said so.
# - **`python:3.13-slim-trixie`** also names the Debian release: it gets Python 3.13's patch
#   releases and Debian's security updates (the image is rebuilt for both) and never a new Debian.
#   This is the pin the grader asks for.
# - **`python:3.13.5-slim-trixie`** names a patch release too. It changes less, but once 3.13.6 was
#   out, the 3.13.5 tag stopped being rebuilt: no more security fixes (the supported tags are the
#   ones listed on [Docker Hub's python page](https://hub.docker.com/_/python)).
# - The **image ID** is the digest of the image's config, on this engine. The **registry digest**
#   (`RepoDigests`, `python@sha256:…`) is the digest of the manifest in the registry, recorded when
#   an image is pulled. A digest names content: it cannot move.
#
# Offline, all three names are one image here, the course's stand-in, built from Debian trixie
# packages and never pulled, so it has no registry digest. Either way, a tag is a name the
# publisher moves. To see one move, and a digest stay put, this notebook pushes two builds of a
# base image under one tag to a registry of its own. The two builds differ by a label only (a
# stand-in for the maintainers' weekly rebuild with Debian's security updates):

# %%
registry = course.DemoRegistry(lab)
digests = {}
for n, when in ((1, "the first build"), (2, "a rebuild, a week later")):
    rebuilt = lab.build(dockerfile=f'FROM python:3.13-slim\nLABEL demo.rebuild="{n}: {when}"\n', name=f"base build {n}")
    registry.push(rebuilt, "python", "3.13-slim")
    digests[n] = registry.digest("python", "3.13-slim")
    print()

# %% [markdown]
# The tag now points at the second push. The first is still in the registry, under its digest, and
# a reference with the digest gets exactly it, whatever the tag points at now:

# %%
first = f"{registry.address}/python@{digests[1]}"
course.run_command(["docker", "pull", "-q", first], tail=1)
course.run_command(["docker", "image", "inspect", "--format", "{{index .Config.Labels \"demo.rebuild\"}}", first], tail=1)
course.run_command(["docker", "image", "inspect", "--format", "{{index .Config.Labels \"demo.rebuild\"}}",
                    registry.reference("python", "3.13-slim")], tail=1)

# %% [markdown]
# So `FROM python:3.13-slim-trixie@sha256:…` (the tag is then only a comment for the reader) builds
# on the same bytes next year. The price is the one Docker's best practices name: a digest never
# gets security fixes by itself, so it needs a bot or a habit to move it. A tag without a digest has
# a subtler trap: `docker build` uses the image already on the engine under that tag; only
# `docker build --pull` asks the registry whether the tag has moved. A CI runner with a months-old
# `python:3.13-slim-trixie` in its store builds on that one.
#
# ## Lock files <a id="lock-files"></a>
#
# The app declares ranges (`exercises/pyproject.toml`): `flask>=3.0,<4`, `gunicorn>=23.0,<24`,
# `orjson>=3.9,<4`, and nothing about Flask's own dependencies. The same Dockerfile, built twice: as
# if on 2025-06-01, with pip 26's `--uploaded-prior-to` (the image's own pip may predate it, so the
# build first installs pip 26.0.1, pinned), and today. Unpinned, as the starting point installs:

# %%
UNPINNED = """\
FROM python:3.13-slim
RUN pip install --no-cache-dir pip==26.0.1
WORKDIR /app
COPY pyproject.toml ./
COPY src/ ./src/
RUN pip install --no-cache-dir {cutoff}.
"""
days = {"built on 2025-06-01": "--uploaded-prior-to=2025-06-01T00:00:00Z ", "built today": ""}
drift = {}
for label, cutoff in days.items():
    drift[label] = lab.build(dockerfile=UNPINNED.format(cutoff=cutoff), name=f"unpinned, {label}")
    print("  its last step:", course.short_step(drift[label].layers()[-1].created_by, 100))

# %% [markdown]
# What each image has installed, read from the image itself (`pip list`), compared with the base
# image's own distributions:

# %%
base_set = lock_demo.installed(lab, "python:3.13-slim")
sets = {label: lock_demo.installed(lab, built) for label, built in drift.items()}
added = sorted({name for s in sets.values() for name, version in s.items() if base_set.get(name) != version} - {"pip"})
fig = reproducible_pictures.plot_versions(sets, added, title="The app's dependencies, as installed by two builds of one Dockerfile")

# %% [markdown]
# The orange rows changed between the two builds of one Dockerfile, with no commit in between.
# Each of those releases was allowed by the app's ranges, and each is a version the app's tests
# never ran against in the first image. That is the talk's point: ranges belong in the package's
# metadata (they say what *could* work); the image needs one exact, tested set.
#
# A lock is that set, written down: every package the install needs, transitive ones included,
# each with one exact version and the hashes of its files. It is generated by a tool from the
# declared ranges, committed, and regenerated on purpose (to pick up fixes), never by accident. Two
# tools, in a throwaway container of the base image with the tools installed at pinned versions
# (so that the lock does not depend on whatever pip-tools or uv is newest):

# %%
tools = lab.build(dockerfile="""\
FROM python:3.13-slim
RUN pip install --no-cache-dir pip-tools==7.6.2 uv==0.13.8
WORKDIR /app
COPY pyproject.toml ./
COPY src/ ./src/
""", name="lock tools")

# %%
compiled = lock_demo.run_tool(lab, tools, "pip-compile --quiet --generate-hashes --strip-extras "
                              "--output-file requirements.txt pyproject.toml", ["requirements.txt"], tail=0)
uv_run = lock_demo.run_tool(lab, tools, "uv lock --quiet && uv export --quiet --format requirements-txt --no-dev "
                            "--no-emit-project --output-file requirements-uv.txt", ["uv.lock", "requirements-uv.txt"], tail=0)
pip_run = lock_demo.run_tool(lab, tools, "pip lock --quiet --output pylock.toml .", ["pylock.toml"], tail=2)

# %% [markdown]
# pip-compile's output is a requirements file pip can install: one `name==version` per package,
# each with the sha256 of every file the index has for that version, and a comment saying which
# requirement pulled it in. Its first entries:

# %%
print("\n".join(compiled.files["requirements.txt"].splitlines()[:18]))

# %% [markdown]
# What the four files pin, side by side with what the "today" build installed:

# %%
locks = {"pip-compile": compiled.files["requirements.txt"], "uv.lock": uv_run.files["uv.lock"],
         "uv export": uv_run.files["requirements-uv.txt"], "pip lock (PEP 751)": pip_run.files["pylock.toml"]}
pinned = {name: lock_demo.pins(text) for name, text in locks.items()}
for name, text in locks.items():
    print(f"{name:19} {len(pinned[name]):2} packages pinned, {lock_demo.hash_count(text):3} sha256 hashes, "
          f"{len(text.splitlines()):4} lines")
print("uv export, pins that apply only on some platforms:", lock_demo.markers(locks["uv export"]) or "none")
today = {name: version for name, version in sets["built today"].items() if name in added and name != "shortlinks"}
fig = reproducible_pictures.plot_versions({**pinned, "installed today": today},
                                          sorted(set(today) | set().union(*map(set, pinned.values()))),
                                          title="Four locks made today, and what today's unpinned build installed")

# %% [markdown]
# Made on the same day, the locks agree with each other and with today's build, version for
# version. Where they differ is in what they cover:
#
# - **`uv.lock` is universal**: it resolves for every platform and Python version the project
#   allows (`requires-python = ">=3.11"`), and for all its extras, so it also pins the `test` extra
#   (pytest and its dependencies, `colorama` among them, which pytest needs on Windows only). It is
#   the input of `uv sync`; `uv export` writes the subset one install needs (here the runtime set,
#   without the extra and without the project itself) as a requirements file pip can use.
#   pip-compile and `pip lock` resolve for the Python and platform they run on, which is why they
#   ran *in the base image*: a lock made on a laptop with another Python can differ.
# - **The hashes are per file, not per version**: pip-compile lists a hash for every file the
#   index has for each pinned version (orjson alone has dozens of wheels, one per platform and
#   Python), so the same lock also installs on an arm64 machine; `pip lock` records only the files
#   for this platform. `pip lock` writes the standard format (PEP 751), and pip warned above that the
#   command is experimental.
#
# The lock freezes the versions, but only an install that uses nothing else makes the image equal to
# it: an install that resolves again (a second `pip install` that may fetch a dependency, an
# unpinned tool) can add or change a package behind the lock's back. The grader compares the image's
# `pip list` with your lock, package by package, as the cells above compared the builds.
#
# ## Hashes <a id="hashes"></a>
#
# A version number is a name: whoever controls the index (or the network between you and it: this
# machine reaches PyPI through a TLS-intercepting proxy) can serve other bytes under it. A hash
# names the bytes. pip's **hash-checking mode** (`--require-hashes`, and switched on by itself as
# soon as any requirement carries a `--hash`) refuses to install a file whose sha256 is not one of
# those listed for it, and requires every requirement to be pinned with `==` and hashed
# ([pip: secure installs](https://pip.pypa.io/en/stable/topics/secure-installs/)). Below, the
# pip-compile lock with Flask's hashes changed, as if the files on the index were not the ones
# locked, installed in hash-checking mode:

# %%
import tempfile

tampered, changed = lock_demo.tamper(compiled.files["requirements.txt"], "flask")
for old, new in changed:
    print(f"  flask: sha256:{old[:12]}…{old[-4:]}  →  sha256:{new[:12]}…{new[-4:]}")
HASH_CHECKED = """\
FROM python:3.13-slim
WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt
"""
with tempfile.TemporaryDirectory(prefix="dockercourse-06-") as folder:
    (pathlib.Path(folder) / "requirements.txt").write_text(tampered)
    try:
        lab.build(folder, dockerfile=HASH_CHECKED, name="tampered lock")
        print("the build passed: the hashes were not checked")
    except DemoError as failure:
        print(lock_demo.build_failure(failure))

# %% [markdown]
# The build failed, at the install, and pip's message names the package, the hash it expected
# (from the lock) and the hash of what it downloaded: `THESE PACKAGES DO NOT MATCH THE HASHES FROM
# THE REQUIREMENTS FILE`. Nothing was installed, so no image was made to be pushed. This is what the
# grader does to your lock: it changes one hash and builds again, and the practice passes only if
# that build fails. A lock with hashes that the install does not enforce passes the eye and fails
# the grader.
#
# Hash-checking mode is all or nothing: every requirement must be pinned with `==` and hashed. Here,
# the lock with Flask's entry replaced by a bare `flask` line (as a hand-added requirement would
# be), with `pip install --dry-run`, which resolves and downloads but installs nothing:

# %%
partial = lock_demo.without(compiled.files["requirements.txt"], "flask") + "flask\n"
refused = lock_demo.run_tool(lab, tools, "pip install --dry-run --require-hashes -r /tmp/partial.txt",
                           inputs={"/tmp/partial.txt": partial}, tail=4)

# %% [markdown]
# Remember this when you install the app itself: it is not in the lock (it is the thing being
# installed), and in hash-checking mode pip wants a hash for everything it installs, *and* it must
# not resolve the app's dependencies again.
#
# ## Runtime only <a id="runtime-only"></a>
#
# Test tools belong where the tests run, not in the image that serves. The app declares them as an
# extra (`test = ["pytest>=8"]`). The "today" build from above, and the same Dockerfile installing
# the app with its `test` extra, as a single-stage image that runs its tests in place would:

# %%
with_tests = lab.build(dockerfile=UNPINNED.format(cutoff="").replace("RUN pip install --no-cache-dir .",
                                                                          "RUN pip install --no-cache-dir '.[test]'"),
                       name="with the test extra")
runtime = drift["built today"]
course.run_command(["docker", "image", "inspect", "--format", "{{.Size}}", runtime.image.tags[0], with_tests.image.tags[0]], tail=2)
DEV = {"pytest", "pluggy", "iniconfig", "pygments"}
contents = {label: lock_demo.by_distribution(lab.layer_contents(built, "RUN pip install --no-cache-dir"))
            for label, built in {"runtime only": runtime, "with the test extra": with_tests}.items()}
extra = sorted(set(lock_demo.installed(lab, with_tests, show=False)) - set(sets["built today"]))
print(f"the test extra added {course.mb(with_tests.size - runtime.size)} to the image "
      f"({course.mb(runtime.size)} → {course.mb(with_tests.size)}, uncompressed), and these distributions: {', '.join(extra)}")
fig = reproducible_pictures.plot_install_layers(contents, DEV)

# %% [markdown]
# Those megabytes are the smaller cost. pytest in production is code nobody needs there: more to
# scan, more CVEs to triage, more for an attacker to use, and a test-only dependency can pull a
# runtime one to another version (here it needed `packaging`, already there for gunicorn; in a
# bigger app, two sets fight). Stage 3 already ran the tests in a stage of their own, so the final
# image never had pytest; stage 6 keeps it that way *and* makes the test tools as locked as the
# runtime ones. The grader looks for pytest, its companions and other test and dev
# tools in the final image only: a test stage may have them. Measured above, most of the cost is
# not pytest itself but `pygments`, a pytest dependency that highlights code in its reports.
#
# ## Build tools <a id="build-tools"></a>
#
# A lock pins what the app installs; the installers themselves are inputs too. A build that runs
# `pip install --upgrade pip`, or `pip install uv`, gets whatever release is newest that day, and
# the next release of an installer can change how every line after it resolves (pip 26.0 removed
# support for non-bare project names in egg fragments, for one: [pip changelog](https://pip.pypa.io/en/stable/news/)).
# Every build in this notebook installed its tools by exact version (`pip==26.0.1`,
# `pip-tools==7.6.2`, `uv==0.13.8`). What an unpinned upgrade would get today, against the image's
# own pip:

# %%
code, log = course.docker_run(lab, "python:3.13-slim", ["python", "-m", "pip", "--version"])
print("  " + log.strip())
code, log = course.docker_run(lab, "python:3.13-slim", ["python", "-m", "pip", "index", "versions", "pip"],
                              {"PIP_DISABLE_PIP_VERSION_CHECK": "1"})
print("  " + "\n  ".join(line[:110] for line in log.splitlines()[:2]))

# %% [markdown]
# The grader's `pinned-build-tools` (recommended) reads every `RUN` for an installer fetched by the
# build (pip, uv, pip-tools, …) and wants a version on each. The same goes for an installer copied
# from an image: uv's Docker guide copies the `uv` binary from `ghcr.io/astral-sh/uv`, and pins
# that image by version, or by digest ([uv: using uv in Docker](https://docs.astral.sh/uv/guides/integration/docker/)).
#
# ## Your turn <a id="exercise"></a>
#
# Make **`exercises/`** pass the stage-6 check, starting from your stage-5 files (or from solution 5:
# in a terminal, from the course folder, `.venv/bin/python -m graders start --stage 6` saves your
# files under `backups/` first).
#
# 1. Pin every `FROM` to a Python minor version and a Debian codename (or a digest).
# 2. Generate a lock for the app's runtime dependencies, with hashes, from `pyproject.toml`, **in a
#    container of your base image** (the walkthrough's commands), and keep it in `exercises/`. To
#    write the file into your workspace, mount it:
#    `docker run --rm -v "$PWD/exercises:/app" -w /app python:3.13-slim-trixie bash -c '…'` (the
#    file is then owned by root: `sudo chown "$USER" exercises/…` if you need to edit it).
# 3. Change the Dockerfile so that the image installs only what the lock says, with the hashes
#    enforced; then the app itself, without resolving anything again.
# 4. Keep pytest out of the final image; give the test stage its test tools in a locked,
#    reproducible way too.
# 5. Pin any installer your build fetches.
# 6. Try it in a terminal (from the course folder):
#
#    ```sh
#    docker build -t shortlinks:dev exercises/
#    docker run --rm shortlinks:dev python -m pip list     # compare with your lock
#    docker run --rm shortlinks:dev python -c "import pytest"   # should fail
#    ```
#
#    then change one hash in your lock, build again (it must fail), and change it back.
# 7. Run the check cell; repeat.
#
# The course's own files are in `solutions/stage6/`: they are there for after your attempt, to
# compare.
#
# ## Check your work <a id="check"></a>
#
# This cell grades `exercises/` with the graders of stages 1 to 6, as
# `python -m graders check --stage 6` does: it builds your image, compares its installed packages
# with your lock, builds it again with one hash of the lock changed, and looks for test tools in the
# final image. **Until every required practice passes, it ends with a red `AssertionError`: that is
# intended.** The report above the error says, for each failing practice, the line it concerns,
# what was observed, what was expected, and how to fix it. `pinned-build-tools` is recommended:
# reported and scored, it does not fail the cell.

# %% nbgrader={"grade": true, "grade_id": "stage6-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
report = course.check(stage=6)
assert report.exit_code == 0, "Not every required practice of stages 1-6 passes yet: the report above says which, where, and how to fix it."

# %% [markdown]
# ## Hints <a id="hints"></a>
#
# One per practice of this stage, from the catalogue. Open only the one you need.

# %%
course.hints(6)

# %% [markdown]
# ## Key points
#
# - A tag is a name its publisher moves: `python:3.13-slim` changed Debian in August 2025. Name the
#   Python minor version and the Debian release (`-slim-trixie`), or pin a digest and move it on
#   purpose; `docker build --pull` asks the registry whether a tag has moved.
# - Version ranges resolve differently on different days. A lock pins every transitive dependency
#   exactly, generated with pip-compile, uv or `pip lock` in the base image, committed, and updated
#   on purpose; the image must install exactly that set, and nothing resolved afresh.
# - Hashes name the bytes: in hash-checking mode a file that does not match its lock fails the
#   build, before it is installed.
# - Test and dev tools stay in a test stage; the final image holds the runtime set only.
# - Installers are inputs too: pin pip, uv and pip-tools when the build fetches them.
# - Stage 7 makes the build fast and the image small, without losing any of this.
#
# ## Clean up
#
# Remove the containers (the registry among them) and images this notebook made (also done when the
# kernel shuts down).

# %%
lab.close()
