"""Tests of the shortlinks web service, through Flask's test client."""

from __future__ import annotations

import pytest

from shortlinks import create_app


def shorten(client, url):
    response = client.post("/links", json={"url": url})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["code"]


def test_healthz_ok_and_database_created(client, data_dir):
    """/healthz answers 200 {"status": "ok"} and the app created DATA_DIR/shortlinks.db."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.mimetype == "application/json"
    assert (data_dir / "shortlinks.db").is_file()


def test_healthz_503_when_data_dir_unwritable(tmp_path, monkeypatch, capsys):
    """With DATA_DIR under a regular file, start-up logs one clear line and /healthz is 503.

    A path below a regular file cannot be created even by root, so this holds in a container.
    """
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file\n")
    bad_dir = blocker / "data"
    monkeypatch.setenv("DATA_DIR", str(bad_dir))

    app = create_app()  # must not raise

    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1
    assert str(bad_dir / "shortlinks.db") in err_lines[0]
    assert "set DATA_DIR to a writable directory" in err_lines[0]

    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert str(bad_dir) in body["reason"]


def test_healthz_503_when_database_disappears(client, data_dir):
    """/healthz checks the database on every call: removing the file turns it to 503."""
    assert client.get("/healthz").status_code == 200
    (data_dir / "shortlinks.db").unlink()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "reason" in response.get_json()


def test_version_without_git_commit(client):
    """/version reports the package version and commit "unknown" when GIT_COMMIT is unset."""
    response = client.get("/version")
    assert response.status_code == 200
    assert response.get_json() == {"version": "1.0.0", "commit": "unknown"}


def test_version_with_git_commit(data_dir, monkeypatch):
    """/version reports the commit given in GIT_COMMIT."""
    monkeypatch.setenv("GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")
    client = create_app().test_client()
    body = client.get("/version").get_json()
    assert body == {"version": "1.0.0", "commit": "0123456789abcdef0123456789abcdef01234567"}


def test_create_then_redirect(client):
    """POST /links returns 201 with a code; GET /links/<code> redirects (302) to the URL."""
    url = "https://www.python.org/downloads/?x=1&y=2"
    response = client.post("/links", json={"url": url})
    assert response.status_code == 201
    body = response.get_json()
    assert body["url"] == url
    assert body["code"].isalnum()

    follow = client.get(f"/links/{body['code']}")
    assert follow.status_code == 302
    assert follow.headers["Location"] == url


def test_unknown_code_is_404(client):
    """GET /links/<code> for a code never issued answers 404 with a JSON error."""
    response = client.get("/links/nosuch1")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_list_shows_20_most_recent_newest_first(client):
    """GET /links lists the 20 most recent links, newest first."""
    codes = [shorten(client, f"https://example.com/page/{i}") for i in range(25)]
    response = client.get("/links")
    assert response.status_code == 200
    links = response.get_json()
    assert [link["code"] for link in links] == codes[::-1][:20]
    assert links[0]["url"] == "https://example.com/page/24"


def test_links_survive_a_new_app_instance(data_dir):
    """Links are stored in DATA_DIR, so a second app (another gunicorn worker) sees them."""
    code = shorten(create_app().test_client(), "http://example.org/")
    follow = create_app().test_client().get(f"/links/{code}")
    assert follow.headers["Location"] == "http://example.org/"


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "ftp://example.com/file"},
        {"url": "javascript:alert(1)"},
        {"url": "not a url"},
        {"url": "https://"},
        {"url": ""},
        {"url": 42},
        {"link": "https://example.com/"},
        ["https://example.com/"],
    ],
)
def test_bad_url_is_400(client, payload):
    """POST /links rejects anything but an absolute http(s) URL with 400 and a JSON error."""
    response = client.post("/links", json=payload)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_non_json_body_is_400(client):
    """POST /links with a body that is not JSON answers 400."""
    response = client.post("/links", data="url=https://example.com/",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_secret_key_from_environment(data_dir, monkeypatch):
    """SECRET_KEY from the environment becomes Flask's secret key."""
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert create_app().secret_key == "from-the-environment"


def test_secret_key_random_when_unset(data_dir):
    """Without SECRET_KEY each start-up generates a different random key (never a default)."""
    first, second = create_app().secret_key, create_app().secret_key
    assert first and second and first != second
