"""Which Python distributions does this interpreter see, and which others lie in the image?
(locked-dependencies, no-dev-dependencies)

Run as `python -c <this>` with the interpreter the app's server runs, as its user, in the image's
working directory, so that it sees what the server imports: the working directory first (gunicorn
and `python -m` put it on sys.path), then PYTHONPATH, then site-packages (.pth files included).
Reports, from importlib.metadata:

- `distributions`: each distribution on that sys.path, once (the first one found wins, as an
  import would), with its version and the directory holding its metadata;
- `elsewhere`: distributions in other site-packages/dist-packages directories of the image (another
  virtualenv, the system Python's, a user's ~/.local), which this interpreter does not import but
  which are in the image all the same (a test tool there still ships);
- `environment`: the PEP 508 marker environment of this interpreter, so the grader can tell which
  lines of a lock apply here (the keys and values of packaging.markers.default_environment()).

Prints one JSON object.
"""

import glob
import json
import os
import platform
import sys
from importlib import metadata

# Where else Python packages live in images (virtualenvs, the system Python, user installs).
ROOTS = ("/usr/local/lib/python3*", "/usr/lib/python3*", "/opt/*/lib/python3*", "/opt/*/*/lib/python3*",
         "/venv/lib/python3*", "/*/.venv/lib/python3*", "/*/*/.venv/lib/python3*", "/root/.local/lib/python3*",
         "/home/*/.local/lib/python3*", "/root/.local/share/*/tools/*/lib/python3*",
         "/root/.local/share/pipx/venvs/*/lib/python3*")
INSTALLED = ("site-packages", "dist-packages")


def full_version(info):
    version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def environment():
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def listed(paths, seen):
    found = []
    for dist in metadata.distributions(path=paths):
        name = dist.metadata["Name"] if dist.metadata else None
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        where = getattr(dist, "_path", None)
        found.append({"name": name, "version": dist.version, "path": str(where.parent) if where else None})
    return found


def main():
    cwd = os.getcwd()
    path = [cwd if entry == "" else entry for entry in sys.path]
    seen = set()
    served = listed(path, seen)
    real = {os.path.realpath(p) for p in path if p}
    others = []
    for root in ROOTS:
        for directory in sorted(glob.glob(root)):
            for kind in INSTALLED:
                candidate = os.path.join(directory, kind)
                if os.path.isdir(candidate) and os.path.realpath(candidate) not in real:
                    real.add(os.path.realpath(candidate))
                    others.append(candidate)
    elsewhere = []
    for directory in others:
        elsewhere += listed([directory], set())
    print(json.dumps({"python": sys.executable, "distributions": served, "elsewhere": elsewhere,
                      "environment": environment()}))


main()
