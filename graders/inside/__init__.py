"""Scripts the grader runs INSIDE a learner's container, with the image's own Python.

Each is a standalone program (standard library only, Python 3.8 or newer, no imports from the
grader), passed to the interpreter with `-c`; it prints one JSON object on stdout and nothing
else there, so its answer is never mixed with warnings on stderr.
"""

from __future__ import annotations

from importlib import resources


def script(name: str) -> str:
    """The source of graders/inside/<name>.py, to run with `python -c`."""
    return resources.files(__package__).joinpath(f"{name}.py").read_text(encoding="utf-8")
