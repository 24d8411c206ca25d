"""JupyterLab as a learner meets it after `make lab`, driven in a real browser.

The server is started by the same command `make lab` runs (`python -m graders.notebook.lab_server`,
on a free port, with its own token), serving a throwaway copy of the course (the real
`exercises/` is never touched). Debian's `chromium`, driven by Playwright for Python, opens the
URL the command prints, runs notebook 00 against the real engine, opens `exercises/Dockerfile`
from the file browser, edits and saves it, opens a terminal, and runs notebook 01's check cell,
reading every result in the page. A screenshot of each step lands in the test's output
directory ($DOCKERCOURSE_BROWSER_OUTPUT when set, else tmp_path).

Synchronisation is on JupyterLab's DOM only (the kernel status, the cells' execution counts,
the output areas, the tab's unsaved-changes mark), never on sleeps.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import jupytext
import pytest
from conftest import IN_CI
from test_notebooks import _tree_digest as tree_digest  # what a notebook test checks exercises/ with

from graders import engine, notebook
from graders.notebook import lab_server
from graders.workspace import REPO_ROOT

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the page fixture says so: fails in CI, skips elsewhere
    expect = sync_playwright = None

pytestmark = pytest.mark.docker

CHROMIUM_ENV = "DOCKERCOURSE_CHROMIUM"          # a Chromium binary (default: chromium on PATH)
OUTPUT_ENV = "DOCKERCOURSE_BROWSER_OUTPUT"      # keep the screenshots and the server's log there
# This machine refuses outside connections and runs as root: no sandbox, nothing phoned home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SERVER_START_TIMEOUT = 120      # s until the command prints its URL
UI_TIMEOUT = 60_000             # ms for JupyterLab to open a file, start a kernel, save
CELLS_TIMEOUT = 15 * 60_000     # ms for cells that build images (a first build downloads from PyPI)
NOTIFICATIONS = "@jupyterlab/apputils-extension:notification"   # JupyterLab's news and update settings


def unavailable(reason: str):
    """Fail in CI (CI=true), skip elsewhere: the same rule as for the engine (tests/conftest.py)."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    wanted = os.environ.get(CHROMIUM_ENV)
    path = shutil.which(wanted) if wanted else shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        unavailable(f"no Chromium for the browser test ({CHROMIUM_ENV}={wanted} is not a program)" if wanted else
                    "no Chromium for the browser test: `bash scripts/ensure-browser.sh` installs Debian's (as "
                    f"root), or set {CHROMIUM_ENV}")
    return path


@pytest.fixture
def output_dir(tmp_path) -> Path:
    out = Path(os.environ[OUTPUT_ENV]) if os.environ.get(OUTPUT_ENV) else tmp_path / "browser"
    out.mkdir(parents=True, exist_ok=True)
    return out


def course_files() -> list[str]:
    """The course's files as a fresh clone would have them plus work in progress: tracked and
    untracked ones, less what .gitignore keeps out (.venv, generated notebooks)."""
    listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO_ROOT / name).is_file()]


@pytest.fixture
def course(tmp_path) -> Path:
    """A throwaway copy of the course folder, its notebooks generated as `make notebooks` does,
    its .venv the real one."""
    copy = tmp_path / "course"
    for name in course_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, copy / name)
    (copy / ".venv").symlink_to(REPO_ROOT / ".venv")   # the course's Python, as notebook 00 checks
    for source in sorted((copy / "notebooks").glob("[0-9][0-9]-*.py")):
        jupytext.write(jupytext.read(source), source.with_suffix(".ipynb"))
    return copy


@pytest.fixture
def lab_url(course, output_dir, tmp_path):
    """Start `make lab`'s command on the copy; the URL it prints. The server (and its kernels)
    is stopped afterwards, whatever happened. Jupyter's personal folder is an empty one, as a new
    learner's is: the test neither reads nor writes ~/.jupyter (open tabs, settings)."""
    env = {k: v for k, v in os.environ.items() if k not in (notebook.WORKSPACE_ENV, notebook.SESSION_ENV)}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-home")
    with open(output_dir / "server.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "graders.notebook.lab_server", "--root", str(course),
                                   "--port", "0", "--no-browser"],
                                  cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
                                  start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in server.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        printed = []
        while True:
            try:
                line = lines.get(timeout=SERVER_START_TIMEOUT)
            except queue.Empty:
                pytest.fail(f"the lab command printed no URL within {SERVER_START_TIMEOUT} s; it printed "
                            f"{printed!r}; log: {output_dir / 'server.log'}")
            if line is None:
                pytest.fail(f"the lab command exited ({server.wait()}) without a URL; it printed {printed!r}; "
                            f"log: {output_dir / 'server.log'}")
            printed.append(line)
            if line.startswith(lab_server.URL_PREFIX):
                break
        yield line.removeprefix(lab_server.URL_PREFIX).strip()
    finally:
        server.send_signal(signal.SIGTERM)    # the command passes it on to Jupyter, which stops its kernels
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        reader.join(timeout=10)
        server.stdout.close()


