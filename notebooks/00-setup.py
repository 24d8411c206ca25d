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
# # 00 · Set-up: is this machine ready?
#
# *Production-ready Docker packaging for Python* — a workshop in seven stages, after the
# EuroPython 2020 talk "Best practices for production-ready Docker packaging" by Itamar
# Turner-Trauring ([recording](https://av.tib.eu/media/49984), DOI 10.5446/49984), brought up to
# date for 2026.
#
# ## Objectives
#
# - Know what the course needs from your machine, and check it: a Docker engine, BuildKit, the
#   `python` base images, disk space.
# - Fix whatever the checks below mark ✘, with the command each one gives.
# - Know how a course notebook works: the why, a walkthrough that builds real images, your
#   exercise, a check cell that grades it, hints.
#
# **Time budget:** 20 min (checks 5, fixing what is missing 10, the course's layout 5).
#
# Run the cells from top to bottom (Shift+Enter). Nothing here changes your files; the test build
# below is removed again at once.
#
# JupyterLab serves the course folder. The file browser on the left shows `notebooks/`, where
# this notebook is; click the folder icon at the start of the path above the file list for the
# course folder itself, with `exercises/` (your workspace) and `notebooks/`. A terminal
# (File → New → Terminal) starts in the course folder: run the course's commands there with the
# course's Python, `.venv/bin/python -m graders …` (or `source .venv/bin/activate` once, then
# `python -m graders …`).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course

# %% [markdown]
# ## The checks
#
# Each row says what was found and, when something is missing, how to fix it. The cell takes a
# few seconds: it asks the engine, runs one tiny real build, and looks for a registry with a
# 3-second timeout.

# %%
checks = course.setup_checks()
course.show_checks(checks)

# %% [markdown]
# ### What each check is for
#
# - **Docker engine** and **docker CLI.** Graders and walkthroughs build and run real images; nothing
#   is mocked. On a Debian machine without one, `bash scripts/ensure-engine.sh` (as root, also
#   `make engine`) installs Debian's `docker.io` and starts it.
# - **BuildKit (`docker buildx`).** BuildKit has been Docker's default builder since Engine 23.0;
#   the classic builder is still there but only when you ask for it with `DOCKER_BUILDKIT=0`
#   ([moby v23.0.0 release notes](https://github.com/moby/moby/releases/tag/v23.0.0)), and it is
#   listed as deprecated since v23.0 ([docker/cli `docs/deprecated.md`](https://github.com/docker/cli/blob/master/docs/deprecated.md)).
#   The course builds with the `docker buildx build` command rather than the Python Docker SDK,
#   because the SDK can only drive the classic builder: BuildKit support has been an open issue
#   since 2019 ([docker/docker-py#2230](https://github.com/docker/docker-py/issues/2230)). The SDK
#   is still used to inspect and run the images.
# - **A BuildKit build works.** A two-line `FROM scratch` build, loaded into the engine and removed:
#   proof that the whole path works, not only that the pieces are installed.
# - **Registry.** Being offline is fine. When Docker Hub does not answer, `python -m graders images`
#   builds local *stand-ins* for `python:3.13-slim-trixie`, `python:3.13-slim` and
#   `python:3.13.5-slim-trixie` from Debian trixie packages, labelled as stand-ins
#   (`graders/images.py`). They behave like the official image where this course can tell (the
#   same tags, `python` and `pip` on `PATH`, the same `CMD`), but they are **not** the same
#   image, nor the same size: their files come from Debian's `python3` packages, not from a
#   CPython built by the image's maintainers. (Sizes: the table above gives the stand-in's
#   uncompressed size, as `docker image ls` does; the official image's published figures,
#   [docker-library/repo-info](https://github.com/docker-library/repo-info/tree/master/repos/python/remote),
#   are compressed download sizes, a different measure that cannot be compared with it.) A Dockerfile's
#   `# syntax=` line needs the registry too: offline, the grader builds a copy with that line
#   neutralised and says so in its report.
# - **Base images.** If a row is ✘, run `.venv/bin/python -m graders images` in a terminal from the
#   course folder (or `make images`). It keeps what is present, pulls what it can, and builds a stand-in
#   otherwise.
# - **Free disk space.** The course keeps at most a few images at a time (each notebook removes
#   what it built), but BuildKit's cache and pip's downloads grow during the day. The 5 GB
#   threshold is this course's own estimate, not a Docker requirement: the base image (size
#   above), one image per stage of about the same size while it is graded, and room for the
#   build cache. `docker builder prune` empties the cache when you need the space back.
# - **Leftovers.** Everything the graders and notebooks create carries the label
#   `org.dockercourse.grader` and is removed when they finish. After a crash,
#   `.venv/bin/python -m graders cleanup` removes what is left.

# %% [markdown]
# ## How the course is laid out
#
# The talk's process, in the course's seven stages: get something working, then security, then
# automated builds, identification and debugging, operational correctness, reproducible builds,
# and only then optimisation. Each stage is one notebook, graded cumulatively: stage N's check
# also checks every practice of stages 1 to N−1.
#
# Every stage notebook has the same parts:
#
# 1. **Objectives and a time budget**; the whole course fits a day and a half (plan below).
# 2. **Why**: the talk's example, and what changed between 2020 and 2026, each claim with its source.
# 3. **Walkthrough**: real images built and run from the notebook, with pictures drawn from what
#    was measured. The walkthroughs build the course's solution directories or Dockerfiles
#    written in the notebook, in temporary copies; they never touch your workspace.
# 4. **Exercise**: you edit `exercises/Dockerfile` (and friends) in JupyterLab's editor, opened
#    from the course folder in the file browser.
# 5. **Check**: a cell that grades `exercises/` with the same graders as `python -m graders check`
#    and shows the report. It fails (red `AssertionError`) until every required practice
#    passes; the report above the error says which, on which Dockerfile line, and how to fix it.
# 6. **Hints** from the course's practice catalogue (`graders/practices.toml`), in two levels and
#    folded: a nudge first, and behind it, only if you open it, the idea and where to read about
#    it. Neither gives the answer. **Key points** to take away.
#
# The course's own solutions are in `solutions/stageN/`, in the same folder as your workspace and
# open in the file browser: they are there for **after** your attempt, to compare. Peeking first
# costs you the exercise.
#
# If you fall behind, `.venv/bin/python -m graders start --stage N` (in a terminal, from the course folder)
# saves your packaging files under `backups/` and puts the previous stage's solution in
# `exercises/`, so you can start stage N with everyone else.
#
# ### The plan
#
# Read from the catalogue's agenda (`graders/practices.toml`): each notebook with its minutes, and
# the trainer's items between them, the opening, buffers for what a live room needs (set-up
# trouble, catching up) and the closing. It is the trainer's schedule too: the instructor guide,
# `docs/instructor.md`, prints the same table, generated from the same agenda.

# %%
course.show_plan()

# %% [markdown]
# The same practices, as the graders know them (this is what `python -m graders practices` prints):

# %%
for stage in (1, 2):
    course.practices(stage)

# %% [markdown]
# ## Ready?
#
# The last cell passes when no check above is ✘ (⚠ rows work, but read their note). Then open
# **01-working**.

# %%
assert all(c.ok for c in checks), "Fix the ✘ rows of the table above, then run this notebook again."
