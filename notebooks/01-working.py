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
# # 01 · Get something working
#
# Stage 1 of 7. The learner's question: **does `docker run IMAGE` serve the app?**
#
# ## Objectives
#
# By the end of this notebook you can:
#
# - build an image with BuildKit and read what each Dockerfile instruction added to it;
# - say why the course starts from the official Debian-based `python` image, and what its tags
#   mean in 2026;
# - give the app a working directory of its own, a default command, and a port that is
#   reachable from outside the container;
# - make `exercises/Dockerfile` pass the stage-1 check.
#
# **Time budget:** 45 min (why 5, walkthrough 15, exercise 20, check, hints and discussion 5).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course

lab = course.Lab("01-working")   # labels everything this notebook builds or runs; the last cell removes it

# %% [markdown]
# ## Why this stage comes first
#
# Itamar Turner-Trauring's EuroPython 2020 talk "Best practices for production-ready Docker
# packaging" ([recording](https://av.tib.eu/media/49984)) orders the work: first get
# *something* working, then make it secure, then build it automatically, and so on; optimising
# image size comes last. This course follows that order, one notebook per stage. An image
# that does not run cannot be made secure, tested in CI or measured, so stage 1 asks for one
# thing only: an image that, started with no arguments, serves the app, the way every
# orchestrator starts it.
#
# The talk's starting Dockerfile was about this short, in spirit (paraphrased, not quoted: the
# course could not check the recording's exact lines or the minute they appear):
#
# ```dockerfile
# FROM python:3.8-slim-buster
# COPY . .
# RUN pip install .
# ```
#
# the official Python 3.8 image on Debian 10 "buster", the whole directory copied in, the app
# installed. The naive Dockerfile below is the same three lines brought to 2026 (`python:3.13-slim`),
# with the mistakes the course's starter makes on purpose.
#
# The talk's own example of choosing a base image carelessly: installing pandas and matplotlib
# took about 30 s on the Debian-based official Python 3.8 image and about 1500 s on its Alpine
# variant, 50× slower, because on Alpine every C extension had to be compiled (the talk at about
# 25:00; [pythonspeed.com, "Using Alpine can make Python Docker builds 50× slower"](https://pythonspeed.com/articles/alpine-docker-python/)).
#
# ### What changed between the talk (2020) and 2026 (as of 2026-12)
#
# | | 2020 | 2026 | source |
# |---|---|---|---|
# | Builder | the classic builder by default; BuildKit opt-in | BuildKit is the default builder since Docker Engine 23.0; the classic one runs only with `DOCKER_BUILDKIT=0` and is listed as deprecated | [moby v23.0.0 release notes](https://github.com/moby/moby/releases/tag/v23.0.0); [docker/cli `deprecated.md`](https://github.com/docker/cli/blob/master/docs/deprecated.md) |
# | Python in the image | the talk's examples used Python 3.8 (end of life 2024-10-07) | 3.10 reached end of life in October 2026 and 3.9 on 2025-10-31; 3.11–3.14 are supported, and 3.15's first release was scheduled for 2026-10-01 (PEP 790). The course's 3.13 (first released 2024-10-07) is supported to 2029-10; under the annual cycle its two years of bugfix releases are over, so it now gets security fixes only. `python:3` follows the newest line: stage 6 pins a minor version | [devguide: status of Python versions](https://devguide.python.org/versions/); [PEP 602](https://peps.python.org/pep-0602/); [PEP 719](https://peps.python.org/pep-0719/); [PEP 790](https://peps.python.org/pep-0790/) |
# | Debian under `-slim` | Debian 10 "buster" was stable (2019-07-06 to 2021-08-14) | Debian 13 "trixie" is stable (released 2025-08-09); the bare `-slim` tag now means `-slim-trixie`; bookworm is oldstable and only under explicit `-bookworm` tags | [debian.org: buster](https://www.debian.org/releases/buster/); [hub.docker.com/_/python](https://hub.docker.com/_/python); [debian.club EOL table](https://www.debian.club/en/eol) (2026-07-03) |
# | Alpine | 50× slower installs of pandas + matplotlib: no wheels for musl, everything compiled | musllinux wheels ([PEP 656](https://peps.python.org/pep-0656/), 2021) closed the gap for the talk's own example: on 2026-12-03 PyPI had `musllinux_1_2_x86_64` wheels for CPython 3.13 of pandas 3.1.1, matplotlib 3.11.2 and numpy 2.4.6 (asked with `pip install --dry-run --only-binary=:all: --platform musllinux_1_2_x86_64 --python-version 3.13 pandas matplotlib numpy`). It stays open for every package that publishes manylinux wheels only, which then compiles on Alpine: stage 7's `not-alpine` | the talk (said at about 25:00; minute not re-checked); [PEP 656](https://peps.python.org/pep-0656/); [pythonspeed.com](https://pythonspeed.com/articles/alpine-docker-python/); pip against PyPI, 2026-12-03 |
# | Building from Python code | the Python Docker SDK drives the classic builder only (BuildKit support requested in 2019) | the Python Docker SDK still only drives the classic builder; BuildKit support is an open issue since 2019, so this course builds with the `docker buildx build` command | [docker/docker-py#2230](https://github.com/docker/docker-py/issues/2230) |
#
# ## What the grader checks in stage 1
#
# Straight from the course's practice catalogue (`graders/practices.toml`); each practice links to
# the section below that teaches it.

