"""Which of the app's code can the serving process's user write? (code-not-writable)

Run as `python -c <this> PACKAGE` with the interpreter the app's server runs, as its user. It
finds the serving process (the oldest other process running this same interpreter), and checks,
for write access by the current user: every directory and file of the interpreter's
site-packages (all of them: a writable site-packages lets anyone drop a `.pth` file that runs at
every start), the app's package, the files the serving process was started with (its script,
e.g. a venv's bin/gunicorn) and their directories, the interpreter itself, and the `.py` files
under the serving process's working directory. Prints one JSON object.
"""

import importlib.util
import json
import os
import site
import sys
import sysconfig

SHOWN = 20          # writable paths listed
SKIP = ("/proc", "/sys", "/dev")


def serving_process():
    """(pid, argv, cwd) of the oldest other process whose executable is this interpreter's."""
    own = os.path.realpath(sys.executable)
    for name in sorted((n for n in os.listdir("/proc") if n.isdigit()), key=int):
        if int(name) == os.getpid():
            continue
        try:
            if os.path.realpath(f"/proc/{name}/exe") != own:
                continue
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                argv = [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
            return int(name), argv, os.readlink(f"/proc/{name}/cwd")
        except OSError:
            continue
    return None, [], os.getcwd()


def site_roots():
    roots = []
    try:
        roots += site.getsitepackages()
    except AttributeError:  # an old virtualenv's site module
        pass
    if site.ENABLE_USER_SITE:
        roots.append(site.getusersitepackages())
    paths = sysconfig.get_paths()
    roots += [paths.get("purelib"), paths.get("platlib")]
    return roots


def package_dirs(package):
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        return list(spec.submodule_search_locations)
    return [spec.origin] if spec.origin else []


def main():
    package = sys.argv[1]
    pid, argv, cwd = serving_process()
    checked, writable = [0], []

    def visit(path):
        checked[0] += 1
        if os.access(path, os.W_OK):
            writable.append(path)

    def walk(root):
        if os.path.isfile(root):
            visit(root)
            return
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
            visit(dirpath)
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    visit(path)

    roots = site_roots()
    app = package_dirs(package)
    entries = [a for a in argv[1:] if a.startswith("/") and os.path.isfile(a)]
    trees = []
    for root in [*roots, *app]:
        if root and os.path.exists(root) and not root.startswith(SKIP):
            real = os.path.realpath(root)
            if real not in trees:
                trees.append(real)
    trees = [t for t in trees if not any(t != o and t.startswith(o.rstrip("/") + "/") for o in trees)]
    for tree in trees:
        walk(tree)
    single = [os.path.realpath(sys.executable), *entries]
    for path in dict.fromkeys([*single, *(os.path.dirname(p) for p in single)]):
        visit(path)
    workdir_code = 0
    if cwd != "/" and not cwd.startswith(SKIP):
        for dirpath, dirnames, filenames in os.walk(cwd):
            code = [f for f in filenames if f.endswith(".py")]
            if code:
                visit(dirpath)
                for name in code:
                    workdir_code += 1
                    visit(os.path.join(dirpath, name))
    print(json.dumps({
        "uid": os.getuid(), "gid": os.getgid(), "executable": sys.executable, "pid": pid, "argv": argv,
        "cwd": cwd, "site": [t for t in trees if t not in app], "package": app, "entries": entries,
        "workdir_code": workdir_code, "checked": checked[0], "writable": writable[:SHOWN],
        "writable_count": len(writable),
    }))


main()
