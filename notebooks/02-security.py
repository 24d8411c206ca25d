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
# # 02 · Security
#
# Stage 2 of 7. The learner's question: **could a compromised process or a stolen image hurt us?**
#
# ## Objectives
#
# By the end of this notebook you can:
#
# - show who PID 1 runs as in a container, and what root there can do;
# - run the app as an unprivileged user with a fixed UID, unable to modify its own code;
# - find a secret in an image's layers the way anyone holding the image can, and explain why
#   deleting it in a later step does not help;
# - keep secrets out of the build context and out of `ENV`/`ARG`;
# - install Debian's security updates in the build, and keep the app serving when the container
#   is hardened;
# - make `exercises/` pass the stage-2 check (which re-checks stage 1 too).
#
# **Time budget:** 75 min (why 10, walkthrough 25, exercise 30, check, hints and discussion 10).

# %%
# The course's helpers live in graders/, in the course folder above this notebook.
import sys, pathlib
course_root = next((p for p in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents] if (p / "graders").is_dir()), None)
if course_root:  # else graders must be importable already (PYTHONPATH), e.g. under nbgrader
    sys.path.insert(0, str(course_root))
from graders import notebook as course

lab = course.Lab("02-security")   # labels everything this notebook builds or runs; the last cell removes it

# %% [markdown]
# ## Why security comes second
#
# In the talk's order ([EuroPython 2020 recording](https://av.tib.eu/media/49984)), security
# comes right after "it works", before CI, debugging, operations, reproducibility and speed: an
# insecure image is a liability from the first day it runs anywhere. The talk's author spells out
# the classic mistake in his article on build secrets: copy a credentials file in, use it,
# delete it in a later step. "Deleting a file does not actually remove it from the image,
# because Docker uses layer caching: all previous layers are still present in the image"
# ([pythonspeed.com, "Don't leak your Docker image's build secrets"](https://pythonspeed.com/articles/docker-build-secrets/)).
# This notebook reproduces exactly that, measured on real images.
#
# The talk's own fix for root was two lines after the install step, in spirit this (paraphrased,
# not quoted: the course could not check the recording's exact lines or the minute they appear):
#
# ```dockerfile
# FROM python:3.8-slim-buster
# # ... install the app as root ...
# RUN useradd appuser
# USER appuser
# ```
#
# On the talk's base, Debian 10 "buster", `useradd` and Debian's friendlier `adduser` were both
# there. Two things about that example are different in 2026, measured below: the user's UID is
# whatever `useradd` picks next, and on today's images `adduser` is gone.
#
# ### What changed between the talk (2020) and 2026 (as of 2026-12)
#
# | | 2020 | 2026 | source |
# |---|---|---|---|
# | Build-time secrets | `--build-arg` and copy-then-delete leak; BuildKit's secret mounts needed BuildKit switched on (`DOCKER_BUILDKIT=1`) | `RUN --mount=type=secret` works with the default builder: BuildKit has been the default since Engine 23.0 | [pythonspeed.com build secrets](https://pythonspeed.com/articles/docker-build-secrets/); [moby v23.0.0](https://github.com/moby/moby/releases/tag/v23.0.0); [Dockerfile reference: `RUN --mount=type=secret`](https://docs.docker.com/reference/dockerfile/#run---mounttypesecret) |
# | `apt-get upgrade` in a Dockerfile | linters warned against it (hadolint DL3005) | do it: hadolint deleted DL3005 on 2023-08-28 (commit b264eaa) and the "avoid upgrade" advice left Docker's guide | [hadolint/hadolint](https://github.com/hadolint/hadolint); [pythonspeed.com security updates](https://pythonspeed.com/articles/security-updates-in-docker/); [Docker best practices](https://docs.docker.com/build/building/best-practices/) |
# | Secrets in `ENV`/`ARG` | no hadolint rule for it yet | a lint rule: hadolint DL3064, one of its newest rules | [hadolint/hadolint](https://github.com/hadolint/hadolint) |
# | Debian security support | buster was stable | trixie (13) is stable, regular security support to about 2028-08-09 (LTS to 2030-06-30); bookworm's regular security support ended mid-2026 (sources differ: 2026-06-10 or 2026-07-11) | [debian.club EOL table](https://www.debian.club/en/eol) (2026-07-03) |
# | Creating the user | `adduser` and `useradd` in every Debian image | trixie-based images (the bare `-slim` since August 2025) have `useradd`/`groupadd` but no `adduser`: it stopped being installed by default, and builds that call it fail with `adduser: not found`. Docker's own Python guide, whose Dockerfile is what `docker init` writes, still runs `adduser … --uid 10001 appuser` on `python:3.12-slim` (its Hardened Images variant installs `adduser` first); measured below on this course's base | [greenbone/gvm-tools#1243](https://github.com/greenbone/gvm-tools/pull/1243) (2025-08-18); [cardano-community/guild-operators#1888](https://github.com/cardano-community/guild-operators/issues/1888) (`debian:stable-slim`, 2025-10); [docs.docker.com: Containerize a Python application](https://docs.docker.com/guides/python/containerize/) |
# | Which UID | the next free one (`useradd appuser`), usually 1000, a likely host user | a fixed, numeric UID above the host's range (`docker init` uses 10001), and numeric in `USER` too, so that Kubernetes' `runAsNonRoot` can verify it | [Dockerfile best practices: USER](https://docs.docker.com/build/building/best-practices/#user); [kuard#43](https://github.com/kubernetes-up-and-running/kuard/issues/43) |
# | Secrets in `ENV`/`ARG`, checked by Docker itself | — | BuildKit's build checks include `SecretsUsedInArgOrEnv` (moby/buildkit#5105, July 2024): `docker build` warns when an `ENV`/`ARG` name looks secret | [docs.docker.com: SecretsUsedInArgOrEnv](https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/); [moby/buildkit#5105](https://github.com/moby/buildkit/pull/5105) |
# | Image scanners | a separate tool, if any | scanners such as Docker Scout and Trivy read an image's layers and report known vulnerabilities in its OS packages: the packages `apt-get upgrade` updates | [docs.docker.com/scout](https://docs.docker.com/scout/); [aquasecurity/trivy](https://github.com/aquasecurity/trivy) |
#
# ## What the grader checks in stage 2
#
# From the catalogue; stage 1's practices are checked again (grading is cumulative).

