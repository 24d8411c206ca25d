"""The learner's workspace: solutions stay small; the grader's copy holds what `docker build` sends, never writes a learner's file, and lays
packaging-only directories over the sample app as committed."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

import pytest

from graders import workspace
from graders.workspace import SENTINEL, WorkspaceError, build_context, is_packaging_file


def test_solutions_hold_only_packaging_files(repo_root):
    """solutions/stageN/ never carries a copy of the app: every file is a packaging file."""
    for folder in sorted((repo_root / "solutions").iterdir()):
        for path in folder.rglob("*"):
            if path.is_file():
                top = path.relative_to(folder).parts[0]
                assert is_packaging_file(top), f"{path} is not a packaging file"


def test_overlay_context_is_the_app_plus_the_solution(repo_root):
    """A packaging-only directory is graded laid over a copy of the sample app, in a temp dir
    that is gone afterwards."""
    with build_context(repo_root / "solutions" / "stage2", offline=True) as ctx:
        assert ctx.overlay
        assert (ctx.dir / "src" / "shortlinks" / "app.py").exists()
        assert (ctx.dir / "Dockerfile").read_bytes() == (repo_root / "solutions/stage2/Dockerfile").read_bytes()
        assert SENTINEL in (ctx.dir / ".env").read_text()
        temp = ctx.dir
    assert not temp.exists()


def test_missing_env_gets_the_sentinel_planted_in_the_copy_only(learner):
    """Without a .env the grader plants one in its copy, so the secret check always has a target."""
    (learner / ".env").unlink()
    with build_context(learner, offline=True) as ctx:
        assert SENTINEL in (ctx.dir / ".env").read_text()
        assert any("planted" in note for note in ctx.notes)
    assert not (learner / ".env").exists()


def test_syntax_directive_is_neutralised_offline_keeping_line_numbers(learner):
    """Offline, `# syntax=` cannot be resolved: the copy comments it out, same number of lines."""
    original = "# syntax=docker/dockerfile:1\nFROM python:3.13-slim\nRUN <<EOT\necho hi\nEOT\n"
    (learner / "Dockerfile").write_text(original)
    with build_context(learner, offline=True) as ctx:
        text = ctx.dockerfile.read_text()
        assert text.count("\n") == original.count("\n")
        assert not text.startswith("# syntax=")
        assert any("syntax" in note for note in ctx.notes)
    with build_context(learner, offline=False) as ctx:
        assert ctx.dockerfile.read_text() == original
    assert (learner / "Dockerfile").read_text() == original


def test_sentinel_matches_the_workspace_env(repo_root):
    """exercises/.env holds the very sentinel the grader looks for."""
    assert SENTINEL in (repo_root / "exercises" / ".env").read_text()


# --- symlinked root files: the grader reads what BuildKit builds, and writes only its copy -------

@pytest.mark.parametrize("name", ["Dockerfile", ".dockerignore", "Dockerfile.dockerignore"])
def test_root_file_linked_inside_the_workspace_is_copied_as_its_content(learner, name):
    """A Dockerfile or ignore file that links to a file of the workspace is a regular file in the
    copy, holding the target's bytes: the grader and BuildKit read the same thing."""
    real = learner / "packaging" / f"{name}.real"
    real.parent.mkdir()
    real.write_bytes((learner / "Dockerfile").read_bytes() if name == "Dockerfile" else b"tests\n")
    (learner / name).unlink(missing_ok=True)
    (learner / name).symlink_to(real)
    with build_context(learner, offline=True) as ctx:
        copied = ctx.dir / name
        assert not copied.is_symlink() and copied.is_file()
        assert copied.read_bytes() == real.read_bytes()


