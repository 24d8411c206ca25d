"""Stage 2, security: non-root, read-only code, no secrets in the image, patched OS, hardened run."""

from __future__ import annotations

import json
import posixpath
import re
import shlex

from .. import layers, probes
from ..dockerfile import Instruction, expand, key_values
from ..grading import HARDENED_RUN, Grading
from ..workspace import SENTINEL
from .base import Outcome, check, errored, failed, passed

APP_PACKAGE = "shortlinks"
ROOT_NAMES = ("", "root", "0")
# Secret-looking names, judged by their words (API_TOKEN yes; TOKENIZERS_PARALLELISM, AUTHOR no).
SECRET_WORDS = {"PASSWORD", "PASSWD", "PASS", "SECRET", "SECRETS", "TOKEN", "CREDENTIAL", "CREDENTIALS", "APIKEY",
                "AUTH"}
SECRET_PAIRS = {("API", "KEY"), ("ACCESS", "KEY"), ("PRIVATE", "KEY")}
# A name that points at a secret rather than holding one (SECRET_KEY_FILE=/run/secrets/key) is fine.
REFERENCE_WORDS = {"FILE", "PATH", "DIR", "NAME", "ENV", "VAR", "URL_FILE"}


def looks_secret(name: str) -> bool:
    words = [w for w in re.split(r"[_\W]+", name.upper()) if w]
    if not words or words[-1] in REFERENCE_WORDS:
        return False
    return bool(SECRET_WORDS.intersection(words)) or any(pair in SECRET_PAIRS for pair in zip(words, words[1:]))


def _user_part(user: str) -> str:
    return user.split(":", 1)[0].strip()


@check("non-root-user")
def non_root_user(g: Grading) -> Outcome:
    user = g.config.get("User") or ""
    instr = g.last("USER")
    line = instr.line if instr else g.final_from_line
    if _user_part(user) in ROOT_NAMES:
        seen = f"`USER {user}`" if user else "no USER in the final stage"
        return failed(f"The image runs as root ({seen}).",
                      "Config.User set to a non-root user, and PID 1 running with a non-zero UID.", line)
    served = g.serving
    if not served.running:
        return errored(f"Config.User is {user!r}, but PID 1 could not be observed: the container is not running "
                       "(see serves-on-run).", line, details=[f"container log: {l}" for l in served.logs(6)])
    ids = probes.proc_status_ids(served.container)
    if ids is None:
        return errored("Could not read /proc/1/status inside the container.", line)
    uid = ids["Uid"]
    if uid[0] == 0 or uid[1] == 0:
        return failed(f"Config.User is {user!r}, but PID 1 runs with UID {uid[0]} (effective {uid[1]}).",
                      "PID 1 with a non-zero UID.", line,
                      fix="Something switches back to root at start-up (an entrypoint script, or a user that maps to "
                          "UID 0): make the final USER an unprivileged account.")
    return passed(f"Config.User is {user!r}; PID 1 runs as UID {uid[1]}, GID {ids['Gid'][1]}.", line)


WRITABLE_PROBE = r"""
import importlib.util, json, os, sys
roots, found = [], []
spec = importlib.util.find_spec(sys.argv[1])
if spec and spec.submodule_search_locations:
    roots += list(spec.submodule_search_locations)
for dependency in ("flask", "gunicorn"):
    dep = importlib.util.find_spec(dependency)
    if dep and dep.submodule_search_locations:
        package_dir = list(dep.submodule_search_locations)[0]
        roots += [package_dir, os.path.dirname(package_dir)]
workdir = os.getcwd()
checked = 0
def visit(path, recurse):
    global checked
    checked += 1
    if os.access(path, os.W_OK) and len(found) < 8:
        found.append(path)
    if recurse and os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            visit(os.path.join(path, name), True)
for root in dict.fromkeys(roots):
    visit(root, root != os.path.dirname(root) and not root.endswith(("site-packages", "dist-packages")))
if workdir != "/":
    for dirpath, dirnames, filenames in os.walk(workdir):
        code = [f for f in filenames if f.endswith(".py")]
        if code:
            visit(dirpath, False)
            for name in code:
                visit(os.path.join(dirpath, name), False)
print(json.dumps({"uid": os.getuid(), "roots": list(dict.fromkeys(roots)), "workdir": workdir,
                  "checked": checked, "writable": found}))
"""