# %%
course.practices(2)

# %% [markdown]
# ## The starting point: solution 1
#
# Stage 2 starts where stage 1 ended: this is the course's stage-1 solution (if you are behind,
# `.venv/bin/python -m graders start --stage 2` puts it in your `exercises/`). It works, and it is still
# naive on purpose.

# %%
course.show_dockerfile("solutions/stage1/Dockerfile")
before = lab.build("solutions/stage1", name="stage 1 solution")

# %% [markdown]
# ## Run as non-root <a id="run-as-non-root"></a>
#
# Start it, and look at PID 1 from the inside, as the grader does (`/proc/1/status`):

# %%
app = lab.run(before)
app.wait_for_http()
pid1 = app.pid1()
print("Config.User of the image:", repr(before.config.get("User")), "(empty: root)")
print("PID 1 runs with UID", pid1["uid"][0], "and", len(pid1["capabilities"]), "capabilities:", ", ".join(pid1["capabilities"]))
print(app.exec("id")[1].strip())

# %% [markdown]
# UID 0, with Docker's default set of Linux capabilities (the names decode PID 1's `CapEff`
# mask with the numbers of [capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html);
# the default set is listed in the [`docker run` reference](https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities)).
# Without user-namespace remapping, which is not on by default
# ([Docker docs: userns-remap](https://docs.docker.com/engine/security/userns-remap/)), that UID 0
# is the host kernel's UID 0: files it can reach through a mount, or through a kernel bug, it
# reaches as root.
#
# Docker's guide: "If a service can run without privileges, use `USER` to change to a non-root
# user", and, because user IDs are otherwise assigned in order, "Consider an explicit UID/GID"
# ([Dockerfile best practices: USER](https://docs.docker.com/build/building/best-practices/#user)).
# Make it numeric in `USER` too: Kubernetes' `runAsNonRoot` refuses a user *name* it cannot check,
# with "container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is
# non-root" ([kubernetes-up-and-running/kuard#43](https://github.com/kubernetes-up-and-running/kuard/issues/43)).
#
# ### From solution 1 to solution 2: what breaks on the way
#
# First, which tools this course's base image has for making a user. Below, `python:3.13-slim`
# is whatever this machine has under that name (the line after the cell says whether it is the
# official image or the course's offline stand-in, which is built from Debian trixie's own
# packages: a faithful test of what Debian installs, not the official image itself):

# %%
print("python:3.13-slim here is", before.base_origin)
code, found = course.docker_run(lab, "python:3.13-slim", ["sh", "-c", 'for tool in useradd groupadd adduser addgroup; do command -v "$tool" || echo "$tool: not found"; done'])
print("  " + found.strip().replace("\n", "\n  "))
code, log = course.docker_run(lab, "python:3.13-slim", ["sh", "-c", 'adduser --disabled-password --gecos "" --home /nonexistent --shell /sbin/nologin --no-create-home --uid 10001 appuser'])
print(f"  → exit code {code}: {log.strip()}")