@pytest.mark.parametrize("absolute", [pytest.param(False, id="relative-link"), pytest.param(True, id="absolute-link")])
def test_neutralising_a_linked_dockerfile_writes_only_the_copy(learner, absolute):
    """Offline, the `# syntax=` line is neutralised in the copy, never through the learner's link
    into its target (an absolute link in a copy still names the learner's file)."""
    original = "# syntax=docker/dockerfile:1\nFROM python:3.13-slim\n"
    (learner / "Dockerfile.real").write_text(original)
    (learner / "Dockerfile").unlink()
    (learner / "Dockerfile").symlink_to(learner / "Dockerfile.real" if absolute else "Dockerfile.real")
    with build_context(learner, offline=True) as ctx:
        assert not ctx.dockerfile.read_text().startswith("# syntax=")
        assert any("syntax" in note for note in ctx.notes)
    assert (learner / "Dockerfile.real").read_text() == original
    assert (learner / "Dockerfile").is_symlink()


def _outside_file(tmp_path):
    target = tmp_path / "elsewhere" / "Dockerfile"
    target.parent.mkdir()
    target.write_text("FROM python:3.13-slim\n")
    return target


@pytest.mark.parametrize("name", ["Dockerfile", ".dockerignore"])
@pytest.mark.parametrize("target", [
    pytest.param(_outside_file, id="outside-the-workspace"),
    pytest.param(lambda tmp_path: tmp_path / "no-such-file", id="dangling"),
    pytest.param(lambda tmp_path: tmp_path, id="a-directory"),
    pytest.param(lambda tmp_path: "/etc/hostname", id="a-host-file"),
])
def test_root_file_linked_out_of_the_workspace_is_refused(learner, tmp_path, name, target):
    """A Dockerfile or .dockerignore whose link leaves the workspace, dangles or names no regular
    file is refused: one line naming the link and its target and saying what to do."""
    destination = str(target(tmp_path))
    (learner / name).unlink(missing_ok=True)
    (learner / name).symlink_to(destination)
    with pytest.raises(WorkspaceError) as raised:
        with build_context(learner, offline=True):
            pytest.fail("the grader built from a link leaving the workspace")
    message = str(raised.value)
    assert "\n" not in message
    assert str(learner / name) in message and destination in message
    assert "replace the link" in message


def test_other_symlinks_stay_links(learner):
    """Links other than the root files are copied as links, as `docker build` sends them: one to
    /etc/shadow names the image's own file, and a linked directory is not walked into."""
    (learner / "shadow").symlink_to("/etc/shadow")
    (learner / "lib").symlink_to("/usr/lib", target_is_directory=True)
    with build_context(learner, offline=True) as ctx:
        assert os.readlink(ctx.dir / "shadow") == "/etc/shadow"
        assert os.readlink(ctx.dir / "lib") == "/usr/lib"


@pytest.mark.parametrize("points_to", [
    pytest.param("outside.env", id="a-file-outside-without-the-sentinel"),
    pytest.param("not-yet.env", id="a-file-that-does-not-exist"),
])
def test_symlinked_env_is_never_written_through(learner, tmp_path, points_to):
    """The sentinel is never planted through a linked .env: the link's target (maybe a host file)
    is not written, and not created either."""
    target = tmp_path / points_to
    if points_to == "outside.env":
        target.write_text("DEBUG=1\n")
    (learner / ".env").unlink()
    (learner / ".env").symlink_to(target)
    with build_context(learner, offline=True) as ctx:
        assert (ctx.dir / ".env").is_symlink()
        assert not any("sentinel" in note for note in ctx.notes)
    if points_to == "outside.env":
        assert target.read_text() == "DEBUG=1\n"
    else:
        assert not target.exists()


# --- the copy holds what `docker build` sends -----------------------------------------------------

def _plant(workspace, *paths):
    for path in paths:
        (workspace / path).parent.mkdir(parents=True, exist_ok=True)
        (workspace / path).write_text(f"{path}\n")


