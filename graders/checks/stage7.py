"""Stage 7, optimize: a glibc runtime, a dependency layer a source change does not rebuild, no
installer cache, a context without junk, no compilers, an image within its size budget, cache
mounts for the installs.

Sizes are in MB = 10**6 bytes throughout, the engine's uncompressed image sizes (what
`docker image ls` shows), so the numbers match what learners see there.
"""

from __future__ import annotations

import json
import posixpath
import uuid
from pathlib import Path

from .. import build_log, catalogue, context_probe, history_layers, inside, installs, layer_files, probes
from ..grading import Grading, NotChecked
from ..ignore_blame import blame
from .base import Outcome, check, failed, passed
from .stage2 import _base_layers, _line_of_step, _short, apt_call

MB = 10**6
SIZE_BUDGET_MB = float(catalogue.load().practice("image-size-budget").limits["megabytes"])


def _text(instr) -> str:
    return _cut(installs.normalised(instr.original))


def _cut(text: str, width: int = 90) -> str:
    return text if len(text) < width else text[:width - 3] + "..."


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB / 10 else f"{n / 1000:.1f} kB"


def _inside(g: Grading, name: str, *args: str) -> dict:
    """Run graders/inside/<name>.py in the serving container with the server's own Python."""
    run = g.running()
    python = run.interpreter
    result = probes.exec_in(run.container, [python.path, "-c", inside.script(name), *args], user=python.user, timeout=60)
    if result.problem or result.timed_out or result.exit_code != 0 or not result.stdout.strip():
        why = result.problem or ("it did not finish within 60 s" if result.timed_out else f"exit {result.exit_code}")
        raise NotChecked(f"Not checked: the probe could not run inside the container with {python.how} ({why}): "
                         + " | ".join(result.stderr.strip().splitlines()[-3:]))
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- not-alpine -------------------------------------------------------------------------------

@check("not-alpine", containers=("serve",))
def not_alpine(g: Grading) -> Outcome:
    seen = _inside(g, "c_library")
    interpreter, libc, mapped = seen.get("interpreter"), seen.get("libc_ver") or ["", ""], seen.get("mapped") or []
    musl_mapped = [p for p in mapped if "musl" in posixpath.basename(p)]
    evidence = (f"its ELF program interpreter is {interpreter or 'none (statically linked)'}, "
                f"platform.libc_ver() says {libc[0] or 'nothing'}{' ' + libc[1] if libc[1] else ''}, "
                f"and the process maps {', '.join(mapped) or 'no C library file'}")
    python = f"The server's Python ({seen['executable']} -> {seen['path']})"
    if seen.get("kind") == "musl" or musl_mapped:
        return failed(f"{python} runs on musl: {evidence}.",
                      "A glibc-based runtime, where manylinux wheels install as binaries.", g.final_from_line,
                      fix="musl cannot load manylinux wheels, so pip builds every package without a musllinux wheel "
                          "from source (slow builds, a compiler in the image). Start the final stage from a "
                          "Debian-based python image (slim).")
    if seen.get("kind") == "glibc" or libc[0] == "glibc":
        return passed(f"{python} runs on glibc: {evidence}.", g.final_from_line)
    raise NotChecked(f"Not checked: could not tell the C library of {seen['path']}: {evidence}"
                     + (f" ({seen['error']})" if seen.get("error") else "") + ".")


# --- dependency-layer-cached --------------------------------------------------------------------

SOURCE_CHANGE = "source-change"


def _source_file(context: Path) -> Path | None:
    """The app source file the source-only change edits: the first .py under src/, else under the
    context outside the tests."""
    for pattern in ("src/**/*.py", "**/*.py"):
        found = sorted(p for p in context.glob(pattern) if p.is_file() and not p.is_symlink()
                       and "tests" not in p.relative_to(context).parts and not p.name.startswith("test_"))
        if found:
            return found[0]
    return None