# %% [markdown]
# The second command is the user-creating line of Docker's Python guide (the `docker init`
# template): on a trixie-based slim image it fails with exit code 127, "command not found", and
# with it the build. `useradd` is there.
#
# Now the two mistakes a room makes most on the way from solution 1 to solution 2, built for real.
# **Only adding `USER`** at the end of solution 1 (a numeric UID, so no user needs to exist):

# %%
only_user = lab.build("solutions/stage1", append="USER 10001", name="+ USER 10001")
only_user_app = lab.run(only_user)
answer = only_user_app.wait_for_http(limit=10)
print("GET /healthz:", *only_user_app.get("/healthz"))
print("the app's log:", only_user_app.logs()[-1])

# %% [markdown]
# The container runs, gunicorn serves, and `/healthz` answers **503**: the app cannot create its
# database. It writes it under `DATA_DIR` (default `data`, relative to the working directory,
# `/app`), and `/app` belongs to root, who copied it there. The grader's `serves-on-run` says the
# same in its hint when it sees that log line. **Moving `USER` up**, before the install, fails
# earlier, at build time:

# %%
early_user = (course.ROOT / "solutions/stage1/Dockerfile").read_text().replace(
    "RUN pip install .", "USER 10001\nRUN pip install .")
try:
    lab.build(dockerfile=early_user, name="USER before pip install")
except course.DemoError as failure:
    print("\n".join(line for line in str(failure).splitlines() if "Permission denied" in line or "ERROR" in line))

# %% [markdown]
# As UID 10001, `pip install .` cannot even write the package's build metadata into `/app`, let
# alone install into the image's `site-packages`: a permission error, and no image. So the user
# switch has to come after the steps that need root, and the app still needs *one* place it may
# write. Which place, and who owns the rest, is the next section.
#
# ## Read-only code <a id="read-only-code"></a>
#
# As root, the app's process can rewrite the code it will run next time, including every
# installed package:

# %%
print(app.exec("python3", "-c", "import flask, os; print('the app process may rewrite flask:', os.access(flask.__file__, os.W_OK))")[1].strip())

# %% [markdown]
# A non-root user fixes that only if the code does not belong to it. A common recipe,
# `COPY --chown=app:app /app /app` ([Hynek Schlawack, "Production-ready Python Docker containers with uv"](https://hynek.me/articles/docker-uv/)),
# hands the code *to* the runtime user; the stricter practice keeps code and installed packages
# owned by root (what `COPY` and `pip install` as root do anyway) and gives the runtime user
# write access to one data directory only. The app writes exactly one thing, its SQLite database,
# in the directory named by `DATA_DIR` (the app's README).
#
# ## Secrets <a id="secrets"></a>
#
# The workspace holds a `.env` file with a fake secret, the *sentinel*. It is committed on
# purpose, for this lesson:

# %%
env_file = course.ROOT / "exercises" / ".env"
print(env_file.read_text() if env_file.exists() else "(exercises/.env is missing: the grader plants the sentinel in its copy)")

# %% [markdown]
# The stage-1 image copied the whole build context (`COPY . .`). Scan the image the way anyone
# who can pull it can: `docker save`, then every layer above the base image, the history and
# the config (`graders/layers.py`, the grader's own scanner):

# %%
for hit in lab.scan_secrets(before):
    print(f"{hit.where}: {hit.what} — made by `{course.short_step(hit.created_by)}`")

# %% [markdown]
# Now the tempting fixes. First, the talk author's example: delete the file in a later step.
# Second, pass the secret as a build argument instead of a file. Both are built here for real,
# as copies of solution 1 with lines appended:

# %%
deleted = lab.build("solutions/stage1", append="RUN rm .env", name="+ RUN rm .env")
as_build_arg = lab.build("solutions/stage1", append='ARG SECRET_KEY\nRUN test -n "$SECRET_KEY" && echo configured',
                         build_args={"SECRET_KEY": course.SENTINEL}, name="+ --build-arg")
for built in (deleted, as_build_arg):
    print(f"{built.name}:")
    for hit in lab.scan_secrets(built):
        print(f"   {hit.where}: {hit.what} — `{course.short_step(hit.created_by)}`")