@pytest.mark.parametrize("ignore, kept, left_out", [
    pytest.param(".venv\n.git\n", ["src/shortlinks/app.py"], [".venv/lib/big.py", ".git/HEAD"], id="directories"),
    pytest.param("**/__pycache__\n", ["src/shortlinks/app.py"], ["__pycache__/a.pyc", "src/shortlinks/__pycache__/b.pyc"],
                 id="double-star"),
    pytest.param("docs\n!docs/keep.md\n", ["docs/keep.md"], ["docs/drop.md"], id="exception-inside-an-excluded-dir"),
    pytest.param("*.md\n!README*.md\nREADME-secret.md\n", ["README.md"], ["README-secret.md", "notes.md"],
                 id="last-match-wins"),
    pytest.param("/build\n", ["src/build/kept.txt"], ["build/out.txt"], id="leading-slash-is-the-root"),
    pytest.param("./notes.txt\n# a comment\n\n  tmp  \n", ["src/notes.txt"], ["notes.txt", "tmp/x"], id="dot-slash-comments-spaces"),
])
def test_copy_leaves_out_what_the_dockerignore_excludes(learner, ignore, kept, left_out):
    """The copy skips what the workspace's .dockerignore excludes, with Docker's semantics."""
    _plant(learner, *[p for p in kept + left_out if not (learner / p).exists()])
    (learner / ".dockerignore").write_text(ignore)
    with build_context(learner, offline=True) as ctx:
        for path in kept:
            assert (ctx.dir / path).is_file(), f"{path} should be in the copy"
        for path in left_out:
            assert not (ctx.dir / path).exists(), f"{path} should not be in the copy"


def test_dockerfile_ignore_files_and_env_are_copied_even_when_excluded(learner):
    """`*` excludes everything, yet the copy keeps the Dockerfile, the .dockerignore and the
    workspace's own .env (the secret check's target; BuildKit applies the ignore file itself)."""
    (learner / ".dockerignore").write_text("*\n")
    env = (learner / ".env").read_text()
    with build_context(learner, offline=True) as ctx:
        assert sorted(p.name for p in ctx.dir.iterdir()) == [".dockerignore", ".env", "Dockerfile"]
        assert (ctx.dir / ".env").read_text() == env
        assert not any("sentinel" in note for note in ctx.notes)


def test_dockerfile_specific_ignore_file_wins_over_dockerignore(learner):
    """BuildKit uses Dockerfile.dockerignore, next to the Dockerfile, instead of .dockerignore."""
    _plant(learner, "a.txt", "b.txt")
    (learner / ".dockerignore").write_text("a.txt\n")
    (learner / "Dockerfile.dockerignore").write_text("b.txt\n")
    with build_context(learner, offline=True) as ctx:
        assert (ctx.dir / "a.txt").exists() and not (ctx.dir / "b.txt").exists()
        assert (ctx.dir / ".dockerignore").exists() and (ctx.dir / "Dockerfile.dockerignore").exists()


def test_without_dockerignore_everything_is_copied(learner):
    """No .dockerignore: the copy is the whole context Docker would send, .git and .venv included."""
    (learner / ".dockerignore").unlink()
    _plant(learner, ".git/HEAD", ".venv/pyvenv.cfg", "deep/er/file.txt")
    (learner / "run.sh").write_text("#!/bin/sh\n")
    (learner / "run.sh").chmod(0o755)
    with build_context(learner, offline=True) as ctx:
        for path in (".git/HEAD", ".venv/pyvenv.cfg", "deep/er/file.txt", "src/shortlinks/app.py"):
            assert (ctx.dir / path).read_bytes() == (learner / path).read_bytes()
        assert os.access(ctx.dir / "run.sh", os.X_OK)


def test_fifo_is_left_out_without_blocking(learner):
    """A FIFO in the workspace (nobody writes to it) neither blocks nor breaks the copy: it is
    left out, and a note says so."""
    os.mkfifo(learner / "pipe")
    seen = {}

    def copy():
        try:
            with build_context(learner, offline=True) as ctx:
                seen["present"] = os.path.lexists(ctx.dir / "pipe")
                seen["notes"] = ctx.notes
        except Exception as exc:  # reported by the assertion below, not lost in the thread
            seen["error"] = exc

    worker = threading.Thread(target=copy, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "build_context blocked on a FIFO"
    assert "error" not in seen, seen.get("error")
    assert seen["present"] is False
    assert any("pipe" in note and "FIFO" in note for note in seen["notes"])


# --- overlay: packaging files laid over the sample app as committed -------------------------------

def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=course", "-c", "user.email=course@example.invalid",
                    *args], check=True, capture_output=True)


