"""nbgrader settings for classrooms that autograde the course notebooks.

The check cells build and run real images: they need far more than nbgrader's default 30 s
cell timeout, the learner's packaging files must survive autograde, and the `graders` package
must be importable (run nbgrader from the course folder, or put it on PYTHONPATH).
See ../shared/reference.md §4 for the traps these settings avoid.
"""

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = "."
# A build plus a 30 s serve probe and a hardened run: minutes, not seconds.
c.Execute.timeout = 900
# autograde would otherwise replace the learner's non-notebook files with the released versions.
# Exact paths, relative to the assignment's source directory (nbgrader does not expand patterns).
PACKAGING = ["exercises/Dockerfile", "exercises/.dockerignore", "exercises/build.sh"]
c.Autograde.exclude_overwriting = {
    "01-working": PACKAGING,
    "02-security": PACKAGING,
}
