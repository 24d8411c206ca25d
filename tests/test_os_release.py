"""Which OS an image is, from its os-release: what official-python-base reads when a reference
(a digest, a mirror, a local tag) does not say whether it is the Debian or the Alpine variant."""

from __future__ import annotations

import pytest

from graders import engine, os_release

# Debian 13 "trixie", point release 13.8, as Debian's base-files ships it (/usr/lib/os-release;
# /etc/os-release links to it), read from the course's stand-in built from trixie's packages.
DEBIAN_13 = """\
PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
NAME="Debian GNU/Linux"
VERSION_ID="13"
VERSION="13 (trixie)"
VERSION_CODENAME=trixie
DEBIAN_VERSION_FULL=13.8
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""

# Alpine 3.22 (python:3.13-alpine3.22's base), as alpinelinux/aports main/alpine-base/APKBUILD
# writes it in release() for pkgver=3.22.2 (`PRETTY_NAME="Alpine Linux $_rel"`, _rel=v3.22).
ALPINE_3_22 = """\
NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.22.2
PRETTY_NAME="Alpine Linux v3.22"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
"""

# Ubuntu 24.04.3, as its base-files ships it: a Debian derivative (ID_LIKE=debian), not Debian.
UBUNTU_24_04 = """\
PRETTY_NAME="Ubuntu 24.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.3 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
"""


@pytest.mark.parametrize(("text", "name", "debian", "alpine"), [
    pytest.param(DEBIAN_13, "Debian GNU/Linux 13 (trixie)", True, False, id="debian-13"),
    pytest.param(ALPINE_3_22, "Alpine Linux v3.22", False, True, id="alpine-3.22"),
    pytest.param(UBUNTU_24_04, "Ubuntu 24.04.3 LTS", False, False, id="ubuntu-24.04"),
    pytest.param("ID=postmarketos\nID_LIKE=alpine\n", "postmarketos", False, True, id="alpine-derivative"),
    pytest.param("# comment\n\nNAME='Some OS'\nVERSION=1\n", "Some OS 1", False, False, id="no-id-is-linux"),
])
def test_os_release_classification(text, name, debian, alpine):
    release = os_release.parse(text)
    assert (release.name, release.is_debian, release.is_alpine) == (name, debian, alpine)


@pytest.mark.docker
def test_the_base_image_is_read_without_running_it(docker_client, base_images):
    """The stand-in (or the pulled official image) is Debian; /etc/os-release is a link, followed
    to /usr/lib/os-release; the container made to read it is gone afterwards."""
    session = engine.Session(docker_client)
    try:
        release = os_release.read(session, docker_client.images.get("python:3.13-slim"))
        assert release is not None and release.is_debian and release.fields["VERSION_CODENAME"] == "trixie"
        assert docker_client.containers.list(all=True, filters={"label": f"{engine.GRADER_LABEL}={session.id}"}) == []
    finally:
        session.close()
