"""Stage 2, security: non-root, read-only code, no secrets in the image, patched OS, hardened run."""

from __future__ import annotations

import dataclasses
import json
import posixpath
import re

from .. import inside, layers, probes
from .. import shell
from ..dockerfile import Dockerfile, Instruction, expand, key_values
from ..grading import Grading, NotChecked
from ..workspace import SENTINEL
from .base import Outcome, check, failed, passed

APP_PACKAGE = "shortlinks"
ROOT_NAMES = ("", "root", "0")
# no-secret-env: which ENV/ARG names look secret. The words follow Docker's own build check
# SecretsUsedInArgOrEnv (moby/buildkit frontend/dockerfile/dockerfile2llb, `getSecretsRegex`: in
# convert.go, in validations.go since March 2026): deny tokens apikey, auth, credential,
# credentials, key, password, pword, passwd, secret, token, each a whole `_`-separated word of the
# name, any case; allow token public (BuildKit also allows file and version since dockerfile 1.22,
# which the last-word rule below covers). Added for the course contract (curriculum.md,
# no-secret-env): PASSPHRASE, PAT (personal access token) and PASS, plural forms, and a few
# one-word compounds real names use (AUTHTOKEN, SECRETKEY, PGPASSWORD...). Not PWD: that is the
# shell's working directory. hadolint DL3064 (substrings: api_key, password, secret, token,
# private...) is the other reference; its substring match also flags AUTHOR and
# TOKENIZERS_PARALLELISM. Unlike BuildKit, a name's words are also split at camelCase (dbPassword).
SECRET_WORDS = frozenset({
    "APIKEY", "AUTH", "CREDENTIAL", "CREDENTIALS", "KEY", "PASSWORD", "PWORD", "PASSWD", "SECRET", "TOKEN",
    "PASSPHRASE", "PAT", "PASS",
    "KEYS", "PASSWORDS", "SECRETS", "TOKENS", "PASSPHRASES", "PATS", "APIKEYS",
    "ACCESSKEY", "ACCESSTOKEN", "APITOKEN", "AUTHKEY", "AUTHTOKEN", "CLIENTSECRET", "PRIVATEKEY", "SECRETKEY",
    "PGPASSWORD",                                             # libpq's password variable
})
ALLOW_WORDS = frozenset({"PUBLIC"})          # PUBLIC_KEY, NEXT_PUBLIC_API_KEY: meant to be seen
# The last word says what the variable holds. A secret noun last (STRIPE_KEY, DB_PASSWORD,
# GITHUB_PAT, AWS_SECRET_ACCESS_KEY) holds the secret; any other word after it makes the name a
# setting about the secret (TOKEN_TTL, PASSWORD_MIN_LENGTH, AUTH_DISABLED, KEY_ROTATION_DAYS,
# AUTH_MODULE_VERSION) or a reference to it (SECRET_KEY_FILE, *_PATH, *_DIR, *_URL, SECRET_NAME, and
# *_ID: AWS_ACCESS_KEY_ID is an identifier, not the secret), except these trailing words, which
# only say how or which copy of the secret it holds: its encoding or form (SECRET_KEY_BASE, Rails'
# signing secret; JWT_KEY_B64; API_TOKEN_VALUE; GOOGLE_CREDENTIALS_JSON; ADMIN_PASSWORD_HASH, which
# can be cracked offline), the environment it is for (STRIPE_KEY_LIVE, API_KEY_PROD), or a number
# (API_KEY_2, V2).
STILL_SECRET_WORDS = frozenset({
    "B64", "BASE", "BASE64", "BYTES", "CONTENT", "CONTENTS", "DATA", "DER", "ENC", "ENCODED", "HASH", "HASHED",
    "HEX", "JSON", "PEM", "PLAIN", "PLAINTEXT", "RAW", "STR", "STRING", "TEXT", "VAL", "VALUE",
    "CI", "DEV", "DEVELOPMENT", "LIVE", "LOCAL", "NEW", "OLD", "PRIMARY", "PROD", "PRODUCTION", "SANDBOX",
    "SECONDARY", "STAGE", "STAGING", "TEST",
})
# A switch before the secret noun makes the name a setting about it, whatever comes last
# (DISABLE_AUTH, REQUIRE_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD, MYSQL_RANDOM_ROOT_PASSWORD).
SWITCH_WORDS = frozenset({"ALLOW", "DISABLE", "EMPTY", "ENABLE", "NO", "RANDOM", "REQUIRE", "SKIP", "USE"})
# Words of a name: `_`/`-`/`.`-separated, and camelCase split (dbPassword, APIKey, githubPAT);
# digits stay with the letters before them (B64, OAUTH2), and a noun counts with them (API_KEY2).
_NAME_WORD = re.compile(r"[A-Z]+[0-9]*(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*|[0-9]+")
_NUMBER = re.compile(r"V?[0-9]+")          # API_KEY_2, API_TOKEN_V2
# A value that is an absolute path names where the secret is (GOOGLE_APPLICATION_CREDENTIALS=
# /run/secrets/gcp.json, SSH_KEY=/root/.ssh/id_ed25519): a reference, not the secret.
_PATH_VALUE = re.compile(r"/(?:[\w.@-]+/)+[\w.@-]*")