@pytest.fixture
def page(chromium, output_dir):
    if sync_playwright is None:
        unavailable("Playwright for Python is not installed (requirements.txt; `make test` installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(UI_TIMEOUT)
            yield context.new_page()
        finally:
            browser.close()


class Steps:
    """Numbered screenshots of the page, one per step."""

    def __init__(self, page, out: Path) -> None:
        self.page, self.out, self.count = page, out, 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.out / f"{self.count:02d}-{name}.png")


# --- JupyterLab's DOM ------------------------------------------------------------------------------


def current_tab(page, extra: str = ""):
    """The main area's current document tab (`extra`: more classes, e.g. the unsaved mark)."""
    return page.locator(f"#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current{extra}")


def document_tab(page, name: str):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=name)


def notebook_panel(page, name: str):
    """The notebook's own panel (its tab's data-id), whichever tab is current."""
    return page.locator(f"#{document_tab(page, name).get_attribute('data-id')}.jp-NotebookPanel")


def wait_for_kernel_idle(page, notebook: str, timeout: float = UI_TIMEOUT) -> None:
    """The status bar's kernel item for `notebook`: "Python 3 (ipykernel) | Idle"."""
    expect(page.get_by_title(f"Change kernel for {notebook}")).to_have_text(re.compile(r"\|\s*Idle$"), timeout=timeout)


def wait_for_cells(page, cells, timeout: float = CELLS_TIMEOUT) -> None:
    """Every one of `cells` (code cells) shows an execution count, `[n]:`, not `[*]:` or `[ ]:`."""
    for index in range(cells.count()):
        expect(cells.nth(index).locator(".jp-InputPrompt")).to_have_text(re.compile(r"^\[\d+\]:$"), timeout=timeout)


def course_folder(page) -> None:
    """The file browser's path starts with the course folder's icon: click it."""
    page.locator(".jp-FileBrowser-crumbs .jp-BreadCrumbs-home").click()
    expect(page.locator(".jp-FileBrowser-crumbs .jp-BreadCrumbs-item")).to_have_count(0)


def double_click(page, name: str) -> None:
    """Open a file or folder of the file browser's listing; a folder's name then ends its path."""
    item = page.locator(".jp-DirListing-item", has=page.locator(".jp-DirListing-itemText", has_text=re.compile(
        rf"^{re.escape(name)}$")))
    folder = item.get_attribute("data-isdir") == "true"
    item.dblclick()
    if folder:
        expect(page.locator(".jp-FileBrowser-crumbs .jp-BreadCrumbs-item").last).to_have_text(name)


def listing(page) -> list[str]:
    return [t.strip() for t in page.locator(".jp-DirListing-content .jp-DirListing-itemText").all_inner_texts()]


def reveal(locator) -> None:
    """Scroll it into view and wait until it is drawn (the notebook skips drawing cells off screen)."""
    locator.scroll_into_view_if_needed()
    expect(locator).to_be_visible()


def menu(page, *labels: str) -> None:
    """Click through the menu bar: menu(page, "File", "New", "Terminal")."""
    page.locator(".lm-MenuBar-item", has=page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(
        rf"^{re.escape(labels[0])}$"))).click()
    for label in labels[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-item", has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(
            rf"^{re.escape(label)}$"))).click()