# %%
course.practices(1)

# %% [markdown]
# ## Build it <a id="build-it"></a>
#
# The starting point is the naive Dockerfile that `exercises/Dockerfile` holds (without its TODO
# comments): start from the official image, copy everything in, install the package.

# %%
NAIVE = """\
FROM python:3.13-slim
ADD . .
RUN pip install .
"""
course.show_dockerfile(NAIVE)

# %% [markdown]
# Build it for real, with BuildKit, over a temporary copy of the sample app (your `exercises/`
# folder is not touched). The line below the cell shows the step BuildKit is working on; the
# first build downloads Flask, gunicorn and orjson from PyPI, later builds reuse BuildKit's cache.

# %%
naive = lab.build(dockerfile=NAIVE, name="naive")
print(f"image {naive.image.short_id}, {course.mb(naive.size)}")

# %% [markdown]
# It builds. A build that fails is the first thing the grader reports (`image-builds`), with the
# failing step and the tail of its log; every other practice is then reported as *error*, "not
# checked", because there is no image to check.
#
# ## Choose a base image <a id="choose-a-base-image"></a>
#
# The official `python` image comes in Debian-based variants (`trixie`, `slim-trixie`, and the
# same for `bookworm`) and Alpine ones ([hub.docker.com/_/python](https://hub.docker.com/_/python)).
# Compressed sizes on linux/amd64, July–August 2026, from
# [docker-library/repo-info](https://github.com/docker-library/repo-info/tree/master/repos/python/remote):
#
# | tag | compressed size | what is in it |
# |---|---|---|
# | `python:3-trixie` | 414.7 MB | its largest layer is 236 MB of build tools (buildpack-deps) |
# | `python:3-slim-trixie` | 43.4 MB | Debian 29.8 MB + ca-certificates/netbase/tzdata 1.3 MB + CPython 12.4 MB |
# | `python:3-alpine3.24` | 20.4 MB | musl instead of glibc: manylinux wheels do not install on it (see the 2020 example above) |
#
# These are compressed sizes, what a registry stores and a pull downloads. What `docker image ls`,
# `docker history` and this notebook show is the uncompressed size on disk, a different measure:
# never compare one with the other. (An uncompressed comparison from 2019, for the record: `3.7`,
# `3.7-slim-stretch` and `3.7-alpine` were 929, 147 and 87 MB,
# [Dmitry Figol's slides](https://slides.com/dmfigol/optimizing-docker-builds-for-python-applications).)
# The course uses `python:3.13-slim` ("slim" is Debian without the build tools). Stage 6 will
# pin it more precisely; the official image's docs recommend naming the Debian codename "to
# minimize breakage when there are new releases of Debian" ([hub.docker.com/_/python](https://hub.docker.com/_/python)).
#
# Where does the naive image's size come from? `docker history` lists every instruction that
# made it, with the size of the layer each one added (left). On the right, the files in the
# `RUN pip install .` layer, read one by one from `docker save` output and grouped by Python
# distribution. Both measured now, on this machine (uncompressed):

# %%
print(f"base image {naive.base_reference}: {course.mb(naive.base_image.attrs['Size'])}, {naive.base_origin}")
contents = lab.layer_contents(naive, "RUN pip install")
fig = course.plot_layers(naive, contents, "RUN pip install .")

# %% [markdown]
# The same history without the course's helpers, as you would ask for it in a terminal:

# %%
course.run_command(["docker", "history", "--format", "{{.Size}}\t{{.CreatedBy}}", naive.image.tags[0]])