def _rebuild(g: Grading):
    """Rebuild after appending a unique comment to one source file (a content change: BuildKit
    ignores a new mtime). Returns (the file, relative to the context, or None; the BuildResult or None)."""
    source = _source_file(g.context.dir)
    if source is None:
        return None, None
    relative = source.relative_to(g.context.dir)

    def edit(directory: Path) -> None:
        with (directory / relative).open("a", encoding="utf-8") as fh:
            fh.write(f"\n# source-only change by the grader: {uuid.uuid4().hex}\n")

    variant = g.variant_context(SOURCE_CHANGE, edit)
    return relative.as_posix(), g.build_image(SOURCE_CHANGE, context_dir=variant)


def _start_rebuild(g: Grading):
    return g.submit("rebuild after a source change", lambda: _rebuild(g))


def _layer_index(steps: list[str | None], instr) -> int | None:
    """The layer a RUN made, among an image's layer steps (its history entry holds its command)."""
    wanted = installs.normalised(instr.shell_text)
    found = [i for i, step in enumerate(steps) if step and wanted in installs.normalised(step)]
    return found[-1] if found else None


def _layers_compared(g: Grading, install, rebuilt_image) -> tuple[bool, str] | None:
    """(shared, evidence) from the two images' layers, when the install's layer is in the final image."""
    if install.instr not in g.dockerfile.final_instructions():
        return None
    first = history_layers.engine_layer_steps(g.image, g.base_image)
    second = history_layers.engine_layer_steps(rebuilt_image, g.base_image)
    index = _layer_index(first, install.instr) if first and second else None
    if index is None or _layer_index(second, install.instr) != index:
        return None
    ids = [(image.attrs.get("RootFS") or {}).get("Layers") or [] for image in (g.image, rebuilt_image)]
    shared = history_layers.same_layer(ids[0], ids[1], index)
    short = [layer.removeprefix("sha256:")[:12] for layer in (ids[0][index], ids[1][index])]
    if shared:
        return True, f"its layer, {index + 1} of {len(ids[0])} ({short[0]}), is the same in both images"
    return False, f"its layer, {index + 1} of {len(ids[0])}, was {short[0]} and is now {short[1]}"


def _invalidator(g: Grading, seen: list[build_log.Step], install):
    """The first step before the install, in its stage's chain, that the rebuild ran again (the
    COPY that brought the changed source in), or None."""
    before = []
    for stage in g.dockerfile.chain(install.stage):
        for instr in stage.instructions:
            if instr is install.instr:
                break
            before.append(instr)
    rerun = [i for i in before if (step := build_log.step_of(seen, g.dockerfile, i)) is not None and not step.cached]
    copies = [i for i in rerun if i.cmd in ("COPY", "ADD")]
    return (copies or rerun or [None])[0]