@check("code-not-writable")
def code_not_writable(g: Grading) -> Outcome:
    served = g.serving
    user_instr = g.last("USER")
    line = user_instr.line if user_instr else g.final_from_line
    if not served.running:
        return errored("The container is not running, so the runtime user's rights could not be checked "
                       "(see serves-on-run).")
    code, out = probes.exec_output(served.container, ["python3", "-c", WRITABLE_PROBE, APP_PACKAGE])
    if code != 0:
        return errored(f"The probe could not run inside the container (exit {code}).", details=out.splitlines()[-5:])
    report = json.loads(out.strip().splitlines()[-1])
    if not report["roots"]:
        return errored(f"The app's package `{APP_PACKAGE}` is not importable in the image.")
    if report["writable"]:
        chown = _chown_copy_into(g, report["writable"], report["workdir"])
        why = " (COPY --chown hands the code to the runtime user)" if chown else ""
        line = chown.line if chown else line
        return failed(f"The runtime user (UID {report['uid']}) can write {len(report['writable'])}+ paths of the "
                      f"app's code or installed packages{why}, e.g. {', '.join(report['writable'][:3])}.",
                      "Code and installed packages not writable by the runtime user (only a data directory is).",
                      line, details=report["writable"])
    return passed(f"The runtime user (UID {report['uid']}) can write none of {report['checked']} code and package "
                  f"paths checked ({', '.join(report['roots'][:2])}...).")


def _chown_copy_into(g: Grading, paths: list[str], workdir: str) -> Instruction | None:
    """The COPY/ADD --chown to a non-root owner whose destination holds one of `paths`, if any."""
    current = "/"
    for instr in g.dockerfile.final_instructions():
        if instr.cmd == "WORKDIR":
            current = posixpath.normpath(posixpath.join(current, " ".join(instr.args)))
        owner = instr.flag("chown") if instr.cmd in ("COPY", "ADD") else None
        if not owner or _user_part(owner) in ROOT_NAMES or len(instr.args) < 2:
            continue
        destination = posixpath.normpath(posixpath.join(current, expand(instr.args[-1], g.dockerfile.variables_at(instr))))
        if any(p == destination or p.startswith(destination.rstrip("/") + "/") for p in paths):
            return instr
    return None


@check("no-secrets-in-image")
def no_secrets_in_image(g: Grading) -> Outcome:
    skip = frozenset((g.base_image.attrs.get("RootFS") or {}).get("Layers") or []) if g.base_image else frozenset()
    g.on_step("scanning every layer of the saved image for the sentinel secret")
    hits = layers.scan(g.client, g.image.id, SENTINEL, skip)
    if not hits:
        scope = "layers added on top of the base image" if skip else "every layer"
        return passed(f"The sentinel secret from .env is in no layer ({scope}), history entry or config; "
                      "no credential files.")
    first = hits[0]
    line = _line_of_step(g, first.created_by)
    made_by = f" (layer {first.layer}, made by `{_short(first.created_by)}`)" if first.created_by else ""
    return failed(f"Found {first.what}{made_by}; {len(hits)} finding(s) in all.",
                  "No secret from the workspace, and no credential file, in any layer, history entry or config.",
                  line, details=[f"{h.where}: {h.what}" + (f" — {_short(h.created_by)}" if h.created_by else "")
                                 for h in hits[:10]])


def _short(created_by: str | None) -> str:
    text = (created_by or "").replace(" # buildkit", "").strip()
    return text if len(text) < 90 else text[:87] + "..."


def _line_of_step(g: Grading, created_by: str | None) -> int | None:
    """The Dockerfile line of the instruction that made a history entry."""
    if not created_by:
        return None
    text = " ".join(created_by.replace(" # buildkit", "").split())
    best = None
    for instr in g.dockerfile.final_instructions():
        words = " ".join(" ".join(instr.args).split())
        if text.startswith(instr.cmd) and words and words in text:
            best = instr.line
    return best


def secret_assignments(instr: Instruction) -> list[tuple[str, str]]:
    found = []
    for key, value in key_values(instr):
        if value and looks_secret(key):
            found.append((key, value))
    return found