def wait_for_file(path: Path, timeout: float = UI_TIMEOUT / 1000) -> str:
    """What a command typed into the terminal wrote (xterm draws on a canvas: its text is not in the DOM)."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().endswith("\n")):
        assert time.monotonic() < deadline, f"{path} was not written within {timeout:.0f} s"
        time.sleep(0.1)  # polling the file the terminal writes, bounded by the deadline
    return path.read_text()


def run_cell(page, cell) -> None:
    """Run one cell in place (click into it, Ctrl+Enter)."""
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")


def errors_in(panel) -> list[str]:
    """What the notebook wrote to stderr or raised (both render as the stderr MIME type)."""
    return panel.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()


# --- the test --------------------------------------------------------------------------------------


def test_a_learner_runs_the_setup_edits_the_dockerfile_and_checks_it(docker_client, base_images, course, lab_url,
                                                                     page, output_dir):
    """After `make lab`: does the printed URL open 00-setup in the course folder, do its cells run
    against the engine, can exercises/Dockerfile be reached, edited and saved from the file
    browser, and does notebook 01's check cell grade it and show the report?"""
    expect.set_options(timeout=UI_TIMEOUT)
    steps = Steps(page, output_dir)
    real_exercises = tree_digest(REPO_ROOT / "exercises")
    run = os.environ[engine.RUN_ENV]
    before = {kind: set(names) for kind, names in engine.leftovers(docker_client, run=run).items()}
    assert re.fullmatch(r"http://localhost:\d+/lab/tree/notebooks/00-setup\.ipynb\?token=\w+", lab_url), lab_url

    # 1. The printed URL opens 00-setup, in the course folder; one entry per notebook.
    page.goto(lab_url)
    expect(current_tab(page)).to_contain_text("00-setup.ipynb")
    wait_for_kernel_idle(page, "00-setup.ipynb")
    expect(page.locator(".jp-FileBrowser-crumbs .jp-BreadCrumbs-home")).to_have_attribute("title", str(course))
    expect(page.locator(".jp-DirListing-content")).to_contain_text("01-working.ipynb")
    names = listing(page)
    assert "00-setup.ipynb" in names and not [n for n in names if n.endswith(".py")], names
    steps.shot("opened-00-setup")

    # 2. Run All: the checks talk to the real engine; their table is in the page.
    menu(page, "Run", "Run All Cells")
    setup = notebook_panel(page, "00-setup.ipynb")
    wait_for_cells(page, setup.locator(".jp-CodeCell"))
    wait_for_kernel_idle(page, "00-setup.ipynb")
    table = setup.locator(".jp-OutputArea-output", has_text="BuildKit").first
    expect(table).to_contain_text("Docker engine")
    assert "✘" not in table.inner_text(), table.inner_text()
    reveal(table)
    steps.shot("ran-00-setup")
    assert not errors_in(setup), errors_in(setup)
    # No "Would you like to get notified about official Jupyter news?" toast: the shipped
    # overrides.json is what the server gives the page as its settings' defaults.
    expect(page.locator(".Toastify__toast")).to_have_count(0)
    shipped = json.loads((lab_server.CONFIG_DIR / "lab" / "settings" / "overrides.json").read_text())[NOTIFICATIONS]
    server, token = lab_url.split("/lab/", 1)[0], lab_url.rpartition("token=")[2]
    answer = page.request.get(f"{server}/lab/api/settings/{NOTIFICATIONS}", headers={"Authorization": f"token {token}"})
    defaults = {key: spec.get("default") for key, spec in answer.json()["schema"]["properties"].items()}
    assert {key: defaults[key] for key in shipped} == shipped, defaults

    # 3. exercises/Dockerfile from the file browser: the course folder, exercises/, Dockerfile.
    course_folder(page)
    expect(page.locator(".jp-DirListing-content")).to_contain_text("exercises")
    assert {"exercises", "notebooks", "README.md"} <= set(listing(page)), listing(page)
    steps.shot("course-folder")
    double_click(page, "exercises")
    steps.shot("exercises-folder")
    double_click(page, "Dockerfile")
    expect(current_tab(page)).to_contain_text("Dockerfile")
    editor = page.locator(".jp-FileEditor:not(.lm-mod-hidden) .cm-content")
    expect(editor).to_contain_text("TODO")
    steps.shot("opened-dockerfile")

    # 4. Edit and save it: the stage-1 solution, typed into the editor over the starter.
    finished = (course / "solutions" / "stage1" / "Dockerfile").read_text(encoding="utf-8")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(finished)
    expect(current_tab(page, ".jp-mod-dirty")).to_have_count(1)
    page.keyboard.press("Control+S")
    expect(current_tab(page, ".jp-mod-dirty")).to_have_count(0)
    assert (course / "exercises" / "Dockerfile").read_text(encoding="utf-8") == finished
    steps.shot("saved-dockerfile")

    # 5. File → New → Terminal starts in the course folder.
    menu(page, "File", "New", "Terminal")
    expect(current_tab(page)).to_contain_text("Terminal")
    page.locator(".jp-Terminal:visible").click()
    cwd_file = output_dir / "terminal-cwd.txt"
    page.keyboard.type(f"pwd | tee {cwd_file}\n")
    assert wait_for_file(cwd_file).strip() == str(course)
    steps.shot("terminal")

    # 6. Notebook 01's first cell, then its check cell: the grader's report, in the page.
    course_folder(page)
    double_click(page, "notebooks")
    double_click(page, "01-working.ipynb")
    expect(current_tab(page)).to_contain_text("01-working.ipynb")
    wait_for_kernel_idle(page, "01-working.ipynb")
    working = notebook_panel(page, "01-working.ipynb")
    # Its exercise links to the Dockerfile: the link opens it in JupyterLab, saved as typed.
    link = working.get_by_role("link", name="exercises/Dockerfile")
    reveal(link)
    link.click()
    expect(current_tab(page)).to_contain_text("Dockerfile")
    expect(editor).to_contain_text("WORKDIR /app")
    document_tab(page, "01-working.ipynb").click()
    first = working.locator(".jp-CodeCell", has_text="course.Lab(").first
    check = working.locator(".jp-CodeCell", has_text="course.check(stage=1)")
    run_cell(page, first)
    wait_for_cells(page, first)
    expect(first.locator(".jp-OutputArea-output")).to_contain_text("Lab ready")
    run_cell(page, check)
    wait_for_cells(page, check)
    report = check.locator(".jp-OutputArea")
    expect(report).to_contain_text("every required practice passes")
    expect(report).to_contain_text("image-builds")
    reveal(report)
    steps.shot("checked-01")
    assert not errors_in(working), errors_in(working)

    assert tree_digest(REPO_ROOT / "exercises") == real_exercises, "the browser test changed the real exercises/"
    after = engine.leftovers(docker_client, run=run)
    left = {kind: sorted(set(names) - before[kind]) for kind, names in after.items()}
    assert not any(left.values()), f"grader-labelled resources left behind: {left}"
