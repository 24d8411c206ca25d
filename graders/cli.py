"""The command line: `python -m graders check|images|start|practices|cleanup`.

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


def cmd_check(args: argparse.Namespace) -> int:
    from .runner import StageNotAvailable, grade

    problem = _unwritable("--json", args.json) or _unwritable("--junit", args.junit)
    if problem:
        return _error(problem)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    progress = Console(stderr=True, highlight=False)
    try:
        with progress.status("grading: preparing the build context", spinner="dots") as status:
            def on_step(text: str) -> None:
                status.update(f"grading: {text[:110]}")
            report = grade(Path(args.path), args.stage, on_step)
    except (EngineUnavailable, WorkspaceError, StageNotAvailable) as exc:
        return _error(str(exc))
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
    live = len(found) - len(removed)
    print(f"Removed the resources of {len(removed)} grading session(s)" if removed else "Removed nothing: no stale "
          "grader resources", end="")
    print(f"; left {live} session(s) still in progress alone (`cleanup --all` removes them too)." if live else ".")
    return 0


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

    cleanup = sub.add_parser("cleanup", help="remove what crashed or killed grader runs left on the engine")
    cleanup.add_argument("--all", action="store_true",
                         help="also remove the resources of gradings still in progress (and of other hosts' sessions)")
    cleanup.set_defaults(func=cmd_cleanup)
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