# %% [markdown]
# `RUN rm .env` adds a layer that *hides* the file; the layer made by `COPY . .` still holds it,
# and `docker save` hands out every layer. A build argument used by a `RUN` is written into that
# step's history entry, in clear. The same goes for `ENV`: its value is stored in the image's
# config. You need no course helper to see any of this; the plain CLI, on the two images above:

# %%
history = course.run_command(["docker", "history", "--no-trunc", "--format", "{{.CreatedBy}}", as_build_arg.image.tags[0]], show=False)
print(history.line, *(f"  {line}" for line in history.output[:2]), "  … (the newest two entries; the rest are older steps)", sep="\n")
course.run_command(["docker", "image", "inspect", "--format", "User={{json .Config.User}} Env={{json .Config.Env}}", deleted.image.tags[0]])
course.run_command(["bash", "-c", f"docker save {deleted.image.tags[0]} | tar -t | head -n 12"], tail=12)

# %% [markdown]
# `docker history --no-trunc` prints the build argument's value in the `RUN` line;
# `docker image inspect` shows the config (an empty `User` is root); `docker save` writes the image
# as a tar of layer blobs and a config, which `tar -x` unpacks and anyone can read layer by layer.
# What works instead:
#
# - keep secrets out of the build context: a `.dockerignore` file lists what the builder must not
#   even see ([build context: .dockerignore](https://docs.docker.com/build/concepts/context/#dockerignore-files));
# - copy only what the build needs, not the whole context;
# - give the *running* container its secrets (environment variables, mounted files:
#   `docker run --env-file .env …`), and at build time use a BuildKit secret mount, which is never
#   stored in a layer ([Dockerfile reference: `RUN --mount=type=secret`](https://docs.docker.com/reference/dockerfile/#run---mounttypesecret)).
#
# ## Security updates <a id="security-updates"></a>
#
# Base images are rebuilt from time to time, not for every fix. Ask Debian's archive, from a
# throwaway container of the stage-1 image (as root, so `apt-get update` may run; the image is
# not changed), which installed packages have newer versions right now:

# %%
print(lab.pending_updates(before))

# %% [markdown]
# Offline, the base is a stand-in built recently from current trixie packages, so the count may
# well be 0 here; an image built weeks ago may have some (the number above is this machine's,
# measured now). Installing them belongs in the build: the advice used to be the
# opposite, until hadolint deleted its "do not upgrade" rule DL3005 in 2023 and Docker's guide
# dropped it; Itamar Turner-Trauring's article argues for upgrading
# ([pythonspeed.com, security updates](https://pythonspeed.com/articles/security-updates-in-docker/)).
# Two details matter: the package lists fetched by `apt-get update` must be fresh when
# `upgrade` runs (a cached `update` layer would be stale), and they should not stay in the image.
# A cached upgrade step does not upgrade anything either: rebuild without the cache now and then.
#
# ## Hardened run <a id="hardened-run"></a>
#
# An image should keep working when the container is locked down: a read-only root file
# system, a small tmpfs for `/tmp`, every capability dropped, no privilege escalation (the grader's
# `runs-hardened` options, `course.HARDENED`):

# %%
print(course.HARDENED)
locked = lab.run(before, **course.HARDENED)
answer = locked.wait_for_http(limit=8)
print("stage 1 solution, hardened:", answer.problem or "serves")
print("its log says:", *locked.logs()[-1:])

# %% [markdown]
# The app needs one writable place, for its database (`DATA_DIR`): a `VOLUME` or a mounted
# directory stays writable under `--read-only`. gunicorn also writes small heartbeat files for
# its workers in the temporary directory, which is why `/tmp` is a tmpfs here
# ([pythonspeed.com, "Configuring Gunicorn for Docker"](https://pythonspeed.com/articles/gunicorn-in-docker/)).
#
# ## Before and after, measured
#
# The course's stage-2 solution (its Dockerfile stays hidden until you have written yours: the
# picture labels its layers by number only, and the Lab's build line above names no
# instruction), measured the same way: where the sentinel ends up, who PID 1 is, whether the code
# is writable, whether the hardened container serves.

# %%
after = lab.build("solutions/stage2", name="stage 2 solution")
images = [before, deleted, as_build_arg, after]
scans = {b.name: (b, lab.scan_secrets(b)) for b in images}
uids = {}
for b in images:
    running = lab.run(b)
    running.wait_for_http()
    uids[b.name] = running.pid1()["uid"][0]
fig = course.plot_secrets(scans, uids, unlabelled=("stage 2 solution",))

