"""The command line: `python -m graders check|images|start|practices|limits|cleanup|classroom`.

    python -m graders check [--stage N] [--json FILE] [--junit FILE] [PATH]

Exit status: 0 when every required practice of the graded stages passes, 1 when one fails,
2 for a usage or environment error (no engine, no Dockerfile), with a one-line reason. Anything
else that ends a command without a verdict is exit 2 with one line too: an unexpected exception
(a grader bug, said as such), or an interruption (Ctrl-C, SIGTERM, SIGHUP), after which everything
the grading created (the buildx process, containers, networks, images, the temporary copy of the
workspace) has been removed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path

from rich.console import Console

from . import catalogue as catalogue_module
from .engine import EngineUnavailable, connect, remove_labelled, remove_stale, sessions
from .stage_start import start_stage
from .workspace import SAMPLE_APP, WorkspaceError

EXIT_USAGE = 2
STAGES = catalogue_module.load().stage_numbers


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, so that it unwinds and cleans up like Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, _frame) -> None:
    # Once: a second signal while cleaning up must not cut the clean-up short.
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _unwritable(option: str, value: str | None) -> str | None:
    """Why a report file cannot be written (checked before grading, not after minutes of it)."""
    if not value:
        return None
    folder = Path(value).resolve().parent
    if not folder.is_dir():
        return f"{option} {value}: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"{option} {value}: the folder {folder} is not writable"
    return None


class DeadlinePassed(KeyboardInterrupt):
    """The whole grading took longer than its limit (graders/limits.py): unwinds like Ctrl-C."""


def _on_deadline(_signum: int, _frame) -> None:
    for other in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGALRM):
        signal.signal(other, signal.SIG_IGN)
    raise DeadlinePassed()


def cmd_limits(_args: argparse.Namespace) -> int:
    from . import limits

    for limit in limits.LIMITS.values():
        print(f"{limit.name:<20} {limits.describe(limit):>9}  {limit.what}")
        print(f"{'':<20} {'':>9}  set {limit.env}; enforced by {limit.enforced_by}")
    for item in limits.NOT_ENFORCED:
        print(f"not bounded: {item}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from . import limits
    from .runner import StageNotAvailable, grade

    problem = _unwritable("--json", args.json) or _unwritable("--junit", args.junit)
    if problem:
        return _error(problem)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    progress = Console(stderr=True, highlight=False)
    try:
        deadline = limits.seconds("grading_seconds")
    except ValueError as exc:
        return _error(str(exc))
    previous = signal.signal(signal.SIGALRM, _on_deadline)
    signal.alarm(deadline)
    try:
        with progress.status("grading: preparing the build context", spinner="dots") as status:
            def on_step(text: str) -> None:
                status.update(f"grading: {text[:110]}")
            report = grade(Path(args.path), args.stage, on_step)
    except (EngineUnavailable, WorkspaceError, StageNotAvailable) as exc:
        return _error(str(exc))
    except DeadlinePassed:
        return _error(f"the grading did not finish within {deadline} s ({limits.LIMITS['grading_seconds'].env}) and was "
                      "stopped; everything it had created was removed")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    report.render(out)
    try:
        if args.json:
            report.write_json(Path(args.json))
        if args.junit:
            report.write_junit(Path(args.junit))
    except OSError as exc:
        return _error(f"could not write the report: {exc}")
    return report.exit_code


def cmd_images(args: argparse.Namespace) -> int:
    from . import images

    return images.main(["--offline"] if args.offline else [])


def cmd_start(args: argparse.Namespace) -> int:
    try:
        started = start_stage(args.stage, Path(args.workspace))
    except WorkspaceError as exc:
        return _error(str(exc))
    origin = "the starter" if args.stage == 1 else f"solutions/stage{args.stage - 1}"
    if started.backup:
        print(f"Saved your packaging files to {started.backup}")
    print(f"Wrote {', '.join(started.written)} from {origin} into {args.workspace}: you are at the start of stage {args.stage}.")
    return 0


def cmd_practices(args: argparse.Namespace) -> int:
    from .runner import implemented_stages

    cat = catalogue_module.load()
    graded = set(implemented_stages())
    if args.markdown:
        from .generated_docs import practice_table

        print(practice_table(cat))
        return 0
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    for stage in cat.stages:
        mark = "" if stage.number in graded else " [dim](graders not available yet)[/]"
        console.print(f"\n[bold]Stage {stage.number}: {stage.title}[/]{mark} — {stage.question}")
        for p in cat.of_stage(stage.number):
            console.print(f"  {p.id:<26} {p.level:<12} {p.title}")
    return 0


def cmd_cleanup(args: argparse.Namespace) -> int:
    try:
        client = connect()
    except EngineUnavailable as exc:
        return _error(str(exc))
    found = sessions(client)
    if args.all:
        remove_labelled(client)
        removed = list(found)
    else:
        removed = remove_stale(client)
    from .build_script import remove_orphaned_images

    images = remove_orphaned_images(client, set() if args.all else set(found) - set(removed))
    live = len(found) - len(removed)
    print(f"Removed the resources of {len(removed)} grading session(s)" if removed else "Removed nothing: no stale "
          "grader resources", end="")
    if images:
        print(f", and {len(images)} image tag(s) build scripts pushed for gradings that are over", end="")
    print(f"; left {live} session(s) still in progress alone (`cleanup --all` removes them too)." if live else ".")
    return 0


def cmd_classroom(args: argparse.Namespace) -> int:
    """Grade every submission of a class (graders/classroom/): exit 0 when every submission's
    required practices pass, 1 when one does not (or has no verdict), 2 when an engine does not
    answer or the command is misused."""
    import time

    from .classroom import batch, engines, progress
    from .classroom.cache import VerdictCache
    from .engine import registry_reachable
    from .runner import implemented_stages

    root = Path(args.submissions)
    if not root.is_dir():
        return _error(f"{root} is not a directory of submissions")
    stage = args.stage or implemented_stages()[-1]
    if stage not in implemented_stages():
        return _error(f"stage {stage} has no graders yet")
    out = Path(args.out) if args.out else root.resolve().parent / f"{root.resolve().name}-results"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _error(f"--out {out}: {exc}")
    submissions = batch.discover(root, out)
    if not submissions:
        return _error(f"{root} has no subdirectories: each submission is one subdirectory")
    try:
        chosen = engines.engines_from(args.engine or [])
        problems = [p for p in map(engines.unavailable, chosen) if p]
        if problems:
            return _error("; ".join(problems))
        console = Console(stderr=True, highlight=False)
        engines.provision(chosen, stage, lambda text: console.print(f"[dim]{text}[/]"))
    except (engines.EngineError, EngineUnavailable) as exc:
        return _error(str(exc))
    workers = args.workers or os.cpu_count() or 1
    run = batch.Batch(stage, chosen, workers, out, VerdictCache(args.cache_dir), not args.no_cache,
                      not registry_reachable(), None)
    console.print(f"Grading {len(submissions)} submission(s) of {root} up to stage {stage}: {run.workers} worker(s) on "
                  f"{len(chosen)} engine(s) ({', '.join(e.name for e in chosen)}); batch {run.run_id}")
    started = time.monotonic()
    with progress.ClassProgress(console, len(submissions), run.workers) as display:
        run.listener = display
        outcomes = run.run(submissions)
    seconds = time.monotonic() - started
    batch.write_summary(out, run, outcomes, seconds)
    Console(highlight=False, width=None if sys.stdout.isatty() else 120).print(progress.summary_table(outcomes, stage))
    print(f"{len(outcomes)} submission(s) in {seconds:.1f} s; reports in {out} (summary.json, summary.csv, and per "
          "submission report.json, report.xml, results.json for Gradescope, github-classroom.json/.b64)")
    if any(o.exit_code == 2 for o in outcomes):
        gone = [p for p in map(engines.unavailable, chosen) if p]
        if gone:
            return _error(f"during the batch: {'; '.join(gone)}")
    return 0 if all(o.exit_code == 0 for o in outcomes) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m graders", description="Grade Docker packaging for Python.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="build the image and grade every practice up to a stage")
    check.add_argument("--stage", type=int, choices=STAGES, metavar="N",
                       help="grade stages 1..N (default: every stage that has graders)")
    check.add_argument("--json", metavar="FILE", help="write the JSON report to FILE")
    check.add_argument("--junit", metavar="FILE", help="write a JUnit XML report to FILE")
    check.add_argument("path", nargs="?", default=str(SAMPLE_APP.relative_to(Path.cwd()) if SAMPLE_APP.is_relative_to(Path.cwd()) else SAMPLE_APP),
                       metavar="PATH", help="build context to grade (default: exercises/)")
    check.set_defaults(func=cmd_check)

    images = sub.add_parser("images", help="make sure the base images exist (pull, or build offline stand-ins)")
    images.add_argument("--offline", action="store_true", help="do not try the registry; build stand-ins")
    images.set_defaults(func=cmd_images)

    start = sub.add_parser("start", help="put the workspace at the start of stage N (your files are backed up first)")
    start.add_argument("--stage", type=int, required=True, choices=STAGES, metavar="N")
    start.add_argument("--workspace", default=str(SAMPLE_APP), help="default: exercises/")
    start.set_defaults(func=cmd_start)

    practices = sub.add_parser("practices", help="list the practices of every stage")
    practices.add_argument("--markdown", action="store_true", help="as a Markdown table")
    practices.set_defaults(func=cmd_practices)

    limits_parser = sub.add_parser("limits", help="the bounds put on every submission, and how to change them")
    limits_parser.set_defaults(func=cmd_limits)

    cleanup = sub.add_parser("cleanup", help="remove what crashed or killed grader runs left on the engine")
    cleanup.add_argument("--all", action="store_true",
                         help="also remove the resources of gradings still in progress (and of other hosts' sessions)")
    cleanup.set_defaults(func=cmd_cleanup)
    classroom = sub.add_parser("classroom", help="grade every submission of a class, in parallel, on one or more engines")
    classroom.add_argument("submissions", metavar="SUBMISSIONS_DIR",
                           help="one subdirectory per submission (a workspace, or packaging files only)")
    classroom.add_argument("--stage", type=int, choices=STAGES, metavar="N",
                           help="grade stages 1..N (default: every stage that has graders)")
    classroom.add_argument("--workers", type=int, metavar="N", help="gradings at once (default: the cores; at least one per engine)")
    classroom.add_argument("--engine", action="append", metavar="CONTEXT|URL",
                           help="a Docker context or DOCKER_HOST URL (unix://, tcp://, ssh://); repeat to spread the "
                                "class over engines (default: the environment's engine)")
    classroom.add_argument("--out", metavar="DIR", help="where the reports go (default: SUBMISSIONS_DIR-results beside it)")
    classroom.add_argument("--no-cache", action="store_true", help="grade every submission again, even if its content has a verdict")
    classroom.add_argument("--cache-dir", metavar="DIR",
                           help="the verdict cache (default: $DOCKERCOURSE_VERDICT_CACHE or ~/.cache/dockercourse/verdicts)")
    classroom.set_defaults(func=cmd_classroom)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, which is our contract too
        return int(exc.code or 0)
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        return args.func(args)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (Interrupted): clean-up has run on the way out
        name = {"SIGINT": "Ctrl-C"}.get(exc.args[0], exc.args[0]) if isinstance(exc, Interrupted) else "Ctrl-C"
        return _error(f"interrupted ({name}); everything this command had created was removed")
    except BrokenPipeError:  # the reader went away (`python -m graders limits | head`): nothing to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # so the interpreter's own flush at exit stays quiet
        return 0
    except Exception as exc:  # noqa: BLE001 (the contract: one line and exit 2, never a traceback)
        where = exc.__traceback__
        while where and where.tb_next:
            where = where.tb_next
        at = f" at {Path(where.tb_frame.f_code.co_filename).name}:{where.tb_lineno}" if where else ""
        return _error(f"the grader itself failed ({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                      f"{at}); this is a bug in the grader, not in your files: please report it")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
