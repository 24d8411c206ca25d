"""The registry image stage 3 pushes to: `registry:2` (the Distribution registry, Docker's own), or,
offline, a labelled stand-in built from Debian trixie's `docker-registry` package (Distribution
2.8 packaged by Debian) on the course's python stand-in base.

Faithful to `registry:2` where a build script can tell: the v2 HTTP API on port 5000, no
authentication, deletes allowed, storage under /var/lib/registry, `docker push`/`pull` over plain
HTTP to 127.0.0.1 (dockerd trusts 127.0.0.0/8 as an insecure registry by default). Debian's own
/etc/docker/registry/config.yml turns on htpasswd authentication: the stand-in replaces it with the
official image's configuration (distribution/distribution-library-image, `config-example.yml`).
"""

from __future__ import annotations

import datetime
import tempfile
from pathlib import Path

from . import build as builder
from .standin import STANDIN_LABEL, BaseImageError, local_image

REGISTRY_TAG = "registry:2"
STANDIN_BASE = "python:3.13-slim-trixie"   # the python stand-in (or the official image): Debian trixie

CONFIG = """\
version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
"""

DOCKERFILE = f"""\
FROM {STANDIN_BASE}
RUN apt-get update \\
    && apt-get install -y --no-install-recommends docker-registry \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /var/lib/registry
COPY config.yml /etc/docker/registry/config.yml
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["/usr/bin/docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
"""


def label_text(day: datetime.date) -> str:
    return (f"Stand-in for the registry:2 image, not Docker's: built offline by the Docker packaging course "
            f"from Debian trixie's docker-registry package on {day.isoformat()}")


def build(client, on_step=None):
    """Build the stand-in as REGISTRY_TAG (the python stand-in must exist); return the image."""
    if local_image(client, STANDIN_BASE) is None:
        raise BaseImageError("building the registry stand-in", f"its base {STANDIN_BASE} is missing",
                             "run `python -m graders images` (it makes the python images first)")
    with tempfile.TemporaryDirectory(prefix="course-registry-standin-") as tmp:
        context = Path(tmp)
        (context / "Dockerfile").write_text(DOCKERFILE)
        (context / "config.yml").write_text(CONFIG)
        labels = {STANDIN_LABEL: label_text(datetime.date.today()),
                  "org.opencontainers.image.description": "offline course stand-in for registry:2"}
        result = builder.build(context, context / "Dockerfile", REGISTRY_TAG, labels, on_step=on_step)
    if not result.ok:
        raise BaseImageError("building the registry stand-in", result.error or "the build failed",
                             " | ".join(result.tail(4)))
    image = local_image(client, REGISTRY_TAG)
    if image is None:
        raise BaseImageError("building the registry stand-in", f"the build ended but {REGISTRY_TAG} is missing")
    return image


__all__ = ["REGISTRY_TAG", "build"]
