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
# # 04 · Identify and debug
#
# Stage 4 of 7. The learner's question: **which code is this, and what happened when it crashed?**
#
# ## Objectives
#
# By the end of this notebook you can:
#
# - make a crash in C code leave a Python traceback in the container's log, and read it;
# - make what the app prints reach `docker logs` when it is printed, not when a buffer fills, and
#   send the server's access log there too;
# - make the running app report the commit it was built from;
# - label the image with the OCI keys naming its revision, source, version and build time, and read
#   them back from the image and from the registry;
# - place per-commit metadata after the expensive steps, so that building a new commit reuses every
#   layer before it;
# - make `exercises/` pass the stage-4 check (which re-checks stages 1 to 3).
#
# **Time budget:** 55 min (why 5, walkthrough 20, exercise 20, check, hints and discussion 10).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course

lab = course.Lab("04-debug")   # labels everything this notebook builds or runs; the last cell removes it

# %% [markdown]
# ## Why: a crash you can read, an image you can name
#
# When something breaks in production, two questions come first: *which code is running?* and
# *what did it do before it died?* The talk ([EuroPython 2020 recording](https://av.tib.eu/media/49984))
# makes the image answer both. Its example of the second: Python code that crashes inside C code (an
# extension module, a `ctypes` call) is killed by the kernel with SIGSEGV before Python can print
# anything; the container's log is empty and all you have is an exit code. The standard library's
# `faulthandler` installs a handler for that signal which prints the Python traceback first. And
# the image should say where it came from: the commit, in the image's metadata and in the running
# app.
#
# ### What changed between the talk (2020) and 2026
#
# | | 2020 | 2026 | source |
# |---|---|---|---|
# | Tracebacks on a crash | `faulthandler`, in the standard library since Python 3.3, switched on with `PYTHONFAULTHANDLER` or `-X faulthandler` | the same; Python 3.14 (October 2025) can also dump the C stack (`faulthandler.dump_c_stack()`, and `enable(c_stack=True)` by default); the course's images run 3.13 | [faulthandler docs](https://docs.python.org/3/library/faulthandler.html); [typeshed: the 3.14 signatures](https://github.com/python/typeshed/pull/14757) |
# | Buffered output | `PYTHONUNBUFFERED=1` | still needed for stdout, which is "block-buffered like regular text files" when not interactive; stderr has been line-buffered since Python 3.9; `docker init`'s Python template sets `PYTHONUNBUFFERED=1` | [`sys.stdout`](https://docs.python.org/3/library/sys.html#sys.stdout); `docker init` output ([copy](https://huggingface.co/spaces/dilipdmn91/saliency-cpu)) |
# | Image metadata | Label Schema's `org.label-schema.*` labels were common; the OCI image spec's `org.opencontainers.image.*` keys existed (image-spec v1.0.0, July 2017) | the OCI keys: Label Schema's are "now superseded by annotations with keys starting **org.opencontainers.image**"; `docker/metadata-action` sets them from the Git context in GitHub Actions; BuildKit can also attach a provenance attestation (`docker buildx build --provenance`) recording how an image was built | [image-spec annotations.md](https://github.com/opencontainers/image-spec/blob/main/annotations.md); [docker/metadata-action](https://github.com/docker/metadata-action); [Docker: provenance attestations](https://docs.docker.com/build/metadata/attestations/slsa-provenance/) |
# | Build arguments and the cache | documented since 2015: "If a Dockerfile defines an `ARG` variable whose value is different from a previous build, then a 'cache miss' occurs upon its first usage" | unchanged with BuildKit, the default builder since Engine 23.0: every `RUN` after an `ARG` uses it, so a per-commit `ARG` early in the file rebuilds everything after it | [Dockerfile reference: ARG, impact on build caching](https://docs.docker.com/reference/dockerfile/#impact-on-build-caching); [moby v23.0.0](https://github.com/moby/moby/releases/tag/v23.0.0) |
#
# ## What the grader checks in stage 4
#
# From the catalogue; stages 1 to 3 are checked again.

# %%
course.practices(4)

