"""Image references read as Docker reads them (github.com/distribution/reference), and which
official image a reference names, on Docker Hub or through a registry mirror. (No engine needed.)"""

from __future__ import annotations

import pytest

from graders.references import InvalidReference, library_name, parse

DIGEST = "sha256:" + "0123456789abcdef" * 4

HUB_PYTHON = "docker.io/library/python"


@pytest.mark.parametrize(("text", "repository", "tag", "digest"), [
    pytest.param("python", HUB_PYTHON, None, None, id="familiar"),
    pytest.param("library/python", HUB_PYTHON, None, None, id="library-namespace"),
    pytest.param("docker.io/python", HUB_PYTHON, None, None, id="hub-domain-adds-library"),
    pytest.param("docker.io/library/python", HUB_PYTHON, None, None, id="canonical"),
    pytest.param("index.docker.io/library/python", HUB_PYTHON, None, None, id="legacy-index-domain"),
    pytest.param("index.docker.io/python:3.13", HUB_PYTHON, "3.13", None, id="legacy-index-familiar"),
    pytest.param("python:3.13-slim-trixie", HUB_PYTHON, "3.13-slim-trixie", None, id="tag"),
    pytest.param(f"python@{DIGEST}", HUB_PYTHON, None, DIGEST, id="digest"),
    pytest.param(f"python:3.13-slim@{DIGEST}", HUB_PYTHON, "3.13-slim", DIGEST, id="tag-and-digest"),
    pytest.param("registry-1.docker.io/library/python:3.13", "registry-1.docker.io/library/python", "3.13", None,
                 id="hub-registry-host-kept-as-written"),
    pytest.param("localhost:5000/python:3.13", "localhost:5000/python", "3.13", None, id="port"),
    pytest.param("localhost/python", "localhost/python", None, None, id="localhost-is-a-registry"),
    pytest.param("[::1]:5000/team/app:v1", "[::1]:5000/team/app", "v1", None, id="ipv6-host"),
    pytest.param("Registry.Corp:5000/team/python", "Registry.Corp:5000/team/python", None, None,
                 id="upper-case-host"),
    pytest.param("someone/python", "docker.io/someone/python", None, None, id="user-namespace"),
    pytest.param("mirror.gcr.io/library/python:3.13-slim", "mirror.gcr.io/library/python", "3.13-slim", None,
                 id="google-mirror"),
    pytest.param("ghcr.io/a__b/c-d.e/f:1.0_rc-1", "ghcr.io/a__b/c-d.e/f", "1.0_rc-1", None, id="separators"),
])
def test_references_normalise_like_docker(text, repository, tag, digest):
    ref = parse(text)
    assert (ref.repository, ref.tag, ref.digest) == (repository, tag, digest)


@pytest.mark.parametrize(("text", "why"), [
    pytest.param("Python:3.13", "must be lowercase", id="upper-case-name"),
    pytest.param("docker.io/Library/python", "must be lowercase", id="upper-case-path"),
    pytest.param("python:", "invalid reference format", id="empty-tag"),
    pytest.param("python:" + "t" * 129, "invalid reference format", id="tag-too-long"),
    pytest.param("python:-slim", "invalid reference format", id="tag-starts-with-dash"),
    pytest.param("python@sha256:abc", "invalid reference format", id="short-digest"),
    pytest.param("python@md5:" + "0" * 32, "unsupported digest algorithm", id="unknown-algorithm"),
    pytest.param("python@sha256:" + "0" * 63 + "A", "invalid checksum digest format", id="upper-case-hex"),
    pytest.param("0123456789abcdef" * 4, "64-byte hexadecimal", id="image-id"),
    pytest.param("-python", "invalid reference format", id="leading-dash"),
    pytest.param("python//x", "invalid reference format", id="empty-component"),
    pytest.param("a" * 256, "must not be more than 255 characters", id="name-too-long"),
])
def test_invalid_references_are_refused_with_dockers_reason(text, why):
    with pytest.raises(InvalidReference, match=why):
        parse(text)


@pytest.mark.parametrize(("text", "name"), [
    pytest.param("python:3.13-slim", "python", id="hub-familiar"),
    pytest.param("docker.io/library/python", "python", id="hub-canonical"),
    pytest.param("index.docker.io/library/python:3.13-slim", "python", id="hub-legacy"),
    pytest.param("registry-1.docker.io/library/python", "python", id="hub-registry-host"),
    pytest.param("registry.hub.docker.com/library/python", "python", id="hub-web-host"),
    pytest.param("mirror.gcr.io/library/python:3.13-slim-trixie", "python", id="google-mirror"),
    pytest.param("public.ecr.aws/docker/library/python:3.13-slim", "python", id="ecr-public-mirror"),
    pytest.param("registry.corp/dockerhub/library/python:3.13", "python", id="company-pull-through-cache"),
    pytest.param("localhost:5000/python:3.13-slim", "python", id="private-registry-copy"),
    pytest.param("debian:trixie-slim", "debian", id="os-image"),
    pytest.param("docker.io/someone/python", None, id="someones-image-on-hub"),
    pytest.param("ghcr.io/acme/python:3.13", None, id="someones-image-elsewhere"),
    pytest.param("registry-1.docker.io/python", None, id="hub-host-without-library"),
    pytest.param("ghcr.io/astral-sh/uv:python3.13-trixie-slim", None, id="another-projects-image"),
])
def test_library_name_is_the_official_image_a_reference_names(text, name):
    assert library_name(parse(text)) == name


@pytest.mark.parametrize(("text", "familiar"), [
    ("docker.io/library/python:3.13", "python:3.13"),
    ("index.docker.io/someone/app", "someone/app"),
    ("mirror.gcr.io/library/python", "mirror.gcr.io/library/python"),
    (f"python@{DIGEST}", f"python@{DIGEST}"),
])
def test_the_familiar_form_is_what_the_docker_cli_shows(text, familiar):
    assert parse(text).familiar == familiar


def test_the_default_tag_is_latest_unless_a_digest_pins_it():
    assert parse("python").tag_or_default == "latest"
    assert parse(f"python@{DIGEST}").tag_or_default is None
    assert str(parse("python:3.13")) == "docker.io/library/python:3.13"
