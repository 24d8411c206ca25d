"""Grading a build context: build once, run each practice's check, collect the report."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Callable

from . import catalogue as catalogue_module
from .checks import CHECKS
from .checks.base import Outcome, errored
from .dockerfile import DockerfileError
from .engine import Session, connect, ensure_buildx, registry_reachable
from .grading import Grading, NotChecked
from . import metrics_history
from .build_cgroup import build_cgroup
from .report import Report, Result
from .workspace import build_context


def implemented_stages() -> list[int]:
    """Stages whose every practice has a check (grading is cumulative, so a prefix of 1..7)."""
    cat = catalogue_module.load()
    stages = []
    for stage in cat.stage_numbers:
        if not all(p.id in CHECKS for p in cat.of_stage(stage)):
            break
        stages.append(stage)
    return stages


class StageNotAvailable(Exception):
    pass


def _result(practice, outcome: Outcome) -> Result:
    hint = (outcome.fix or practice.fix) if outcome.status == "fail" else ""
    return Result(practice.id, practice.stage, practice.level, outcome.status, outcome.message, outcome.line,
                  hint, practice.points if outcome.status == "pass" else 0, practice.points, practice.title,
                  outcome.details, outcome.file)


def grade(path: Path, stage: int | None = None, on_step: Callable[[str], None] | None = None,
          client=None, build_timeout: int | None = None) -> Report:
    """Grade `path` up to `stage` (default: every stage that has graders). Raises EngineUnavailable,
    WorkspaceError or StageNotAvailable for environment and usage errors."""
    available = implemented_stages()
    later = [n for n in catalogue_module.load().stage_numbers if n > available[-1]]
    notes = []
    if stage is None:
        stage = available[-1]
        if later:
            notes.append(f"stages {later[0]}-{later[-1]} have no graders yet; graded stages {available[0]}-{stage}")
    if stage not in available:
        raise StageNotAvailable(f"stage {stage} has no graders yet (this version grades stages "
                                f"{available[0]}-{available[-1]})")
    client = client or connect()
    ensure_buildx()
    practices = catalogue_module.load().up_to(stage)
    offline = not registry_reachable()
    with build_context(Path(path), offline) as context:
        session = Session(client)
        options = {"build_timeout": build_timeout} if build_timeout else {}
        g = Grading(context, session, on_step, **options)
        with build_cgroup(_cgroup_driver(client)) as (parent, unbounded):
            g.cgroup_parent = parent
            if unbounded:
                notes.append(unbounded)
            try:
                outcomes = _run_checks(g, practices)
                lines = g.dockerfile_text_lines()
            finally:
                g.close()
    report = Report(stage, context.label, [_result(p, outcomes[p.id]) for p in practices], g.metrics,
                    notes + context.notes + ([g.lint.problem] if g.linted and g.lint.problem else []),
                    lines, g.sections, g.file_lines, metrics_history.baseline(stage))
    metrics_history.record(Path(path), stage, g.metrics)
    return report


def _cgroup_driver(client) -> str | None:
    try:
        return client.info().get("CgroupDriver")
    except Exception:  # an engine that cannot say: builds then run without the grader's cgroup
        return None


def _run_checks(g: Grading, practices) -> dict[str, Outcome]:
    outcomes: dict[str, Outcome] = {}
    try:
        g.dockerfile
    except DockerfileError as exc:
        for p in practices:
            outcomes[p.id] = errored(f"Not checked: {exc}")
        outcomes["image-builds"] = Outcome("fail", str(exc), "A Dockerfile BuildKit can parse.")
        # What does not need the grader's own image (the build script's checks) is still judged.
        practices = [p for p in practices if not CHECKS[p.id].needs_image]
        if not practices:
            return outcomes
    checks = {p.id: CHECKS[p.id] for p in practices}
    if "image-builds" in checks:
        g.start_lint()  # hadolint needs no image: it runs while BuildKit builds
        outcomes["image-builds"] = checks["image-builds"](g)
    if any(c.needs_image for c in checks.values()) and g.build.ok:
        g.base_image  # noqa: B018  (records base_image_bytes)
        # The containers the checks look at, started side by side (one waits while another is
        # probed), and the checks' slow independent parts, in the background meanwhile.
        g.start(*dict.fromkeys(purpose for c in checks.values() for purpose in c.containers))
        for c in checks.values():
            if c.prepare is not None:
                c.prepare(g)
    for p in practices:
        if p.id in outcomes:
            continue
        if checks[p.id].needs_image and not g.build.ok:
            outcomes[p.id] = errored("Not checked: the image did not build (see image-builds).")
            continue
        try:
            outcomes[p.id] = checks[p.id](g)
        except NotChecked as exc:
            outcomes[p.id] = errored(str(exc))
        except Exception as exc:  # a grader bug must not hide the other results
            outcomes[p.id] = errored(f"The check itself failed ({type(exc).__name__}: {exc}); please report this.",
                                     details=traceback.format_exc().splitlines()[-6:])
    return outcomes