# %% [markdown]
# Almost all of the image is the base (grey). The app's own layers (blue) are its files
# (`ADD . .`) and what `pip install .` wrote: its dependencies and, smallest of them, the app
# itself (`shortlinks`). Two things in the right panel are worth a second look:
#
# - **pip** is in a layer that did not install pip. Running pip compiled its own modules to
#   `.pyc` files, and a step stores every file it creates or changes, whole, in its layer. The
#   official image ships no `.pyc` under `/usr/local` at all: its build deletes them
#   ([docker-library/python](https://github.com/docker-library/python), the `find /usr/local … -name '*.pyc' … -exec rm -rf` step),
#   so there the first pip run creates them. Stage 5 (bytecode) and stage 7 (size) come back to this.
# - `/build` and `/src/…egg-info`: leftovers of building the package in `/`, the naive image's
#   working directory (next section).
#
# The offline stand-in base is imported in one piece, so its history has a single entry; the
# official image pulled from Docker Hub shows one entry per instruction of *its* Dockerfile.
# Either way, your Dockerfile decides a small part of the size and all of the behaviour.
#
# ## A home for the app <a id="a-home-for-the-app"></a>
#
# The naive Dockerfile has no `WORKDIR`, so `ADD . .` copied the app into `/`, the base image's
# working directory. List `/` in a container of the naive image:

# %%
code, listing = lab.run_once(naive, ["ls", "-A", "/"])
print(listing)

# %% [markdown]
# The app's `pyproject.toml`, `src/`, `tests/`, `README.md` (and `.env`: stage 2's problem) sit
# among `bin`, `etc` and `usr`. Docker's guide says "For clarity and reliability, you should
# always use absolute paths for your `WORKDIR`" ([Dockerfile best practices](https://docs.docker.com/build/building/best-practices/#workdir));
# `WORKDIR` also creates the directory if it does not exist
# ([Dockerfile reference](https://docs.docker.com/reference/dockerfile/#workdir)).
#
# ## Run it <a id="run-it"></a>
#
# Now the question of the stage: `docker run IMAGE`, with no arguments.

# %%
first = lab.run(naive)              # like `docker run IMAGE`: no command given
code, seconds = first.wait_exit()
print(f"image CMD {naive.config['Cmd']}: the container stopped after {seconds:.1f} s with exit code {code}")
print("its log:", first.logs() or "(empty)")
course.run_command(["docker", "image", "inspect", "--format", "Cmd={{json .Config.Cmd}} WorkingDir={{json .Config.WorkingDir}}", naive.image.tags[0]])

# %% [markdown]
# The naive image has no command of its own, so it inherits the base image's `CMD ["python3"]`:
# an interactive Python that, with no terminal attached, reads end-of-file and exits at once. An
# image's `CMD` supplies "defaults for an executing container"
# ([Dockerfile reference](https://docs.docker.com/reference/dockerfile/#cmd)); use the JSON
# (exec) form, whose reasons stage 5 measures. The app's README says how it is served: gunicorn,
# the production server, on port 8000.
#
# ## Ports <a id="ports"></a>
#
# Start gunicorn in the naive image by hand (a `docker run IMAGE COMMAND…` override), once with
# gunicorn's default address and once bound to all interfaces, and ask for `/healthz` from
# outside the container, through the published port:

# %%
loopback = lab.run(naive, ["gunicorn", "shortlinks.wsgi:app"])   # gunicorn's default address
answer = loopback.wait_for_http(limit=8)
print("inside the container, gunicorn listens on:", loopback.listening())
print("GET /healthz from outside:", answer.problem)

# %%
everywhere = lab.run(naive, ["gunicorn", "--bind", "0.0.0.0:8000", "shortlinks.wsgi:app"])
answer = everywhere.wait_for_http()
print("inside the container, gunicorn listens on:", everywhere.listening())
print(f"GET /healthz from outside: HTTP {answer.status} after {answer.seconds:.1f} s:", everywhere.get("/healthz")[1])

