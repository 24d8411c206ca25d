"""Catching up to a stage (`python -m graders start --stage N`) loses nothing: the learner's
packaging files are saved first, then the previous solution's written; the app is untouched."""

from __future__ import annotations

from graders import stage_start
from graders.stage_start import start_stage


def test_start_stage_saves_then_writes_the_previous_solution(learner, monkeypatch, tmp_path, repo_root):
    """Starting stage 3 backs up the learner's packaging files, then writes solution 2's."""
    monkeypatch.setattr(stage_start, "BACKUPS", tmp_path / "backups")
    started = start_stage(3, learner)
    assert started.backup is not None
    assert (started.backup / "Dockerfile").read_text() == "# my own attempt\nFROM python:3.13-slim\n"
    assert (started.backup / ".dockerignore").read_text() == ".env\n"
    for name in started.written:
        assert (learner / name).read_bytes() == (repo_root / "solutions" / "stage2" / name).read_bytes()
    assert (learner / "src" / "shortlinks" / "app.py").exists()  # the app itself is untouched


def test_start_stage_1_restores_the_starter(learner, monkeypatch, tmp_path, repo_root):
    """Stage 1 starts from the starter as the course ships it, and drops files it does not have."""
    monkeypatch.setattr(stage_start, "BACKUPS", tmp_path / "backups")
    start_stage(1, learner)
    assert "# TODO" in (learner / "Dockerfile").read_text()
    assert not (learner / ".dockerignore").exists()


def test_two_starts_in_the_same_second_keep_both_backups(learner, monkeypatch, tmp_path):
    monkeypatch.setattr(stage_start, "BACKUPS", tmp_path / "backups")
    first = start_stage(2, learner)
    second = start_stage(2, learner)
    assert first.backup != second.backup and first.backup.exists() and second.backup.exists()


def test_start_takes_the_inherited_files_too(learner, monkeypatch, tmp_path, repo_root):
    """Starting stage 4 writes solution 3 whole: its own files and those it inherits unchanged
    (solutions/stages.toml), so the learner gets a complete set."""
    monkeypatch.setattr(stage_start, "BACKUPS", tmp_path / "backups")
    started = start_stage(4, learner)
    assert {"Dockerfile", "build.sh", ".github/workflows/build.yml", ".dockerignore"} <= set(started.written)
    assert (learner / ".dockerignore").read_bytes() == (repo_root / "solutions/stage2/.dockerignore").read_bytes()
    assert (learner / "build.sh").read_bytes() == (repo_root / "solutions/stage3/build.sh").read_bytes()