@check("dependency-layer-cached", prepare=_start_rebuild)
def dependency_layer_cached(g: Grading) -> Outcome:
    found = installs.dependency_installs(g.dockerfile)
    if not found:
        raise NotChecked("Not checked: no RUN installs the app's dependencies (pip/uv install, uv sync, poetry "
                         "install...), so there is no dependency layer to look for.")
    install = found[0]
    g.on_step("rebuilding after a source-only change")
    changed, rebuilt = _start_rebuild(g).result()
    if rebuilt is None:
        raise NotChecked("Not checked: the context has no .py source file to change.")
    if not rebuilt.ok:
        raise NotChecked(f"Not checked: the rebuild after a source-only change failed: {rebuilt.error}.")
    g.metrics["rebuild_seconds"] = round(rebuilt.seconds, 2)
    seen = build_log.steps(rebuilt)
    step = build_log.step_of(seen, g.dockerfile, install.instr)
    compared = _layers_compared(g, install, g.client.images.get(rebuilt.image_id))
    if compared is None and step is None:
        raise NotChecked(f"Not checked: the install (line {install.instr.line}) is neither among the final image's "
                         "layers nor in the rebuild's log.")
    reused, evidence = compared or (step.cached, "BuildKit's log shows it CACHED" if step.cached else
                                    "BuildKit's log shows it run, not CACHED")
    if compared is None:
        evidence += f" in stage `{install.stage.name or install.stage.index}`, which the final image copies from"
    change = f"a comment appended to {changed}"
    times = f"first build {g.build.seconds:.1f} s, rebuild {rebuilt.seconds:.1f} s"
    rerun = [f"ran again: {s.text[:100]}" for s in seen if not s.cached and not s.text.startswith("FROM ")]
    if reused:
        return passed(f"After a source-only change ({change}), the rebuild reused the dependency install (line "
                      f"{install.instr.line}, `{_text(install.instr)}`): {evidence}; {times}.", install.instr.line,
                      details=rerun)
    culprit = _invalidator(g, seen, install)
    if culprit is None or culprit is install.instr:
        why = ("the install step itself reads the changed source (a bind mount of it, or an installer given the "
               "source directory)")
        line = install.instr.line
    else:
        why = f"`{_text(culprit)}` (line {culprit.line}) copies the changed source in before it"
        line = culprit.line
    return failed(f"After a source-only change ({change}), the rebuild ran the dependency install (line "
                  f"{install.instr.line}, `{_text(install.instr)}`) again: {why}, and a changed step invalidates the "
                  f"cache of every step after it; {evidence}; {times}.",
                  "A source-only change leaves the dependency-install layer cached.", line, details=rerun,
                  fix="Copy only what the install needs (the lock or requirements file, pyproject.toml) before it, "
                      "and the source after it, so a code change rebuilds only the steps that use the code.")


# --- no-package-cache ---------------------------------------------------------------------------

CACHE_NAMES = {"pip": ".cache/pip", "uv": ".cache/uv", "poetry": ".cache/pypoetry", "pdm": ".cache/pdm",
               "pipenv": ".cache/pipenv"}
CACHE_ENV = ("PIP_CACHE_DIR", "UV_CACHE_DIR", "POETRY_CACHE_DIR", "PIPENV_CACHE_DIR")


def _layer_listing(g: Grading):
    """The files of every layer the build added (docker save), in the background from the start."""
    image_id, skip = g.image.id, _base_layers(g)
    return g.submit("layer files", lambda: layer_files.list_layers(g.client, image_id, skip))


def _cache_roots(g: Grading) -> dict[str, str]:
    """Directory -> the installer whose cache it is: the environment's settings, and the
    directories the final image's own installs cache in."""
    env = dict(entry.partition("=")[::2] for entry in g.config.get("Env") or [])
    roots = {posixpath.normpath(env[name]): name.split("_")[0].lower() for name in CACHE_ENV if env.get(name)}
    if env.get("XDG_CACHE_HOME"):
        roots.update({posixpath.join(env["XDG_CACHE_HOME"], name.split("/")[-1]): tool
                      for tool, name in CACHE_NAMES.items()})
    final = g.dockerfile.final_instructions()
    roots.update({i.cache_dir: i.tool for i in installs.installs(g.dockerfile) if i.cache_dir and i.instr in final})
    return roots


def _cache_of(path: str, roots: dict[str, str]) -> tuple[str, str] | None:
    """(cache directory, installer) when `path` is inside an installer's cache."""
    for root, tool in roots.items():
        if path.startswith(root.rstrip("/") + "/"):
            return root, tool
    for tool, name in CACHE_NAMES.items():
        at = path.find("/" + name + "/")
        if at >= 0:
            return path[:at + len(name) + 1], tool
    return None


