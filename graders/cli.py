"""The command line: `python -m graders check|images|start|practices|cleanup`.

    python -m graders check [--stage N] [--json FILE] [--junit FILE] [PATH]

Exit status: 0 when every required practice of the graded stages passes, 1 when one fails,
2 for a usage or environment error (no engine, no Dockerfile), with a one-line reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from . import catalogue as catalogue_module
from .engine import EngineUnavailable, connect, leftovers, remove_labelled
from .workspace import SAMPLE_APP, WorkspaceError, start_stage

EXIT_USAGE = 2


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_check(args: argparse.Namespace) -> int:
    from .runner import StageNotAvailable, grade

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
    if args.json:
        report.write_json(Path(args.json))
    if args.junit:
        report.write_junit(Path(args.junit))
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
        print("| stage | id | level | title | points |\n|---|---|---|---|---|")
        for p in cat.practices:
            print(f"| {p.stage} | `{p.id}` | {p.level} | {p.title} | {p.points} |")
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
    before = leftovers(client)
    remove_labelled(client)
    removed = {k: len(v) for k, v in before.items() if v}
    print("Removed " + (", ".join(f"{n} {k}" for k, n in removed.items()) if removed else "nothing: no grader resources were left"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m graders", description="Grade Docker packaging for Python.")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="build the image and grade every practice up to a stage")
    check.add_argument("--stage", type=int, choices=range(1, 8), metavar="N",
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
    start.add_argument("--stage", type=int, required=True, choices=range(1, 8), metavar="N")
    start.add_argument("--workspace", default=str(SAMPLE_APP), help="default: exercises/")
    start.set_defaults(func=cmd_start)

    practices = sub.add_parser("practices", help="list the practices of every stage")
    practices.add_argument("--markdown", action="store_true", help="as a Markdown table")
    practices.set_defaults(func=cmd_practices)

    cleanup = sub.add_parser("cleanup", help="remove anything a grader run left on the engine (after a crash)")
    cleanup.set_defaults(func=cmd_cleanup)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, which is our contract too
        return int(exc.code or 0)
    return args.func(args)
