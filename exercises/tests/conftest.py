"""Shared fixtures: every test gets its own database under pytest's ``tmp_path``."""

from __future__ import annotations

import pytest

from shortlinks import create_app


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A fresh DATA_DIR (not created yet: the app must create it) and no GIT_COMMIT."""
    path = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(path))
    monkeypatch.delenv("GIT_COMMIT", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    return path


@pytest.fixture
def app(data_dir):
    app = create_app()
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