def name_words(name: str) -> list[str]:
    return [word.upper() for word in _NAME_WORD.findall(name)]


def looks_secret(name: str) -> bool:
    """Whether an ENV/ARG name says it holds a secret (see SECRET_WORDS and STILL_SECRET_WORDS)."""
    words = name_words(name)
    if ALLOW_WORDS.intersection(words):
        return False
    nouns = [i for i, word in enumerate(words) if word.rstrip("0123456789") in SECRET_WORDS]
    if not nouns or SWITCH_WORDS.intersection(words[:nouns[-1]]):
        return False
    return all(word in STILL_SECRET_WORDS or _NUMBER.fullmatch(word) for word in words[nouns[-1] + 1:])


def holds_secret(name: str, value: str | None) -> bool:
    """A secret-looking name given a value that is not a path to the secret."""
    return bool(value) and looks_secret(name) and not _PATH_VALUE.fullmatch(value)


def _user_part(user: str) -> str:
    return user.split(":", 1)[0].strip()


@check("non-root-user", containers=("serve",))
def non_root_user(g: Grading) -> Outcome:
    user = g.config.get("User") or ""
    instr = g.last("USER")
    line = instr.line if instr else g.final_from_line
    if _user_part(user) in ROOT_NAMES:
        seen = f"`USER {user}`" if user else "no USER in the final stage"
        return failed(f"The image runs as root ({seen}).",
                      "Config.User set to a non-root user, and PID 1 running with a non-zero UID.", line)
    served = g.running()
    ids = probes.proc_status_ids(served.container)
    if ids is None:
        raise NotChecked("Not checked: /proc/1/status could not be read inside the container.")
    uid = ids["Uid"]
    if uid[0] == 0 or uid[1] == 0:
        return failed(f"Config.User is {user!r}, but PID 1 runs with UID {uid[0]} (effective {uid[1]}).",
                      "PID 1 with a non-zero UID.", line,
                      fix="Something switches back to root at start-up (an entrypoint script, or a user that maps to "
                          "UID 0): make the final USER an unprivileged account.")
    return passed(f"Config.User is {user!r}; PID 1 runs as UID {uid[1]}, GID {ids['Gid'][1]}.", line)


@check("code-not-writable", containers=("serve",))
def code_not_writable(g: Grading) -> Outcome:
    served = g.running()
    user_instr = g.last("USER")
    line = user_instr.line if user_instr else g.final_from_line
    python = served.interpreter
    how = python.how
    result = probes.exec_in(served.container, [python.path, "-c", inside.script("writable_code"), APP_PACKAGE],
                            user=python.user, timeout=60)
    if result.timed_out:
        raise NotChecked(f"Not checked: the probe (run with {how}) did not finish within 60 s.")
    if result.exit_code != 0:
        why = result.problem or f"exit {result.exit_code}"
        raise NotChecked(f"Not checked: the probe could not run inside the container with {how} ({why}): "
                         + " | ".join(result.stderr.strip().splitlines()[-3:]))
    report = json.loads(result.stdout.strip().splitlines()[-1])
    checked = f"{report['checked']} paths: site-packages {', '.join(report['site']) or 'none'}" + (
        f", the app's package {', '.join(report['package'])}" if report["package"] else "") + (
        f", entry scripts {', '.join(report['entries'])}" if report["entries"] else "") + (
        f", {report['workdir_code']} .py files under {report['cwd']}" if report["workdir_code"] else "")
    if report["writable"]:
        chown = _chown_copy_into(g, report["writable"], report["cwd"])
        why = " (COPY --chown hands the code to the runtime user)" if chown else ""
        line = chown.line if chown else line
        return failed(f"The runtime user (UID {report['uid']}) can write {report['writable_count']} of the "
                      f"{checked}{why}, e.g. {', '.join(report['writable'][:3])}.",
                      "Code and installed packages not writable by the runtime user (only a data directory is).",
                      line, details=report["writable"])
    return passed(f"The runtime user (UID {report['uid']}) can write none of the {checked} (probed with {how}).")