@pytest.fixture
def course(tmp_path, repo_root, monkeypatch):
    """A course clone of its own whose exercises/ is committed, then edited by a learner (app
    source changed, a .venv, a __pycache__, an untracked file); the workspace module points at it."""
    root = tmp_path / "course"
    shutil.copytree(repo_root / "exercises", root / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "exercises" / "serve.sh").write_text("#!/bin/sh\nexec gunicorn shortlinks.wsgi:app\n")
    (root / "exercises" / "serve.sh").chmod(0o755)
    _git(root.parent, "init", "-q", str(root))
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "the course as shipped")
    app = root / "exercises" / "src" / "shortlinks" / "app.py"
    app.write_text(app.read_text() + "\nLEARNER_EDIT = True\n")
    _plant(root / "exercises", ".venv/pyvenv.cfg", "src/shortlinks/__pycache__/app.pyc", "scratch.py")
    monkeypatch.setattr(workspace, "REPO_ROOT", root)
    monkeypatch.setattr(workspace, "SAMPLE_APP", root / "exercises")
    return root


@pytest.fixture
def packaging(tmp_path):
    """A packaging-only directory, like solutions/stageN/."""
    folder = tmp_path / "packaging"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM python:3.13-slim\n")
    return folder


def test_overlay_takes_the_app_as_committed(course, packaging):
    """The app under a packaging-only directory is exercises/ at HEAD, modes kept, its .env (the
    sentinel) included: nothing the learner edited or added in exercises/ leaks in."""
    with build_context(packaging, offline=True) as ctx:
        assert ctx.overlay
        app = (ctx.dir / "src" / "shortlinks" / "app.py").read_text()
        assert "LEARNER_EDIT" not in app
        for stray in (".venv", "scratch.py", "src/shortlinks/__pycache__"):
            assert not (ctx.dir / stray).exists(), stray
        assert os.access(ctx.dir / "serve.sh", os.X_OK)
        assert SENTINEL in (ctx.dir / ".env").read_text()
        assert not any("planted" in note or "git clone" in note for note in ctx.notes)
        assert (ctx.dir / "Dockerfile").read_text() == "FROM python:3.13-slim\n"


def test_overlay_of_a_solution_is_the_committed_app(repo_root):
    """In this course clone, solution 2 is laid over exercises/ exactly as HEAD has it."""
    committed = subprocess.run(["git", "-C", str(repo_root), "show", "HEAD:exercises/src/shortlinks/app.py"],
                               capture_output=True, check=True).stdout
    with build_context(repo_root / "solutions" / "stage2", offline=True) as ctx:
        assert (ctx.dir / "src" / "shortlinks" / "app.py").read_bytes() == committed


def test_overlay_outside_a_git_clone_uses_the_working_tree_and_says_so(course, packaging):
    """A course directory that is not a git clone (a downloaded tarball): the app comes from the
    working tree, still without packaging files and caches, and a note says so."""
    shutil.rmtree(course / ".git")
    with build_context(packaging, offline=True) as ctx:
        assert "LEARNER_EDIT" in (ctx.dir / "src" / "shortlinks" / "app.py").read_text()
        assert not (ctx.dir / "src" / "shortlinks" / "__pycache__").exists()
        assert (ctx.dir / "Dockerfile").read_text() == "FROM python:3.13-slim\n"
        assert any("not a git clone" in note for note in ctx.notes)


def test_overlay_never_writes_through_a_link_of_the_app(course, packaging, tmp_path):
    """Where the committed app has a symlink and the packaging directory a real entry of the same
    name, the copy replaces the link: nothing lands in the link's target."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (course / "exercises" / "cache").symlink_to(outside, target_is_directory=True)
    _git(course, "add", "-A")
    _git(course, "commit", "-q", "-m", "a link in the app")
    _plant(packaging, "cache/settings.toml")
    with build_context(packaging, offline=True) as ctx:
        assert not (ctx.dir / "cache").is_symlink()
        assert (ctx.dir / "cache" / "settings.toml").is_file()
    assert list(outside.iterdir()) == []
