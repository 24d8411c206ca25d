"""One verdict, written for the platforms a class may be graded on, from the JSON report (schema 1)
`graders check --json` writes (or the cache kept): each submission's folder in `--out` gets

- `report.json`: the course's own report, as `graders check --json` writes it;
- `report.xml`: JUnit XML, by graders/report.py's own writer (CI systems, GitLab, Jenkins);
- `results.json`: Gradescope's autograder output (gradescope-autograders.readthedocs.io/en/latest/
  specs/, "Output format"; gradescope/autograder_samples docs/specs.md): top-level `score`,
  `execution_time`, `output`, and `tests[]` with `name`, `number`, `score`, `max_score`, `status`
  (`passed`/`failed`), `output`, `tags`, `visibility`. A `run_autograder` that runs
  `graders check` can copy it to /autograder/results/results.json;
- `github-classroom.json` and `github-classroom.b64`: the result GitHub Classroom's current
  autograding actions exchange (classroom-resources/autograding-grading-reporter src/main.js
  decodes base64 JSON from `<RUNNER-ID>_RESULTS`; notify-classroom.js sums `tests[].score` against
  `max_score` and posts "Points N/M"; console-results.js prints each test's `name`, `status`,
  `message`), in the shape the graders actions write it (education/autograding-command-grader:
  `{"version": 1, "status", "max_score", "tests": [{name, status, score, message, test_code,
  filename, line_no, duration}]}`). A workflow step runs the grader, then
  `echo "result=$(cat github-classroom.b64)" >> "$GITHUB_OUTPUT"`, and the reporter reads it.

Scores are the catalogue's points: a practice scores its points when it passes, 0 otherwise.
A submission with no verdict (exit 2: no Dockerfile...) gets score 0 with the reason, and one
JUnit error case, so every platform shows it rather than nothing.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from .cache import report_from_json

NO_VERDICT = "no-verdict"


def _detail(result: dict) -> str:
    """What a learner needs for one practice: the grader's message, the line, the nudge, evidence."""
    where = f"{result.get('file') or 'Dockerfile'} line {result['line']}" if result.get("line") else ""
    return "\n".join(filter(None, [result["message"], where, f"How to fix: {result['hint']}" if result.get("hint") else "",
                                   *result.get("details", [])]))


def _points(report: dict) -> tuple[int, int]:
    return sum(r["points"] for r in report["results"]), sum(r["max_points"] for r in report["results"])


def gradescope(report: dict | None, seconds: float, problem: str = "") -> dict:
    if report is None:
        return {"score": 0, "execution_time": round(seconds), "output": f"No verdict: {problem}", "tests": []}
    score, total = _points(report)
    failing = [r["id"] for r in report["results"] if r["level"] == "required" and r["status"] != "pass"]
    summary = (f"Graded up to stage {report['stage']}: {score}/{total} points. "
               + (f"Required practices not passing: {', '.join(failing)}." if failing else "All required practices pass."))
    tests = []
    for number, r in enumerate(report["results"], 1):
        tests.append({"name": f"{r['id']}: {r['title']}", "number": f"{r['stage']}.{number}", "score": r["points"],
                      "max_score": r["max_points"], "status": "passed" if r["status"] == "pass" else "failed",
                      "output": "" if r["status"] == "pass" else _detail(r), "tags": [f"stage {r['stage']}", r["level"]],
                      "visibility": "visible"})
    return {"score": score, "execution_time": round(seconds), "output": summary, "tests": tests}


def github_classroom(report: dict | None, seconds: float, problem: str = "") -> dict:
    if report is None:
        return {"version": 1, "status": "error", "max_score": 0,
                "tests": [{"name": NO_VERDICT, "status": "error", "score": 0, "message": problem, "test_code": "",
                           "filename": "", "line_no": 0, "duration": round(seconds * 1000)}]}
    _score, total = _points(report)
    required_ok = all(r["status"] == "pass" for r in report["results"] if r["level"] == "required")
    tests = [{"name": r["id"], "status": {"pass": "pass", "fail": "fail"}.get(r["status"], "error"),
              "score": r["points"], "message": "" if r["status"] == "pass" else _detail(r),
              "test_code": f"python -m graders check --stage {report['stage']}", "filename": r.get("file") or "Dockerfile",
              "line_no": r.get("line") or 0, "duration": 0}
             for r in report["results"]]
    return {"version": 1, "status": "pass" if required_ok else "fail", "max_score": total, "tests": tests}


def _junit_without_verdict(path: Path, name: str, problem: str) -> None:
    suites = ET.Element("testsuites", name=f"dockercourse {name}")
    suite = ET.SubElement(suites, "testsuite", name="grading", tests="1", failures="0", errors="1", skipped="0")
    case = ET.SubElement(suite, "testcase", classname="grading", name=NO_VERDICT)
    ET.SubElement(case, "error", message=problem).text = problem
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_all(folder: Path, name: str, report: dict | None, seconds: float, problem: str = "") -> None:
    """Every platform's file for one submission into `folder` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    if report is not None:
        (folder / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        report_from_json(report).write_junit(folder / "report.xml")
    else:
        _junit_without_verdict(folder / "report.xml", name, problem)
    (folder / "results.json").write_text(json.dumps(gradescope(report, seconds, problem), indent=2) + "\n",
                                         encoding="utf-8")
    result = github_classroom(report, seconds, problem)
    (folder / "github-classroom.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (folder / "github-classroom.b64").write_text(
        base64.b64encode(json.dumps(result, separators=(",", ":")).encode()).decode() + "\n", encoding="utf-8")
