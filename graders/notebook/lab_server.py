"""JupyterLab for the course, as `make lab` starts it (tests/test_lab_browser.py starts it the same way).

`python -m graders.notebook.lab_server [--root DIR] [--port N] [--no-browser] [JUPYTER ARGS...]`

- serves the course folder (or DIR) as the server's root, so the file browser reaches
  `exercises/` and `notebooks/`, and a new terminal starts there;
- with the course's settings (`jupyter/`, put on JUPYTER_CONFIG_PATH, never written to the
  learner's home): the URL opens `notebooks/00-setup.ipynb`, one file-browser entry per notebook,
  no "Jupyter news" prompt;
- on port N (default: the first free one from 8888; 0: any free port), with a token of its own,
  passed to Jupyter in the environment (not on the command line, where `ps` shows it);
- `--allow-root` only when run as root;
- once the server answers, prints one line with the URL to open (port and token included).

It stays in the foreground until Jupyter exits: Ctrl+C reaches Jupyter (which asks to confirm),
SIGTERM and SIGHUP are passed on to it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..workspace import REPO_ROOT

CONFIG_DIR = REPO_ROOT / "jupyter"            # jupyter_server_config.py, lab/settings/overrides.json
FIRST_NOTEBOOK = "notebooks/00-setup.ipynb"   # what the printed URL opens (also the config's default_url)
DEFAULT_PORT = 8888
URL_PREFIX = "Open JupyterLab: "              # the line the learner copies (and the browser test reads)
READY_TIMEOUT = 120.0


def free_port(preferred: int = DEFAULT_PORT, tries: int = 50) -> int:
    """`preferred`, or the next free port after it; 0: any free port the system picks."""
    for port in ([0] if preferred == 0 else range(preferred, preferred + tries)):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Jupyter binds: TIME_WAIT is free
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise SystemExit(f"error: no free port in {preferred}..{preferred + tries - 1}; choose one with --port N")


def jupyter() -> str:
    """The venv's `jupyter`, next to this Python."""
    here = Path(sys.executable).parent / "jupyter"
    return str(here) if here.exists() else (shutil.which("jupyter") or "jupyter")


def command(root: Path, port: int, open_browser: bool = True, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The `jupyter lab` command line: `root` served on `port`; the rest comes from CONFIG_DIR."""
    return [
        jupyter(), "lab", f"--ServerApp.root_dir={root}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        *(["--allow-root"] if os.geteuid() == 0 else []),
        *([] if open_browser else ["--no-browser"]),
        *extra,
    ]


def environment(token: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the course's config folder first on JUPYTER_CONFIG_PATH, the token."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(CONFIG_DIR), env.get("JUPYTER_CONFIG_PATH")) if p)
    env["JUPYTER_TOKEN"] = token
    return env


def url(port: int, token: str, path: str = FIRST_NOTEBOOK) -> str:
    return f"http://localhost:{port}/lab/tree/{path}?token={token}"


def answers(port: int, token: str) -> bool:
    """The server answers its REST API with this token."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_ready(server: subprocess.Popen, port: int, token: str, timeout: float = READY_TIMEOUT) -> bool:
    """True once the server answers; False if it exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        if answers(port, token):
            return True
        time.sleep(0.2)  # polling the server's readiness, bounded by the deadline
    return False


def serve(root: Path, port: int, open_browser: bool, extra: list[str]) -> int:
    token = secrets.token_hex(24)
    # Jupyter's log goes to stderr; stdout carries only the lines below (the browser test reads them).
    server = subprocess.Popen(command(root, port, open_browser, extra), cwd=root, env=environment(token),
                              stdout=sys.stderr)

    def pass_on(signum, _frame):
        if server.poll() is None:
            server.send_signal(signum)

    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGHUP, pass_on)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal's Ctrl+C reaches Jupyter itself
    if wait_until_ready(server, port, token):
        print(f"\nJupyterLab serves the course folder {root} on port {port}.\n"
              f"{URL_PREFIX}{url(port, token)}\n"
              "Stop it with Ctrl+C twice in this terminal.\n", flush=True)
    elif server.poll() is None:
        print(f"error: JupyterLab did not answer on port {port} within {READY_TIMEOUT:.0f} s (its log is above)",
              file=sys.stderr, flush=True)
        server.terminate()
    return server.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.notebook.lab_server", description=__doc__.split("\n")[0],
                                     allow_abbrev=False)  # Jupyter's own options pass through unabbreviated
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="the folder to serve (default: the course folder)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default: the first free from {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    options, extra = parser.parse_known_args(argv)
    root = options.root.resolve()
    if not (root / FIRST_NOTEBOOK).is_file():
        print(f"error: {root / FIRST_NOTEBOOK} does not exist: run `make notebooks` first", file=sys.stderr)
        return 2
    return serve(root, free_port(options.port), not options.no_browser, extra)


if __name__ == "__main__":
    sys.exit(main())
