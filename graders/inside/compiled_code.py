"""Has every .py file of the app a valid .pyc for this interpreter? (bytecode-precompiled)

Run as `python -B -c <this> PACKAGE OPTIMIZE` with the interpreter the app's server runs, as its
user, in the image's working directory (the engine's default for a command run in a container),
so that it finds the package the way the server does: the working directory first (gunicorn and
`python -m` put it on sys.path), then PYTHONPATH, then site-packages (.pth files and editable
installs' finders included). `-B`: this probe must not write bytecode of its own.

The app's code: every .py file of the package's directory tree and, when the package lives under
the working directory (the app runs from its source tree), every .py file under that directory
too, installed packages (site-packages, dist-packages) excepted. Each file's .pyc is the one this
interpreter would load: importlib.util.cache_from_source at the optimization level the server
runs with. It is valid when its header carries this Python's magic number and either the
source's mtime and size (the default) or the hash of the source (compileall/py_compile with
--invalidation-mode *-hash, or SOURCE_DATE_EPOCH set). Prints one JSON object.
"""

import importlib.util
import json
import os
import sys

LIMIT = 5000                 # .py files looked at, at most
INSTALLED = ("site-packages", "dist-packages")


def package_locations(package):
    """The package's directories (or its single module file), as the server would import it."""
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):  # a broken parent package, or a module without a spec
        spec = None
    found = (spec.submodule_search_locations or [spec.origin]) if spec is not None else []
    return [location for location in found if location]


def editable(package):
    """Whether the package's distribution was installed in editable mode (`pip install -e`):
    PEP 660's direct_url.json says so."""
    try:
        from importlib import metadata

        text = metadata.distribution(package).read_text("direct_url.json") or "{}"
        return bool(json.loads(text).get("dir_info", {}).get("editable"))
    except Exception:  # no such distribution, an old Python, unreadable metadata
        return False


def sources(root, skip_installed):
    """The .py files under root, __pycache__ and hidden directories left out."""
    if os.path.isfile(root):
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith(".")
                             and not (skip_installed and d in INSTALLED))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def state_of(source, optimization):
    """(the .pyc this interpreter loads for source, and "ok", "missing", "unreadable",
    "other-python" or "stale")."""
    pyc = importlib.util.cache_from_source(source, optimization=optimization or "")
    try:
        with open(pyc, "rb") as fh:
            header = fh.read(16)
        with open(source, "rb") as fh:
            code = fh.read()
        st = os.stat(source)
    except FileNotFoundError:
        return pyc, "missing"
    except OSError:
        return pyc, "unreadable"
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return pyc, "other-python"
    flags = int.from_bytes(header[4:8], "little")
    if flags & 1:
        fresh = header[8:16] == importlib.util.source_hash(code)
    else:
        fresh = (int.from_bytes(header[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
                 and int.from_bytes(header[12:16], "little") == st.st_size & 0xFFFFFFFF)
    return pyc, "ok" if fresh else "stale"


def main():
    package, optimization = sys.argv[1], max(int(sys.argv[2]), sys.flags.optimize)
    cwd = os.getcwd()
    locations = package_locations(package)
    inside_cwd = cwd != "/" and any(os.path.realpath(p).startswith(cwd.rstrip("/") + "/") for p in locations)
    files = []
    for root in locations:
        files += [path for path in sources(root, False) if path not in files]
    if inside_cwd:
        files += [path for path in sources(cwd, True) if path not in files]
    states = [(path, *state_of(path, optimization)) for path in files[:LIMIT]]
    print(json.dumps({
        "executable": sys.executable, "tag": sys.implementation.cache_tag, "optimization": optimization,
        "cwd": cwd, "package": locations, "editable": editable(package), "runs_from_cwd": inside_cwd,
        "files": [{"py": path, "pyc": pyc, "state": state} for path, pyc, state in states],
        "truncated": len(files) > LIMIT,
    }))


main()