# %% [markdown]
# How: `faulthandler` segfaults a container of your image (`python -c "import ctypes; ctypes.string_at(0)"`),
# and the running server's own worker; `unbuffered-output` prints a line at start-up and reads
# `docker logs` for it; `logs-to-stdout` makes one request and looks for its access-log line. The
# other three look at what your stage-3 `build.sh` built on `main`, the way anyone who pulls it
# would: `oci-labels` reads the pushed image's labels from the registry, `version-visible` runs the
# pushed image and asks `GET /version`, and `volatile-metadata-last` compares the layers of two
# builds of `main` that differ by their commit alone. So stage 4 changes the Dockerfile and, for the
# labels and the commit, `build.sh`.
#
# ## The starting point: solution 3
#
# Stage 4 starts where stage 3 ended (`.venv/bin/python -m graders start --stage 4` puts solution 3
# in your `exercises/`). Its final image:

# %%
start = lab.build("solutions/stage3", name="stage 3 solution")
IMAGE = start.image.tags[0]
print("the Lab's tag for it:", IMAGE)

# %% [markdown]
# ## Faulthandler <a id="faulthandler"></a>
#
# The same segfault twice in the course's base image, `python:3.13-slim`: as it is, and with
# `PYTHONFAULTHANDLER=1` (the grader's crash, `course.SEGFAULT`):

# %%
for environment in ({}, {"PYTHONFAULTHANDLER": "1"}):
    code, log = course.docker_run(lab, "python:3.13-slim", ["python3", "-c", course.SEGFAULT], environment)
    print(f"  → exit code {code}; the container's log:", ("\n" + log.rstrip()) if log.strip() else "(empty)", "\n")

# %% [markdown]
# Both exit with 139: 128 plus the number of the signal that killed the process, 11, SIGSEGV
# ([signal(7)](https://man7.org/linux/man-pages/man7/signal.7.html)). Without faulthandler that is
# all there is. With it, the log names the fault and the Python stack at that moment, most recent
# call first: the `ctypes` call that faulted, and the line of the program that made it. In an app
# the frames below lead back to your own code. The dump is minimal by design, since it runs inside a
# signal handler: at most 100 frames and 100 threads, strings cut at 500 characters, ASCII only, no
# source lines ([faulthandler docs](https://docs.python.org/3/library/faulthandler.html)). It
# costs nothing until a crash happens.
#
# The grader crashes a container of your image the same way, and then the running server's worker
# (it sends SIGSEGV to the youngest Python process, which runs faulthandler's handler exactly as a
# real fault would): faulthandler enabled for every Python in the image, or only for the server's
# process, both pass.
#
# ## Unbuffered output <a id="unbuffered"></a>
#
# The app prints one line at start-up, on stdout: `shortlinks 1.0.0 (commit …) starting; database …`
# (`exercises/src/shortlinks/app.py`); gunicorn logs on stderr. Three containers of the stage-3 image,
# started side by side: as built, stopped with `docker stop` after 3.5 s; with `PYTHONUNBUFFERED=1`;
# as built, killed with `docker kill` after 3.5 s. Each container's log is read every 0.1 s
# (`docker logs --tail 200`, as the grader reads it) and each line timed from its `docker run`:

# %%
setups = {"as built, then docker stop": {}, "PYTHONUNBUFFERED=1": {"PYTHONUNBUFFERED": "1"},
          "as built, then docker kill": {}}
runs = {}
for label, environment in setups.items():
    print(course.docker_run_line(IMAGE, environment=environment, detach=True, publish=["127.0.0.1::8000"]))
    runs[label] = lab.run(start, environment=environment)
stopped, killed = runs["as built, then docker stop"], runs["as built, then docker kill"]
seen = course.watch_logs(runs, 6.0, actions={
    "as built, then docker stop": (3.5, "docker stop", lambda: stopped.container.stop(timeout=10)),
    "as built, then docker kill": (3.5, "docker kill", killed.container.kill),
})
for label, watched in seen.items():
    when = watched.first("starting; database")
    print(f"{label:28} the app's start-up line reached the log "
          + (f"after {when:.1f} s" if when is not None else "never (in 6 s)")
          + "".join(f"; {what} at {at:.1f} s" for at, what in watched.events))
fig = course.plot_log_arrivals(seen, "starting; database", 6.0)