# %% [markdown]
# Each row is one image, each cell one layer its Dockerfile added on top of the base, in build
# order, with its size. Red: the sentinel (and the credential file `.env`) is in that layer's
# files; orange: in that layer's history entry. The `RUN rm .env` layer is 0 B: it hides the file,
# the red `COPY . .` layer before it still holds it. The stage-2 solution's layers (numbered, not
# named) are clean, and its PID 1 runs as UID 10001.

# %%
after_app = lab.run(after)
after_app.wait_for_http()
print("stage 2 solution, Config.User:", after.config.get("User"), "| PID 1 capabilities:", after_app.pid1()["capabilities"] or "none")
print(after_app.exec("python3", "-c", "import flask, os; print('the app process may rewrite flask:', os.access(flask.__file__, os.W_OK))")[1].strip())
hardened_after = lab.run(after, **course.HARDENED)
answer = hardened_after.wait_for_http()
print(f"stage 2 solution, hardened: HTTP {answer.status} after {answer.seconds:.1f} s")
print(after.apt_upgrade_summary())

# %% [markdown]
# ## Your turn <a id="exercise"></a>
#
# Make **`exercises/`** pass the stage-2 check, starting from your stage-1 Dockerfile (or from
# solution 1: in a terminal, from the course folder, `.venv/bin/python -m graders start --stage 2`
# saves your files under `backups/` first).
#
# 1. Open [exercises/Dockerfile](../exercises/Dockerfile) in JupyterLab's editor (or: file browser
#    → course folder → `exercises` → double-click `Dockerfile`), and save with Ctrl+S (⌘S).
# 2. You will want an `exercises/.dockerignore` too. JupyterLab hides names that start with a dot:
#    create and edit it from a terminal (File → New → Terminal, which starts in the course folder;
#    `nano exercises/.dockerignore`), or start JupyterLab with
#    `make lab LAB_ARGS=--ContentsManager.allow_hidden=True`, after which View → Show Hidden Files
#    lists it.
# 3. Do not delete `exercises/.env`: the grader looks for its sentinel in your image (if the file
#    is missing, the grader plants one in its copy of your workspace anyway).
# 4. Try it yourself in a terminal: `docker build -t shortlinks:dev exercises/`, then
#    `docker run --rm shortlinks:dev id`, and
#    `docker run --rm --read-only --tmpfs /tmp -p 8000:8000 shortlinks:dev` with
#    `curl -s localhost:8000/healthz` from a second terminal.
# 5. Run the check cell; repeat.
#
# The course's own files are in `solutions/stage2/` (`Dockerfile`, `.dockerignore`), open in the
# file browser like everything else: they are there for **after** your attempt, to compare, and
# the hints below get you further first.
#
# ## Check your work <a id="check"></a>
#
# This cell grades `exercises/` with the graders of stages 1 and 2, as
# `python -m graders check --stage 2` does. **Until every required practice passes, it ends with
# a red `AssertionError`: that is intended.** The report above the error says, for each failing
# practice, the Dockerfile line, what was observed, what was expected, and how to fix it.
# Recommended practices are reported and scored but do not fail the cell.

# %% nbgrader={"grade": true, "grade_id": "stage2-check", "locked": true, "points": 5, "schema_version": 3, "solution": false}
report = course.check(stage=2)
assert report.exit_code == 0, "Not every required practice of stages 1-2 passes yet: the report above says which, where, and how to fix it."

# %% [markdown]
# ## Hints <a id="hints"></a>
#
# One per practice of this stage, from the catalogue, in two levels: open a practice for why it
# matters and a nudge; open "Still stuck?" inside it for the idea behind it and where to read
# about it. Neither is the answer. (In a terminal or a plain-text front end:
# `course.more_hint("non-root-user")` shows the second level of one practice.)

# %%
course.hints(2)

# %% [markdown]
# ## Key points
#
# - Containers run as root unless the image says otherwise; root there is root on the kernel, with
#   Docker's default capabilities. Switch to an unprivileged user with a fixed, numeric UID, after
#   the steps that need root.
# - The runtime user should be able to write its data, not its code: stricter than
#   `COPY --chown`.
# - Everything in an image is readable by whoever holds it: every layer, the history, the
#   config. Deleting a file later hides it, it does not remove it. Keep secrets out of the build
#   context (`.dockerignore`), out of `ENV`/`ARG`, and supply them at run time or through BuildKit
#   secret mounts.
# - Install Debian's security updates in the build (update and upgrade together, lists removed),
#   and rebuild regularly without the cache.
# - A good image still serves with a read-only root file system, no capabilities and
#   no-new-privileges, given a writable data directory and `/tmp`.
#
# ## Clean up
#
# Remove the containers and images this notebook made (also done when the kernel shuts down).

# %%
lab.close()
