"""The learner's workspace: catching up to a stage without losing anything; solutions stay small."""

from __future__ import annotations

import shutil

import pytest

from graders import workspace
from graders.workspace import SENTINEL, build_context, is_packaging_file, start_stage


@pytest.fixture
def learner(tmp_path, repo_root):
    """A copy of exercises/ where the learner has already changed the Dockerfile."""
    copy = tmp_path / "exercises"
    shutil.copytree(repo_root / "exercises", copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "Dockerfile").write_text("# my own attempt\nFROM python:3.13-slim\n")
    (copy / ".dockerignore").write_text(".env\n")
    return copy


def test_start_stage_saves_then_writes_the_previous_solution(learner, monkeypatch, tmp_path, repo_root):
    """Starting stage 3 backs up the learner's packaging files, then writes solution 2's."""
    monkeypatch.setattr(workspace, "BACKUPS", tmp_path / "backups")
    started = start_stage(3, learner)
    assert started.backup is not None
    assert (started.backup / "Dockerfile").read_text() == "# my own attempt\nFROM python:3.13-slim\n"
    assert (started.backup / ".dockerignore").read_text() == ".env\n"
    for name in started.written:
        assert (learner / name).read_bytes() == (repo_root / "solutions" / "stage2" / name).read_bytes()
    assert (learner / "src" / "shortlinks" / "app.py").exists()  # the app itself is untouched


def test_start_stage_1_restores_the_starter(learner, monkeypatch, tmp_path, repo_root):
    """Stage 1 starts from the starter as the course ships it, and drops files it does not have."""
    monkeypatch.setattr(workspace, "BACKUPS", tmp_path / "backups")
    start_stage(1, learner)
    assert "# TODO" in (learner / "Dockerfile").read_text()
    assert not (learner / ".dockerignore").exists()


def test_two_starts_in_the_same_second_keep_both_backups(learner, monkeypatch, tmp_path):
    monkeypatch.setattr(workspace, "BACKUPS", tmp_path / "backups")
    first = start_stage(2, learner)
    second = start_stage(2, learner)
    assert first.backup != second.backup and first.backup.exists() and second.backup.exists()


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