@check("no-package-cache", prepare=_layer_listing)
def no_package_cache(g: Grading) -> Outcome:
    roots = _cache_roots(g)
    g.on_step("looking for installer caches in the image's layers")
    found: dict[tuple[int, str], list[int]] = {}
    steps: dict[int, str | None] = {}
    for layer in _layer_listing(g).result():
        for path, size in layer.files.items():
            where = _cache_of(path, roots)
            if where and size:
                found.setdefault((layer.index, where[0]), []).append(size)
                steps[layer.index] = layer.step
    mounted = [i for i in installs.installs(g.dockerfile)
               if any(m["type"] == "cache" for m in installs.mounts(i.instr))]
    if not found:
        how = (f"; the install on line {mounted[0].instr.line} keeps its cache in a BuildKit cache mount" if mounted
               else "")
        return passed("No layer the build added holds a pip or uv cache (looked under ~/.cache/pip, ~/.cache/uv "
                      f"of every home, and {', '.join(sorted(roots)) or 'no configured cache directory'}){how}.")
    (index, root), sizes = max(found.items(), key=lambda item: sum(item[1]))
    tool = _cache_of(root + "/x", roots)[1]
    line = _line_of_step(g, steps[index])
    made_by = next((f"line {i.line}, `{_text(i)}`" for i in g.dockerfile.final_instructions() if i.line == line),
                   f"`{_short(steps[index])}`")
    total = sum(sum(s) for s in found.values())
    return failed(f"Layer {index + 1} ({made_by}) holds {tool}'s cache: {len(sizes)} files, {_size(sum(sizes))} under "
                  f"{root}; {_size(total)} of installer cache in all, shipped with every pull even if a later step "
                  "deletes it.",
                  "No pip/uv cache in any layer: the cache turned off for the install, or kept in a BuildKit cache "
                  "mount.", line,
                  details=[f"layer {i + 1}: {r}: {len(s)} files, {_size(sum(s))}" for (i, r), s in found.items()],
                  fix=f"Turn {tool}'s cache off in that RUN (pip: --no-cache-dir; uv: UV_NO_CACHE=1), or mount "
                      "a BuildKit cache at its cache directory so it stays out of the layer.")


# --- dockerignore --------------------------------------------------------------------------------

JUNK = tuple(context_probe.PLANTED)     # .git, .venv, __pycache__, .env, tests


def _start_probe(g: Grading):
    _layer_listing(g)
    directory = g.context.dir
    return g.submit("context probe", lambda: context_probe.probe(directory))


def _junk_in(path: str) -> str | None:
    parts = path.strip("/").split("/")
    if parts[-1] == ".env":
        return ".env"
    return next((name for name in (".git", ".venv", "__pycache__", "tests") if name in parts[:-1]), None)


def _copied_junk(g: Grading) -> list[tuple[int | None, str, str]]:
    """(line, what, path) of junk that a COPY/ADD from the context put into the image."""
    instrs = {i.line: i for i in g.dockerfile.final_instructions()}
    found = []
    for layer in _layer_listing(g).result():
        line = _line_of_step(g, layer.step)
        instr = instrs.get(line)
        if instr is None or instr.cmd not in ("COPY", "ADD") or instr.flag("from") is not None:
            continue
        found += [(line, what, path) for path in sorted(layer.files) if (what := _junk_in(path))]
    return found


@check("dockerignore", prepare=_start_probe)
def dockerignore(g: Grading) -> Outcome:
    g.on_step("sending a planted context through BuildKit to see what the ignore file keeps out")
    probe = _start_probe(g).result()
    if probe.problem:
        raise NotChecked(f"Not checked: the context probe build failed: {probe.problem}.")
    name = probe.ignore_file or ".dockerignore"
    path = g.submission_file(name) if probe.ignore_file else None
    text = path.read_text(encoding="utf-8", errors="replace") if path else ""
    expected = f"{name} keeps {', '.join(JUNK)} out of the build context (at any depth for __pycache__)."
    leaked = probe.leaked
    if leaked:
        blames = [(what, paths[0], blame(text, paths[0], what)) for what, paths in leaked.items()]
        line = next((b.line for _w, _p, b in blames if b.line), None)
        sent = "; ".join(f"{what} ({', '.join(paths)})" for what, paths in leaked.items())
        said = "; ".join(b.reason for _w, _p, b in blames)
        where = f"in {name}, {said}" if probe.ignore_file else "there is no .dockerignore"
        return failed(f"BuildKit sends {sent} to the builder (junk the grader planted in a copy of the context, "
                      f"matched by BuildKit itself): {where}.", expected, line, file=name,
                      details=[f"{what}: {', '.join(paths)}" for what, paths in leaked.items()],
                      fix="List each of them in .dockerignore; write `**/__pycache__` for caches inside packages, "
                          "and check that no later `!` pattern lets one back in.")
    copied = _copied_junk(g)
    if copied:
        line, what, where = copied[0]
        return failed(f"{name} keeps the planted junk out, but the image holds {what} copied from the context "
                      f"({where}, by line {line}).", f"None of {', '.join(JUNK)} in the image.", line,
                      details=[f"line {l}: {p}" for l, _w, p in copied[:10]])
    return passed(f"{name} keeps {', '.join(JUNK)} out of the context: of the paths the grader planted (e.g. "
                  "src/shortlinks/__pycache__), BuildKit sent none; no layer copied from the context holds them.",
                  file=name)


