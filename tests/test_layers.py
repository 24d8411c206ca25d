"""Credential files in an image layer, whatever form the layer's tar gives their names. (No
engine needed: the layers are real tar files written here, as `docker save` hands them out.)"""

from __future__ import annotations

import io
import tarfile

import pytest

from graders.layers import is_credential_file, member_path, scan_layer

NEEDLE = b"course-sentinel-for-this-test"
FAKE_KEY = b"-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEgcmVhbCBrZXk=\n-----END OPENSSH PRIVATE KEY-----\n"
# The forms a layer tar writes names in: BuildKit and docker save write `x`, other tools `./x`,
# and a few `/x`. `./.x` is where the old normalisation lost the leading dot of a root dotfile.
FORMS = {"bare": "{}", "dot-slash": "./{}", "absolute": "/{}"}


def layer(tmp_path, files: dict[str, bytes], name: str = "layer.tar") -> io.BufferedReader:
    path = tmp_path / name
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tar:
        for member_name, data in files.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.open("rb")


def credentials_in(tmp_path, files: dict[str, bytes]) -> list[str]:
    with layer(tmp_path, files) as handle:
        return [hit.what for hit in scan_layer(handle, NEEDLE, 0)]


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
@pytest.mark.parametrize("path", [
    ".netrc", ".env", ".git-credentials", ".pgpass", ".pypirc", ".env.production", "root/.netrc",
    "app/.env.local", "root/.ssh/id_ed25519", "home/app/.ssh/id_rsa", "app/credentials.json",
    "root/.aws/credentials",
])
def test_credential_files_are_found_in_every_name_form(tmp_path, form, path):
    assert credentials_in(tmp_path, {form.format(path): b"machine example.invalid password not-real\n"}) == [
        f"credential file /{path}"]


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
@pytest.mark.parametrize("path", ["etc/ssl/private/server.pem", "app/tls.key", "root/.ssh/deploy_key",
                                  "srv/id_deploy"])
def test_private_keys_are_found_by_their_content(tmp_path, form, path):
    assert credentials_in(tmp_path, {form.format(path): FAKE_KEY}) == [f"private key /{path}"]


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
@pytest.mark.parametrize("path", [
    "app/.env.example", "app/.env.sample", "app/.env.template", "app/.env.dist", ".env.example",
    "root/.ssh/id_ed25519.pub", "root/.ssh/known_hosts", "usr/lib/python3/dist-packages/certifi/cacert.pem",
    "app/id_generator.py", "app/.envrc", "app/netrc.py", "app/environment.env.md",
])
def test_templates_public_keys_and_certificates_are_not_credentials(tmp_path, form, path):
    content = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" if path.endswith(".pem") else b"x=1\n"
    assert credentials_in(tmp_path, {form.format(path): content}) == []


def test_the_secret_is_found_in_a_root_dotfile_and_in_a_file_name(tmp_path):
    files = {"./.netrc": b"password " + NEEDLE, f"tmp/{NEEDLE.decode()}": b"", "./": b""}
    assert credentials_in(tmp_path, files) == ["credential file /.netrc", "the secret, in /.netrc",
                                               f"a file named with the secret: /tmp/{NEEDLE.decode()}"]


def test_a_whiteout_is_a_deletion_not_a_file(tmp_path):
    assert credentials_in(tmp_path, {"app/.wh..env": b"", "./.wh..netrc": b""}) == []


@pytest.mark.parametrize(("name", "path"), [
    ("./.netrc", "/.netrc"), (".netrc", "/.netrc"), ("/.netrc", "/.netrc"), ("./app/.env", "/app/.env"),
    ("app/", "/app"), ("./", "/"), ("", "/"), ("//etc/passwd", "/etc/passwd"),
])
def test_member_names_become_absolute_image_paths(name, path):
    assert member_path(name) == path


def test_dotenv_files_other_than_templates_are_credentials():
    assert is_credential_file("/app/.env.staging")
    assert not is_credential_file("/app/.env.example.local")