def _chown_copy_into(g: Grading, paths: list[str], workdir: str) -> Instruction | None:
    """The COPY/ADD --chown to a non-root owner whose destination holds one of `paths`, if any."""
    for instr, workdir in g.dockerfile.workdirs():
        owner = instr.flag("chown") if instr.cmd in ("COPY", "ADD") else None
        if not owner or _user_part(owner) in ROOT_NAMES or len(instr.args) < 2:
            continue
        destination = g.dockerfile.path_at(instr, instr.args[-1], workdir)
        if any(p == destination or p.startswith(destination.rstrip("/") + "/") for p in paths):
            return instr
    return None


def _base_layers(g: Grading) -> frozenset[str]:
    return frozenset((g.base_image.attrs.get("RootFS") or {}).get("Layers") or []) if g.base_image else frozenset()


def _scan_for_secrets(g: Grading):
    """`docker save` and scan the image, in the background from the moment it is built."""
    image_id, skip = g.image.id, _base_layers(g)
    return g.submit("secret-scan", lambda: layers.scan(g.client, image_id, SENTINEL, skip))


@check("no-secrets-in-image", prepare=_scan_for_secrets)
def no_secrets_in_image(g: Grading) -> Outcome:
    skip = _base_layers(g)
    g.on_step("scanning every layer of the saved image for the sentinel secret")
    hits = _scan_for_secrets(g).result()
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