# --- no-build-tools-in-final ----------------------------------------------------------------------

TOOL_COMMANDS = (r"(gcc|cc|c\+\+|g\+\+|clang|clang\+\+|cpp|tcc|make|gmake|cmake|ninja|meson|ld|as)(-[0-9.]+)?"
                 r"|[a-z0-9_]+-linux-gnu-(gcc|g\+\+|cpp|ld|as)(-[0-9.]+)?")
TOOL_PACKAGES = (r"(build-essential|gcc|g\+\+|cpp|clang|make|cmake|ninja-build|meson|binutils|libc6-dev|dpkg-dev)"
                 r"(-[0-9.]+)?(-[a-z0-9-]+-linux-gnu)?")


def _tool_line(g: Grading, paths: list[str], packages: list[str]) -> int:
    """The line that put a tool in the image: the layer holding its file, else a RUN that installs
    one of the packages, else the final FROM (the base image brings it)."""
    for layer in _layer_listing(g).result():
        if any(p in layer.files for p in paths):
            line = _line_of_step(g, layer.step)
            if line:
                return line
    for instr in g.dockerfile.final_instructions():
        if instr.cmd == "RUN" and any((call := apt_call(c)) and call.action == "install" and
                                      set(c.args) & {*packages, "build-essential"} for c in g.dockerfile.commands(instr)):
            return instr.line
    return g.final_from_line


@check("no-build-tools-in-final", containers=("serve",), prepare=_layer_listing)
def no_build_tools_in_final(g: Grading) -> Outcome:
    seen = _inside(g, "build_tools", TOOL_COMMANDS, TOOL_PACKAGES)
    tools, packages = seen["tools"], seen["packages"]
    if not tools and not packages:
        dpkg = "dpkg lists none of them" if packages is not None else "the image has no dpkg status to read"
        return passed("No compiler or build tool in the final image: none on PATH or in the standard bin directories "
                      f"(gcc, cc, c++, clang, make, cmake, ld...); {dpkg}.")
    named = [f"{'/'.join(sorted(t['names'], key=len)[:3])} (-> {t['real']}" + (f", package {t['package']}" if t.get("package") else "")
             + ")" for t in tools]
    line = _tool_line(g, [p for t in tools for p in (*t["paths"], t["real"])], packages or [])
    shown = ", ".join(packages[:12]) + (f" and {len(packages) - 12} more" if len(packages or []) > 12 else "")
    installed = f"; dpkg lists {shown}" if packages else ""
    origin = " (it comes with the base image)" if line == g.final_from_line else ""
    return failed(f"The final image holds build tools: {', '.join(named) or 'none on PATH'}{installed}{origin}.",
                  "No compiler or build-only tool in the final image.", line, details=named + (packages or []),
                  fix="Install compilers and build tools in a builder stage, build there (wheels or a virtualenv), "
                      "and copy only the result into a final stage that never installs them.")


# --- image-size-budget ------------------------------------------------------------------------------

