"""A class graded in parallel: `python -m graders classroom SUBMISSIONS_DIR --stage N`.

Each subdirectory of SUBMISSIONS_DIR is one learner's submission (a workspace, or a directory of
packaging files only), graded by its own `python -m graders check` process, so that the engine a
grading talks to is chosen by that process's environment alone (DOCKER_HOST, TLS variables),
never by changing this process's os.environ from threads. One module per job:

- `fingerprint`: the content hash a verdict is filed under (what is graded, the stage, the grader);
- `cache`: the verdicts already reached, reused by a re-run, a second instructor or nbgrader cells;
- `engines`: the engines a class is spread over (contexts, DOCKER_HOST URLs), checked and given
  the base images before the first grading;
- `batch`: the workers, one `graders check` subprocess per submission, and stopping them all;
- `platforms`: the same verdict as Gradescope's results.json, GitHub Classroom's autograding
  result and JUnit XML;
- `progress`: the live display and the summary table.
"""