def secret_assignments(instr: Instruction, variables: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs of an ENV or ARG, `ONBUILD ENV`/`ONBUILD ARG` included, that give a
    secret-looking name a value (a path, after expanding `variables`, is a reference, not a value)."""
    if instr.cmd == "ONBUILD" and instr.sub_cmd and instr.sub_cmd.upper() in ("ENV", "ARG"):
        instr = dataclasses.replace(instr, cmd=instr.sub_cmd.upper())
    if instr.cmd not in ("ENV", "ARG"):
        return []
    return [(key, value) for key, value in key_values(instr)
            if value and holds_secret(key, expand(value, variables or {}))]


_WHERE_VALUE_GOES = {
    "ENV": "it is stored in the image config",
    "ARG": "it is in the Dockerfile and the build cache, and in the image history of every RUN that uses it",
}
_IN_EVERY_CHILD = {
    "ENV": "each of those images stores the value in its own config",
    "ARG": "each of those builds has the value, in its cache and its history",
}


def env_added(env: list[str], base_env: list[str] | None, set_here: set[str]) -> list[tuple[str, str]]:
    """The (name, value) entries of an image's Env (`NAME=value` strings) that its own build added
    or changed: those that differ from the base image's Env; an entry inherited unchanged (the
    official image's GPG_KEY) is the base's. Without the base's Env (None), the entries whose names
    the Dockerfile sets (`set_here`)."""
    pairs = [(key, value) for key, _, value in (entry.partition("=") for entry in env)]
    if base_env is None:
        return [(key, value) for key, value in pairs if key in set_here]
    inherited = dict(entry.partition("=")[::2] for entry in base_env)
    return [(key, value) for key, value in pairs if inherited.get(key) != value]


def _env_added_by_build(g: Grading) -> list[tuple[str, str]]:
    base_env = (g.base_image.attrs.get("Config") or {}).get("Env") or [] if g.base_image is not None else None
    set_here = {expand(key, g.dockerfile.variables_at(i)) for i in g.dockerfile.final_instructions()
                if i.cmd == "ENV" for key, _value in key_values(i)}
    return env_added(g.config.get("Env") or [], base_env, set_here)


@check("no-secret-env")
def no_secret_env(g: Grading) -> Outcome:
    expected = ("No ENV or ARG (ONBUILD included) whose name says it holds a secret (a word such as PASSWORD, "
                "SECRET, TOKEN, KEY, PAT, CREDENTIALS) carries a value (Docker's SecretsUsedInArgOrEnv check).")
    found = [(instr, key) for instr in g.dockerfile.instructions
             for key, _value in secret_assignments(instr, g.dockerfile.variables_at(instr))]
    if found:
        instr, key = found[0]
        details = [f"line {i.line}: {i.original.splitlines()[0].strip()[:100]}" for i, _key in found]
        if instr.cmd == "ONBUILD":
            sub = instr.sub_cmd.upper()
            return failed(f"`ONBUILD {sub} {key}=…` gives a secret-looking name a value: the trigger is stored in "
                          "this image's config (OnBuild), readable by anyone with the image, and runs in every image "
                          f"built FROM it, so {_IN_EVERY_CHILD[sub]}.",
                          expected, instr.line, details=details,
                          fix="Leave the value out of the trigger (an `ONBUILD ARG` without a default) and let each "
                              "child build supply it, as a BuildKit secret mount when it is a build-time secret.")
        return failed(f"`{instr.cmd} {key}=…` gives a secret-looking name a value: {_WHERE_VALUE_GOES[instr.cmd]}.",
                      expected, instr.line, details=details)
    added = [(key, value) for key, value in _env_added_by_build(g) if holds_secret(key, value)]
    if added:
        return failed(f"The image's environment sets {added[0][0]} (a secret-looking name) to a value its build added.",
                      "No secret values in the image's environment.", g.final_from_line,
                      details=[key for key, _value in added],
                      fix="It comes from a build argument or a variable ENV: unset it, and supply it at run time.")
    return passed("No ENV or ARG with a secret-looking name carries a value "
                  "(entries inherited unchanged from the base image are the base's).")


APT_TOOLS = ("apt-get", "apt")
UPGRADES = ("upgrade", "dist-upgrade", "full-upgrade")
APT_LISTS = "/var/lib/apt/lists"
# What each tool prints before it gives up, measured with apt 3.0.4 (Debian trixie) with an update
# pending and no terminal (stdin /dev/null, as in a build): the line, then exit status 1.
APT_PROMPTS = {"apt-get": "Do you want to continue? [Y/n] Abort.", "apt": "Continue? [Y/n] Abort."}
# apt-get(8)/apt(8) options that take a value: -o/--option, -c/--config-file, -t/--target-release,
# -a/--host-architecture, -P/--build-profiles.
_APT_SHORT_VALUE = frozenset("octaP")
_APT_LONG_VALUE = frozenset({"--option", "--config-file", "--target-release", "--default-release",
                             "--host-architecture", "--build-profiles"})
# apt's StringToBool: what a boolean option's value may say.
_APT_TRUE = frozenset({"1", "yes", "true", "with", "on", "enable"})


@dataclasses.dataclass(frozen=True)
class AptCall:
    """One apt-get/apt command line, as apt reads its options (the last one of each wins)."""
    tool: str                 # "apt-get" or "apt"
    action: str | None        # the subcommand: update, upgrade, install...
    assume_yes: bool          # -y, --yes, --assume-yes, a cluster holding y, -o APT::Get::Assume-Yes=true
    quiet: int                # -q, -qq, -q=2, --quiet=2, -o quiet=2

    @property
    def non_interactive(self) -> bool:
        """It cannot stop at the "continue?" prompt. hadolint's DL3014 (src/Hadolint/Rule/DL3014.hs)
        accepts -y, --yes, --assume-yes, -qq, -q -q, -q=2, --quiet --quiet; apt-get(8): "quiet level 2
        implies -y". Measured (apt 3.0.4): apt-get also at quiet 3 and with -o APT::Get::Assume-Yes=1,
        but `apt` (not apt-get) still asks at -qq, and --force-yes does not answer the prompt."""
        return self.assume_yes or (self.tool == "apt-get" and self.quiet >= 2)


def _apt_truth(value: str) -> bool:
    return value.lower() in _APT_TRUE or (value.isdigit() and int(value) != 0)


def apt_call(cmd: shell.Command) -> AptCall | None:
    """How apt-get/apt reads `cmd`'s words, or None when it is not apt-get/apt."""
    if cmd.name not in APT_TOOLS:
        return None
    action, yes, quiet = None, False, 0

    def option(setting: str) -> None:  # -o Name=value
        nonlocal yes, quiet
        key, _, value = setting.partition("=")
        if key.lower() == "apt::get::assume-yes":
            yes = _apt_truth(value)
        elif key.lower() == "quiet" and value.isdigit():
            quiet = int(value)

    words, i = cmd.args, 0
    while i < len(words):
        word, i = words[i], i + 1
        if word == "--":
            action = action or (words[i] if i < len(words) else None)
            break
        if word.startswith("--"):
            key, eq, value = word.partition("=")
            if key in _APT_LONG_VALUE:
                if not eq:
                    value, i = (words[i] if i < len(words) else ""), i + 1
                if key == "--option":
                    option(value)
            elif key in ("--yes", "--assume-yes"):
                yes = _apt_truth(value) if eq else True
            elif key in ("--no-yes", "--no-assume-yes"):
                yes = False
            elif key == "--quiet":
                quiet = int(value) if eq and value.isdigit() else quiet + 1
        elif word.startswith("-") and len(word) > 1:
            letters = word[1:]
            if letters.startswith("q="):
                quiet = int(letters[2:]) if letters[2:].isdigit() else quiet
                continue
            for n, letter in enumerate(letters):
                if letter in _APT_SHORT_VALUE:
                    value = letters[n + 1:]
                    if not value:
                        value, i = (words[i] if i < len(words) else ""), i + 1
                    if letter == "o":
                        option(value)
                    break
                yes |= letter == "y"
                quiet += letter == "q"
        elif action is None:
            action = word
    return AptCall(cmd.name, action, yes, quiet)


def _answered_by_yes(cmd: shell.Command) -> bool:
    """`yes | apt-get upgrade`: `yes` (or `yes y`) answers every prompt."""
    feeder = cmd.piped_from or ()
    return bool(feeder) and feeder[0].rsplit("/", 1)[-1] == "yes" and (len(feeder) == 1 or feeder[1][:1] in "yY")


def _covers_lists(path: str) -> bool:
    """`rm`/`find` of this path takes the package lists with it: the lists directory, its
    contents (`/*`), or /var/lib/apt itself."""
    path = path.rstrip("/")
    path = path[:-2] if path.endswith("/*") else path
    return posixpath.normpath(path or "/") in (APT_LISTS, posixpath.dirname(APT_LISTS))


def _removes_lists(cmd: shell.Command) -> bool:
    """`rm -r[f] /var/lib/apt/lists/*` (or the directory), `apt-get distclean` / `apt distclean`
    (apt >= 2.7: removes the Packages files, keeps the small InRelease files, measured on trixie),
    `find /var/lib/apt/lists ... -delete` (or `-exec rm`)."""
    if cmd.name == "rm":
        return any(_covers_lists(w) for w in cmd.args if not w.startswith("-"))
    if cmd.name == "find":
        starts = [w for w in cmd.args[:next((n for n, w in enumerate(cmd.args) if w[:1] in "-(!"), len(cmd.args))]]
        acts = "-delete" in cmd.args or any(w == "-exec" and cmd.args[n + 1:n + 2] in (("rm",), ("/bin/rm",))
                                            for n, w in enumerate(cmd.args))
        return acts and any(_covers_lists(w) for w in starts)
    call = apt_call(cmd)
    return call is not None and call.action == "distclean"


def _caches_lists(instr: Instruction) -> bool:
    """RUN --mount=type=cache,target=/var/lib/apt (or .../lists): the lists stay out of the layer."""
    for flag in instr.flags:
        if not flag.startswith("--mount="):
            continue
        options = dict(part.partition("=")[::2] for part in flag[len("--mount="):].split(","))
        target = options.get("target") or options.get("dst") or options.get("destination") or ""
        if options.get("type") == "cache" and target and posixpath.normpath(target) in (
                APT_LISTS, posixpath.dirname(APT_LISTS)):
            return True
    return False


_INTERACTIVE, _DONE, _LACKING = range(3)  # verdicts on a RUN that upgrades, the first that applies wins


def _judge_upgrade(instr: Instruction, script: shell.Script) -> tuple[int, Outcome]:
    """One RUN that upgrades: non-interactive, after an update, lists removed (or cached) after it."""
    commands = list(script)
    calls = [(n, apt_call(c)) for n, c in enumerate(commands)]
    updates = [n for n, call in calls if call and call.action == "update"]
    upgrades = [(n, call) for n, call in calls if call and call.action in UPGRADES]
    details = [f"line {instr.line}: {script.describe()}"]
    reading = " (read in part by a conservative tokenizer: bashlex could not parse all of it)" if script.fallback else ""
    for n, call in upgrades:
        if not call.non_interactive and not _answered_by_yes(commands[n]):
            words = " ".join(commands[n].argv)
            frontend = (" DEBIAN_FRONTEND=noninteractive does not answer it: it only keeps debconf from asking "
                        "questions." if "DEBIAN_FRONTEND" in commands[n].env else "")
            still = " (`apt`, unlike apt-get, still asks at quiet level 2)" if call.tool == "apt" and call.quiet >= 2 else ""
            return _INTERACTIVE, failed(
                f"`{words}` can stop at apt's prompt: nothing makes it non-interactive{still}{reading}.",
                f"A non-interactive upgrade: `{call.tool} -y {call.action}` (or --yes, --assume-yes).", instr.line,
                fix=(f"Today it builds only because no update is pending. The day one is, {call.tool} asks "
                     f"\"{APT_PROMPTS[call.tool].removesuffix(' Abort.')}\", a build has no terminal to answer, "
                     f"so it prints \"{APT_PROMPTS[call.tool]}\" and exits 1: the build fails. Add -y.{frontend}"),
                details=details)
    after_update = [n for n, _call in upgrades if updates and n > min(updates)]
    if not after_update:
        return _LACKING, failed(
            "`apt-get upgrade` runs without `apt-get update` before it in the same RUN: a cached update layer "
            f"would make it upgrade from stale package lists{reading}.",
            "update and upgrade in one RUN.", instr.line, details=details)
    if not _caches_lists(instr) and not any(_removes_lists(c) for c in commands[after_update[0] + 1:]):
        cleans = any((call := apt_call(c)) and call.action == "clean" for c in commands)
        return _LACKING, failed(
            f"The RUN that upgrades leaves the package lists ({APT_LISTS}) in the image{reading}"
            + (": `apt-get clean` empties apt's package cache, not the lists." if cleans else "."),
            "The lists removed in the same RUN, after the upgrade (`rm -rf /var/lib/apt/lists/*` or "
            "`apt-get distclean`), or kept in a cache mount.", instr.line, details=details)
    return _DONE, passed(f"Security updates installed: update, upgrade and list clean-up in one RUN{reading}.",
                         instr.line, details=details)


def security_updates(df: Dockerfile) -> Outcome:
    """os-security-updates, judged on the Dockerfile alone: an upgrade that can stop at the prompt
    fails wherever it is (it breaks the build the day an update is pending); otherwise one RUN
    doing it all passes; otherwise the first RUN that upgrades says what it lacks."""
    update_line = None
    verdicts: list[tuple[int, Outcome]] = []
    for instr in df.final_instructions():
        if instr.cmd != "RUN":
            continue
        script = df.commands(instr)
        calls = [call for call in map(apt_call, script) if call]
        if update_line is None and any(call.action == "update" for call in calls):
            update_line = instr.line
        if any(call.action in UPGRADES for call in calls):
            verdicts.append(_judge_upgrade(instr, script))
    if verdicts:
        return min(verdicts, key=lambda verdict: verdict[0])[1]  # min() keeps the first of equals
    return failed("No RUN installs Debian's updates (`apt-get upgrade`)." if update_line is None else
                  "`apt-get update` runs but nothing upgrades the installed packages.",
                  "One RUN that updates the lists, upgrades non-interactively and removes the lists.",
                  update_line or df.final.from_line)


@check("os-security-updates")
def os_security_updates(g: Grading) -> Outcome:
    return security_updates(g.dockerfile)


@check("runs-hardened", containers=("hardened",))
def runs_hardened(g: Grading) -> Outcome:
    served = g.container("hardened")
    if served.answer.ok:
        return passed(f"Serves with a read-only root filesystem, tmpfs /tmp, no capabilities and no-new-privileges "
                      f"(200 after {served.answer.seconds:.1f} s).")
    if not served.started and not g.serving.started:
        raise NotChecked("Not checked: the container did not start (see serves-on-run).")
    logs = served.logs()
    cause = next((l for l in reversed(logs) if re.search(r"read-only file system|permission denied|error", l, re.I)), None)
    said = f" The log says: {cause.strip()}" if cause else ""
    return failed(f"Hardened (read-only root, tmpfs /tmp, cap_drop ALL, no-new-privileges): {served.answer.problem}."
                  f"{said}", "The app still serves GET /healthz when hardened.", g.start_line,
                  details=[f"container log: {l}" for l in logs])
