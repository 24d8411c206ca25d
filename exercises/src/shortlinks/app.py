"""The shortlinks Flask application.

Environment variables (read once, when ``create_app()`` runs):

``DATA_DIR``    directory holding ``shortlinks.db``; created if missing (default ``data``,
                relative to the working directory)
``GIT_COMMIT``  the commit the running code was built from, reported by ``GET /version``
                (default ``unknown``)
``SECRET_KEY``  Flask's secret key; a random one is generated when it is unset. The app never
                reads a ``.env`` file itself.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import string
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import orjson
from flask import Flask, Response, redirect, request
from werkzeug.exceptions import HTTPException

from shortlinks import db

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7
MAX_URL_LENGTH = 2048
RECENT_LIMIT = 20

try:
    __version__ = version("shortlinks")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"


def json_response(data: Any, status: int = 200) -> Response:
    """Serialize ``data`` with orjson (compiled, fast) into a JSON response."""
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def validate_url(value: Any) -> str | None:
    """Return an error message when ``value`` is not an absolute http(s) URL, else ``None``."""
    if not isinstance(value, str) or not value:
        return 'the JSON body needs a string field "url"'
    if len(value) > MAX_URL_LENGTH:
        return f"url is longer than {MAX_URL_LENGTH} characters"
    if any(ch.isspace() for ch in value):
        return "url must not contain whitespace"
    parts = urlsplit(value)
    if parts.scheme.lower() not in {"http", "https"}:
        return "url must start with http:// or https://"
    if not parts.hostname:
        return "url has no host name"
    return None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_app() -> Flask:
    """Build the application; configuration comes from the environment (see module doc)."""
    app = Flask(__name__)
    app.secret_key = os.environ.get("SECRET_KEY") or secrets.token_hex(32)

    git_commit = os.environ.get("GIT_COMMIT") or "unknown"
    db_path = db.db_path_from_env()
    init_error: str | None = None
    try:
        db.init_db(db_path)
    except (OSError, sqlite3.Error) as exc:
        init_error = f"cannot create database {db_path}: {exc}"
        # One clear line, and keep running: /healthz then answers 503 with the reason.
        print(
            f"shortlinks: ERROR: {init_error}; set DATA_DIR to a writable directory",
            file=sys.stderr,
            flush=True,
        )
    # A start-up line on stdout (whether it shows up in `docker logs` promptly depends on
    # output buffering: PYTHONUNBUFFERED).
    print(f"shortlinks {__version__} (commit {git_commit}) starting; database {db_path}")

    app.config.update(DB_PATH=db_path, GIT_COMMIT=git_commit, DB_INIT_ERROR=init_error)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return json_response({"error": exc.description}, exc.code or 500)

    @app.errorhandler(sqlite3.Error)
    def database_error(exc: sqlite3.Error) -> Response:
        app.logger.error("database error: %s", exc)
        return json_response({"error": f"database unavailable: {exc}"}, 503)

    @app.get("/healthz")
    def healthz() -> Response:
        """200 only when the database opens and answers ``SELECT 1``."""
        try:
            db.ping(db_path)
        except sqlite3.Error as exc:
            reason = init_error or f"database {db_path} unavailable: {exc}"
            return json_response({"status": "error", "reason": reason}, 503)
        return json_response({"status": "ok"})

    @app.get("/version")
    def show_version() -> Response:
        return json_response({"version": __version__, "commit": git_commit})

    @app.post("/links")
    def create_link() -> Response:
        body = request.get_json(silent=True)
        url = body.get("url") if isinstance(body, dict) else None
        error = validate_url(url)
        if error:
            return json_response({"error": error}, 400)
        for _ in range(5):
            code = new_code()
            try:
                db.insert_link(db_path, code, url)
            except sqlite3.IntegrityError:  # code already taken: draw another
                continue
            return json_response({"code": code, "url": url}, 201)
        return json_response({"error": "could not allocate a unique code"}, 503)

    @app.get("/links/<code>")
    def follow_link(code: str) -> Response:
        url = db.get_url(db_path, code)
        if url is None:
            return json_response({"error": f"unknown code {code!r}"}, 404)
        return redirect(url, code=302)

    @app.get("/links")
    def list_links() -> Response:
        return json_response(db.recent_links(db_path, RECENT_LIMIT))

    return app