@check("no-secret-env")
def no_secret_env(g: Grading) -> Outcome:
    for instr in g.dockerfile.instructions:
        if instr.cmd in ("ENV", "ARG"):
            assignments = secret_assignments(instr)
            if assignments:
                key, _value = assignments[0]
                where = ("it is stored in the image config" if instr.cmd == "ENV" else
                         "it is in the Dockerfile and the build cache, and in the image history of every RUN that uses it")
                return failed(f"`{instr.cmd} {key}=…` gives a secret-looking name a value: {where}.",
                              "No ENV/ARG with a secret-looking name (PASSWORD, SECRET, TOKEN, KEY...) carries a value "
                              "(hadolint DL3064).", instr.line)
    for entry in g.config.get("Env") or []:
        key, _, value = entry.partition("=")
        if value and looks_secret(key):
            return failed(f"The image's environment sets {key} (a secret-looking name) to a value.",
                          "No secret values in the image's environment.", g.final_from_line,
                          fix="It may come from the base image or a build argument: unset it and supply it at run time.")
    return passed("No ENV or ARG with a secret-looking name carries a value.")


_SEPARATORS = re.compile(r"&&|\|\||;|\||\n")


def _commands(text: str) -> list[list[str]]:
    commands = []
    for part in _SEPARATORS.split(text.replace("\\\n", " ")):
        try:
            words = shlex.split(part, comments=True)
        except ValueError:
            words = part.split()
        words = [w for w in words if not re.fullmatch(r"[A-Z_]+=\S*", w)]  # DEBIAN_FRONTEND=...
        if words:
            commands.append(words)
    return commands


def _is_apt(words: list[str], *subcommands: str) -> bool:
    if not words or posixpath_basename(words[0]) not in ("apt-get", "apt"):
        return False
    return any(w in subcommands for w in words[1:] if not w.startswith("-"))


def posixpath_basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


@check("os-security-updates")
def os_security_updates(g: Grading) -> Outcome:
    runs = [i for i in g.dockerfile.final_instructions() if i.cmd == "RUN"]
    update_line = None
    for instr in runs:
        commands = _commands(expand(instr.shell_text, g.dockerfile.variables_at(instr)))
        updates = [n for n, c in enumerate(commands) if _is_apt(c, "update")]
        upgrades = [n for n, c in enumerate(commands) if _is_apt(c, "upgrade", "dist-upgrade", "full-upgrade")]
        if updates and update_line is None:
            update_line = instr.line
        if not upgrades:
            continue
        if not updates or min(updates) > max(upgrades):
            return failed("`apt-get upgrade` runs without `apt-get update` before it in the same RUN: a cached "
                          "update layer would make it upgrade from stale package lists.",
                          "update and upgrade in one RUN.", instr.line)
        cache_mount = any("type=cache" in (f or "") and "/var/lib/apt" in (f or "") for f in instr.flags)
        removes_lists = any(c[0] == "rm" and any(w.startswith("/var/lib/apt/lists") for w in c[1:]) for c in commands)
        if not (cache_mount or removes_lists):
            return failed("The RUN that upgrades leaves the package lists (/var/lib/apt/lists) in the image.",
                          "The lists removed in the same RUN (or kept in a cache mount).", instr.line)
        return passed("Security updates installed: update, upgrade and list clean-up in one RUN.", instr.line)
    return failed("No RUN installs Debian's updates (`apt-get upgrade`)." if update_line is None else
                  "`apt-get update` runs but nothing upgrades the installed packages.",
                  "One RUN that updates the lists, upgrades non-interactively and removes the lists.",
                  update_line or g.final_from_line)


@check("runs-hardened")
def runs_hardened(g: Grading) -> Outcome:
    served = g.run_app("hardened", **HARDENED_RUN)
    if served.answer.ok:
        return passed(f"Serves with a read-only root filesystem, tmpfs /tmp, no capabilities and no-new-privileges "
                      f"(200 after {served.answer.seconds:.1f} s).")
    logs = served.logs()
    cause = next((l for l in reversed(logs) if re.search(r"read-only file system|permission denied|error", l, re.I)), None)
    said = f" The log says: {cause.strip()}" if cause else ""
    return failed(f"Hardened (read-only root, tmpfs /tmp, cap_drop ALL, no-new-privileges): {served.answer.problem}."
                  f"{said}", "The app still serves GET /healthz when hardened.", g.start_line,
                  details=[f"container log: {l}" for l in logs])
