"""The course's nbgrader course: one assignment per stage (classroom/source/stageN/, generated
by `make classroom` from the catalogue; see classroom/README.md for the whole flow).

Run nbgrader from this folder (`cd classroom && ../.venv/bin/nbgrader ...`). The traps these
settings avoid are in ../shared/reference.md §4 (and graders/assignment_cells.py).
"""

import sys
from pathlib import Path

try:
    from graders.nbgrader_course import exclude_overwriting
except ImportError:  # run from classroom/: the course folder is the parent
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from graders.nbgrader_course import exclude_overwriting

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "docker-packaging"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
# A build, a serve probe, a hardened run, a build script on five branches: minutes, not nbgrader's 30 s.
c.Execute.timeout = 900
# autograde would otherwise replace the student's packaging files with the released ones, and
# grade those. Exact paths (nbgrader does not expand patterns), computed from the solutions.
c.Autograde.exclude_overwriting = exclude_overwriting()