# %% [markdown]
# With `PYTHONUNBUFFERED=1` the line is in the log as soon as it is printed. Without it, stdout is
# "block-buffered like regular text files" when it is not a terminal
# ([`sys.stdout`](https://docs.python.org/3/library/sys.html#sys.stdout)), and a container's stdout
# is a pipe: the line waits in an 8 KiB buffer of the worker until the buffer fills or the process
# exits cleanly. `docker stop` let gunicorn's worker exit cleanly, so the line arrived, late, at the
# stop; `docker kill` (SIGKILL, what an out-of-memory kill does too) gave the process no chance, and
# the line never arrived. The last lines before a crash are exactly the ones you need. gunicorn's
# own lines came through in all three: they go to stderr, which Python line-buffers. The grader
# allows a line printed at start-up `course.FLUSH_SECONDS` seconds to appear:

# %%
print(f"{course.FLUSH_SECONDS:.0f} s")

# %% [markdown]
# ## Logs to stdout <a id="logs"></a>
#
# Docker keeps what a container writes to stdout and stderr, and `docker logs` shows it
# ([docker container logs](https://docs.docker.com/reference/cli/docker/container/logs/)); a log
# *file* inside the container is invisible to it and goes with the container. "A twelve-factor app
# never concerns itself with routing or storage of its output stream"
# ([The Twelve-Factor App: logs](https://12factor.net/logs)). One request to the stage-3 image, then
# its log and the files the container changed:

# %%
app = lab.run(start)
app.wait_for_http()
status, body = app.get("/version")
print(f"GET /version → HTTP {status}: {body.strip()}")
course.run_command(["docker", "logs", "--tail", "4", app.container.name])
course.run_command(["docker", "diff", app.container.name])

# %% [markdown]
# gunicorn's start-up lines are there; the request is not. gunicorn writes an access log only when
# told where: its `accesslog` setting has no default destination, while its error log goes to
# stderr by default ([gunicorn settings: accesslog, errorlog](https://docs.gunicorn.org/en/stable/settings.html#accesslog)).
# `docker diff` lists what the container added (A), changed (C) or deleted (D) outside its volumes:
# no log file, and none should appear once the access log is on.
#
# ## The version <a id="version"></a>
#
# The app reports the commit it was built from on `GET /version`, read from the environment variable
# `GIT_COMMIT` (`exercises/README.md`). The stage-3 image, as built, and with the course
# repository's current commit given at `docker run`:

# %%
commit = course.run_command(["git", "rev-parse", "HEAD"], cwd=course.ROOT, tail=1)
sha = commit.output[-1] if commit.ok else "0123456789abcdef0123456789abcdef01234567"   # (no git clone: made up)
for environment in ({}, {"GIT_COMMIT": sha}):
    print(course.docker_run_line(IMAGE, environment=environment, detach=True, publish=["127.0.0.1::8000"]))
    running = lab.run(start, environment=environment)
    running.wait_for_http()
    print("  GET /version →", running.get("/version")[1].strip())

# %% [markdown]
# `-e GIT_COMMIT=…` works, but only for whoever starts the container and knows the commit. The
# grader runs the image your `build.sh` pushed the way anyone would, with no `-e`: the image has to
# carry its commit itself. `build.sh` knows it (stage 3 tagged the image with it); a build argument
# can bring it into the build, and an `ENV` can keep it in the image
# ([Dockerfile reference: ARG](https://docs.docker.com/reference/dockerfile/#arg),
# [ENV](https://docs.docker.com/reference/dockerfile/#env)). Where that goes in the Dockerfile
# matters: see the last section.
#
# ## Labels <a id="labels"></a>
#
# Labels are key-value metadata in the image's config (`Config.Labels`), set with a `LABEL`
# instruction or with `docker buildx build --label KEY=VALUE`, and inherited from the base image.
# The OCI image spec reserves the `org.opencontainers.image.*` keys, among them
# ([annotations.md](https://github.com/opencontainers/image-spec/blob/main/annotations.md)):
#
# | key | the spec's definition |
# |---|---|
# | `org.opencontainers.image.created` | "date and time on which the image was built, conforming to RFC 3339" |
# | `org.opencontainers.image.source` | "URL to get source code for building the image" |
# | `org.opencontainers.image.version` | "version of the packaged software" |
# | `org.opencontainers.image.revision` | "Source control revision identifier for the packaged software" |
# | `org.opencontainers.image.title`, `.description`, `.licenses`, `.url`, … | a title, a description, an SPDX licence expression, a URL, … |
#
# The grader wants the first four, `revision` being the commit built, `created` a valid RFC 3339
# time (`2026-12-02T18:13:33Z`). Solution 3's `build.sh` already sets them (stage 3 did not grade
# them); yours may not. Here, a build of the stage-3 solution with two static OCI labels added, and
# its labels as `docker image inspect` shows them:

