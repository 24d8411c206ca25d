"""Which `.py` files in an image have their bytecode (`.pyc`) beside them: a small Python script
run in a throwaway container of the image, as its own user, counting, in the app's working
directory, the directory the app's package is imported from, and the standard library, the
`.py` files whose cached `.pyc` (importlib.util.cache_from_source: `__pycache__/NAME.cpython-313.pyc`)
exists."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .built import Built
from .commands import docker_run_line

# Run inside the image from its WORKDIR (as `gunicorn` is), so the app's package is found the way
# the server finds it. Prints one JSON object.
SURVEY = r"""
import importlib.util, json, os, sys, sysconfig
def count(root):
    py = with_pyc = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                py += 1
                with_pyc += os.path.exists(importlib.util.cache_from_source(os.path.join(folder, name)))
    return py, with_pyc
spec = importlib.util.find_spec("APP")
package = os.path.dirname(spec.origin) if spec and spec.origin else None
places = [("the working directory", os.getcwd()), ("the app's package, as imported", package),
          ("the standard library", sysconfig.get_paths()["stdlib"])]
print(json.dumps({"python": sys.version.split()[0], "tag": sys.implementation.cache_tag,
                  "rows": [[label, path, *count(path)] for label, path in places if path]}))
"""


@dataclass(frozen=True)
class Place:
    label: str
    path: str
    py: int
    with_pyc: int

    @property
    def without(self) -> int:
        return self.py - self.with_pyc


def survey(lab, built: Built, package: str = "shortlinks") -> list[Place]:
    """Count the `.py` files with and without their `.pyc`, in a fresh container of the image."""
    command = ["python3", "-c", SURVEY.replace("APP", package)]
    print(docker_run_line(built.image.tags[0], ["python3", "-c", "<the survey script>"]))
    code, output = lab.run_once(built, command)
    if code != 0:
        raise RuntimeError(f"the survey failed (exit {code}): {output.strip()[-500:]}")
    found = json.loads(output.strip().splitlines()[-1])
    places = [Place(*row) for row in found["rows"]]
    for place in places:
        print(f"  {place.label:32} {place.path:52} {place.py:5} .py, {place.with_pyc:5} with their .pyc "
              f"({found['tag']}), {place.without} without")
    return places