# %% [markdown]
# gunicorn binds `127.0.0.1:8000` unless told otherwise ([gunicorn settings: `bind`](https://docs.gunicorn.org/en/stable/settings.html#bind);
# measured above). Inside a container, 127.0.0.1 is the *container's* loopback: the published
# port forwards to the container's network interface, where nothing listens, so the connection
# is closed. Bound to 0.0.0.0, the same server answers.
#
# `EXPOSE` does not publish anything: it "functions as a type of documentation between the
# person who builds the image and the person who runs the container, about which ports are
# intended to be published" ([Dockerfile reference](https://docs.docker.com/reference/dockerfile/#expose)).
# The grader reads the listening sockets from `/proc/net/tcp` in the running container, as
# the cells above do, and compares them with what the image exposes.
#
# ## COPY, not ADD <a id="copy-not-add"></a>
#
# hadolint, the Dockerfile linter the graders use, on the naive Dockerfile (run here, for real):

# %%
findings = course.hadolint(NAIVE)

# %% [markdown]
# `ADD` also fetches remote URLs and Git repositories and unpacks local tar archives; `COPY` only
# copies, so Docker's guide recommends `COPY` for files from the build context
# ([Dockerfile best practices: ADD or COPY](https://docs.docker.com/build/building/best-practices/#add-or-copy);
# [hadolint DL3020](https://github.com/hadolint/hadolint/wiki/DL3020)). The DL3042 warning
# (pip's cache kept in the image) is stage 7's business (`no-package-cache`); leave it for now.
#
# ## Your turn <a id="exercise"></a>
#
# Edit **`exercises/Dockerfile`** until the check below passes.
#
# 1. Open it in JupyterLab's editor: click [exercises/Dockerfile](../exercises/Dockerfile), or, in
#    the file browser on the left, click the folder icon at the start of the path above the file
#    list (the course folder), double-click `exercises`, then `Dockerfile`. Save with Ctrl+S (⌘S on
#    a Mac): the check reads the file on disk.
# 2. The TODO comments in the file say what is missing. The sections above show why; the hints
#    below nudge, without giving the answer.
# 3. Optional, to see it yourself: open a terminal (File → New → Terminal; it starts in the
#    course folder) and run `docker build -t shortlinks:dev exercises/`, then
#    `docker run --rm -p 8000:8000 shortlinks:dev`, and in a second terminal
#    `curl -s localhost:8000/healthz`. Stop the container with Ctrl+C.
# 4. Run the check cell. Repeat until it passes.
#
# The course's own answer is in `solutions/stage1/` (the file browser shows it, like everything
# else in the course folder): it is there for **after** your attempt, to compare. The hints below
# come first, and in two levels.
#
# Lost, or want to start over? In a terminal, from the course folder:
# `.venv/bin/python -m graders start --stage 1` saves your packaging files to `backups/` and puts
# the starter back. (Before notebook 02, `--stage 2` gives you this stage's solution to start
# from.)
#
# ## Check your work <a id="check"></a>
#
# This cell grades `exercises/` with the stage-1 graders, the same as
# `python -m graders check --stage 1`: it builds your image, runs it, probes it, and shows the
# report. **Until every required practice passes it ends with a red `AssertionError`: that is
# intended.** Read the report above the error: each failing practice names the Dockerfile line,
# what was observed, what was expected, and how to fix it.

# %% nbgrader={"grade": true, "grade_id": "stage1-check", "locked": true, "points": 5, "schema_version": 3, "solution": false}
report = course.check(stage=1)
assert report.exit_code == 0, "Not every required practice of stage 1 passes yet: the report above says which, where, and how to fix it."

# %% [markdown]
# ## Hints <a id="hints"></a>
#
# One per practice, from the catalogue, in two levels: open a practice for why it matters and a
# nudge; open "Still stuck?" inside it for the idea behind it and where to read about it. Neither
# is the answer. (In a terminal or a plain-text front end, `course.more_hint("serves-on-run")`
# shows the second level of one practice.)

# %%
course.hints(1)

# %% [markdown]
# ## Key points
#
# - Stage 1 is done when `docker run IMAGE`, with no arguments, serves the app; everything later
#   builds on that.
# - Start from the official Debian-based `python` image; `slim` leaves out the build tools, and in
#   2026 the bare `-slim` tag means Debian trixie.
# - BuildKit is Docker's default builder; each instruction is a build step, and `docker history`
#   shows the layer each one added. Most of the image is the base.
# - Give the app an absolute `WORKDIR` of its own; copy with `COPY`; set a default command in JSON
#   form; bind 0.0.0.0 inside the container; `EXPOSE` documents the port, `docker run -p`
#   publishes it.
# - The stage-1 image still runs as root and carries `.env` (with its secret) in a layer: that is
#   stage 2.
#
# ## Clean up
#
# Remove the containers and images this notebook made (also done when the kernel shuts down).

# %%
lab.close()