@check("image-size-budget")
def image_size_budget(g: Grading) -> Outcome:
    base = g.base_image
    if base is None:
        raise NotChecked(f"Not checked: the engine does not have the base image {g.dockerfile.external_base()[0]} "
                         "to compare with.")
    size, base_size = g.image.attrs.get("Size") or 0, base.attrs.get("Size") or 0
    g.metrics["image_bytes"], g.metrics["base_image_bytes"] = size, base_size
    delta = size - base_size
    numbers = (f"the image is {size / MB:.1f} MB, its base {g.dockerfile.external_base()[0]} {base_size / MB:.1f} MB: "
               f"{delta / MB:+.1f} MB (MB = 10^6 bytes, uncompressed, as `docker image ls` shows)")
    if delta <= SIZE_BUDGET_MB * MB:
        return passed(f"Within the budget of the base image plus {SIZE_BUDGET_MB:g} MB: {numbers}.")
    own = list(reversed(g.image.history()))[len(base.history()):]
    biggest = sorted((e for e in own if e.get("Size")), key=lambda e: e["Size"], reverse=True)
    line = _line_of_step(g, biggest[0]["CreatedBy"]) if biggest else None
    return failed(f"Over the budget of the base image plus {SIZE_BUDGET_MB:g} MB: {numbers}; the largest layer is "
                  f"{_size(biggest[0]['Size'])} (`{_short(biggest[0]['CreatedBy'])}`)." if biggest else
                  f"Over the budget of the base image plus {SIZE_BUDGET_MB:g} MB: {numbers}.",
                  f"At most {SIZE_BUDGET_MB:g} MB over the base image.", line or g.final_from_line,
                  details=[f"{_size(e['Size'])}: {_short(e['CreatedBy'])}" for e in biggest[:6] if e["Size"] >= MB / 10])


# --- cache-mounts ------------------------------------------------------------------------------------

def _covers(target: str, directory: str) -> bool:
    target, directory = posixpath.normpath(target), posixpath.normpath(directory)
    return directory == target or directory.startswith(target.rstrip("/") + "/")


def _mount_verdict(install) -> tuple[bool, str]:
    targets = [m["target"] for m in installs.mounts(install.instr) if m["type"] == "cache" and m.get("target")]
    who = f"`{_cut(install.text, 70)}` (line {install.instr.line})"
    if not targets:
        return False, f"{who} runs without a cache mount"
    if install.cache_disabled:
        return False, (f"{who} has a cache mount at {', '.join(targets)}, but its cache is turned off (--no-cache-dir, "
                       "--no-cache or *_NO_CACHE), so the mount stays empty and every build downloads again")
    where = install.cache_dir
    if where is None:   # a non-root user whose HOME the Dockerfile does not say: its ~/.cache/<tool>
        suffix = CACHE_NAMES.get(install.tool, ".cache")
        ok = [t for t in targets if t.rstrip("/").endswith((suffix, ".cache"))]
        where = f"~/{suffix}"
    else:
        ok = [t for t in targets if _covers(t, where)]
    if ok:
        return True, f"{who} caches in {where}, on the cache mount at {ok[0]}"
    return False, (f"{who} caches in {where}, but the cache mount is at {', '.join(targets)}: {install.tool} never "
                   "reads or writes there, so every build downloads everything again")


@check("cache-mounts")
def cache_mounts(g: Grading) -> Outcome:
    found = installs.dependency_installs(g.dockerfile)
    if not found:
        raise NotChecked("Not checked: no RUN installs the app's dependencies (pip/uv install, uv sync...).")
    verdicts = [(install, *_mount_verdict(install)) for install in found]
    bad = [(install, why) for install, ok, why in verdicts if not ok]
    if bad:
        install, why = bad[0]
        return failed(f"{why}.",
                      "Each dependency install mounts a BuildKit cache at its installer's cache directory "
                      "(`RUN --mount=type=cache,target=...`).", install.instr.line,
                      details=[why for _i, _ok, why in verdicts])
    return passed("; ".join(why for _i, _ok, why in verdicts) + ".", found[0].instr.line)