# %%
labelled = lab.build("solutions/stage3", name="labelled", append="""\
LABEL org.opencontainers.image.title="shortlinks" \\
      org.opencontainers.image.licenses="MIT"
""")
course.run_command(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", labelled.image.tags[0]], tail=1)

# %% [markdown]
# Three kinds of label are there: the two added by `LABEL`; the base image's own, inherited (offline,
# the stand-in base says what it is; the official image sets none); and `org.dockercourse.grader*`,
# which the Lab put on with `docker buildx build --label …` on the command line, the way the grader
# labels everything it builds. A value that changes with every commit can come either way; the
# next section shows why its place in the Dockerfile, or its absence from it, matters.
#
# ## Cache-friendly metadata <a id="cache-friendly-metadata"></a>
#
# Two Dockerfiles that differ from solution 3 by the same two lines, a per-commit build argument and
# a label made of it, placed before the dependency install or after it (at the end):

# %%
import difflib, secrets

STAGE3 = (course.ROOT / "solutions/stage3/Dockerfile").read_text()
PER_COMMIT = "ARG BUILD_COMMIT\nLABEL demo.build-commit=$BUILD_COMMIT\n"
variants = {
    "ARG before the install": STAGE3.replace("COPY pyproject.toml ./", PER_COMMIT + "COPY pyproject.toml ./", 1),
    "ARG after the install": STAGE3.rstrip("\n") + "\n" + PER_COMMIT,
}
for label, text in variants.items():
    print(f"── {label} ──")
    print("".join(line for line in difflib.unified_diff(STAGE3.splitlines(True), text.splitlines(True), n=1)
                  if not line.startswith(("---", "+++"))))

# %% [markdown]
# Each is built twice, for two new made-up commits (new on every run of this notebook, so nothing
# comes from the cache by accident), and each build is pushed to a registry of this notebook's own,
# as `build.sh` would push it; then the layers are compared as the grader compares them, from each
# image's manifest and config in the registry.

# %%
registry = course.DemoRegistry(lab)
pairs, seconds = {}, {}
for label, text in variants.items():
    pushed = []
    for n in (1, 2):
        build_commit = secrets.token_hex(20)
        built = lab.build("solutions/stage3", dockerfile=text, build_args={"BUILD_COMMIT": build_commit},
                          name=f"{label}, commit {n}")
        print(course.command_line(["docker", "buildx", "build", "--build-arg", f"BUILD_COMMIT={build_commit}",
                                   "--tag", built.image.tags[0], "."]), "  (and the Lab's --label options)")
        seconds[label, n] = built.result.seconds
        tag = f"{label.split()[1]}-{build_commit[:12]}"
        registry.push(built, "metadata", tag)
        pushed.append(course.pushed_image(registry, "metadata", tag, f"commit {build_commit[:12]}"))
    pairs[label] = tuple(pushed)

# %%
for label, (first, second) in pairs.items():
    print(f"{label}: built in {seconds[label, 1]:.1f} s, then {seconds[label, 2]:.1f} s for the next commit; "
          f"{course.shared_layers(first, second)} of {len(second.diff_ids)} layers shared; "
          f"a host holding the first image pulls {course.mb(course.new_bytes(first, second))} for the second")
fig = course.plot_layer_reuse(pairs, base_layers=len(start.base_layer_ids))

# %% [markdown]
# With the argument declared before the install, the install ran again for the second commit (its
# time above) and made a new layer with the same files: every `RUN` after an `ARG` runs with it in its
# environment, so its value is part of that step's cache key. The config's history shows it: the
# install step is recorded as `RUN |1 BUILD_COMMIT=… pip install …` (shortened above as
# `RUN BUILD_COMMIT=…`). Declared after, every layer was reused and the second build took a fraction
# of a second; only the image's config (its label) differs. On this small app the install is a few
# seconds and a few MB; on an app with large dependencies it is minutes and hundreds of MB, on every
# commit, in CI and on every host that pulls.
#
# And what anyone who can pull the image sees of its labels: its manifest names a config blob,
# whose `config.Labels` are the labels (the grader's `oci-labels` reads them this way):

# %%
first, second = pairs["ARG after the install"]
labels = registry.labels("metadata", second.reference.rsplit(":", 1)[1])
print({key: value for key, value in labels.items() if key.startswith(("demo.", "org.opencontainers."))})

# %% [markdown]
# ## Your turn <a id="exercise"></a>
#
# Make **`exercises/`** pass the stage-4 check, starting from your stage-3 files (or from solution 3:
# in a terminal, from the course folder, `.venv/bin/python -m graders start --stage 4` saves your
# files under `backups/` first).
#
# 1. In **`exercises/Dockerfile`**: faulthandler and unbuffered output for the app's Python; the
#    server's access log on stdout; the commit as the app's `GIT_COMMIT`, coming in late enough that
#    a new commit reuses the install.
# 2. In **`exercises/build.sh`**: pass the commit into the build, and set the four OCI labels
#    (`revision`, `source`, `version`, `created`), if your stage-3 script does not already.
# 3. Try it in a terminal (from the course folder):
#
#    ```sh
#    docker build -t shortlinks:dev exercises/
#    docker run --rm shortlinks:dev python -c "import ctypes; ctypes.string_at(0)"; echo "exit $?"
#    docker run -d --name sl -p 127.0.0.1:8000:8000 shortlinks:dev
#    curl -s localhost:8000/version; docker logs sl; docker rm -f sl
#    ```
#
#    and, with the registry of notebook 03's "Your turn" running, your `build.sh`, then
#    `docker image inspect --format '{{json .Config.Labels}}' 127.0.0.1:5000/shortlinks:latest`.
# 4. Run the check cell; repeat.
#
# The course's own files are in `solutions/stage4/` (its `Dockerfile`; `build.sh` and the workflow
# are solution 3's, unchanged): they are there for after your attempt, to compare.
#
# ## Check your work <a id="check"></a>
#
# This cell grades `exercises/` with the graders of stages 1 to 4, as
# `python -m graders check --stage 4` does: it builds and runs your image, crashes it, reads its log,
# runs your `build.sh` as stage 3 did, and looks at what it pushed. **Until every required practice
# passes, it ends with a red `AssertionError`: that is intended.** The report above the error says,
# for each failing practice, the line it concerns, what was observed, what was expected, and how to
# fix it. `logs-to-stdout` and `volatile-metadata-last` are recommended: reported and scored, they
# do not fail the cell.

# %% nbgrader={"grade": true, "grade_id": "stage4-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
report = course.check(stage=4)
assert report.exit_code == 0, "Not every required practice of stages 1-4 passes yet: the report above says which, where, and how to fix it."

# %% [markdown]
# ## Hints <a id="hints"></a>
#
# One per practice of this stage, from the catalogue. Open only the one you need.

# %%
course.hints(4)

# %% [markdown]
# ## Key points
#
# - A segfault exits 139 and, without faulthandler, leaves an empty log; with it, the log holds
#   `Fatal Python error: Segmentation fault` and the Python stack. It costs nothing until a crash.
# - A container's stdout is a pipe: Python block-buffers it, so output arrives late, and is lost when
#   the process is killed. Make it unbuffered; keep every log, the access log included, on stdout or
#   stderr, where `docker logs` and whatever collects logs read them.
# - The image says what it is: OCI labels for revision, source, version and creation time, readable
#   from `docker image inspect` and from the registry; the running app reports its commit.
# - Per-commit values (the commit, the build time) go after the expensive steps: an `ARG` changes the
#   cache key of every `RUN` after it.
# - Stage 5 makes the container start fast, stop cleanly and report its health.
#
# ## Clean up
#
# Remove the containers (the registry among them) and images this notebook made (also done when the
# kernel shuts down).

# %%
lab.close()
