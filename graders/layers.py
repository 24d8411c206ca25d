"""Looking inside an image's layers the way anyone holding the image can: `docker save`.

Finds a needle (the sentinel secret) in layer contents, file names, history and config, and
credential files (.env, SSH keys, .netrc, private-key PEMs), naming the layer that holds each.
Layers shared with the base image are skipped: the learner did not put anything there.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import posixpath
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Iterator

CREDENTIAL_NAMES = (".env", ".env.*", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pgpass",
                    ".git-credentials", "credentials.json")
KEY_SUFFIXES = (".pem", ".key")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Hit:
    where: str             # "layer", "history", "config"
    what: str              # description
    layer: int | None = None
    created_by: str | None = None


def is_credential_file(path: str) -> bool:
    name = posixpath.basename(path)
    return any(fnmatch.fnmatch(name, pattern) for pattern in CREDENTIAL_NAMES) and not name.endswith(".example")


def _contains(fileobj, needle: bytes) -> bool:
    tail = b""
    while chunk := fileobj.read(CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def _scan_layer(layer_file, needle: bytes, index: int, created_by: str | None) -> list[Hit]:
    hits: list[Hit] = []
    with tarfile.open(fileobj=layer_file, mode="r|*") as layer:
        for member in layer:
            path = "/" + member.name.lstrip("./")
            name = posixpath.basename(path)
            if name.startswith(".wh."):
                continue
            if needle in member.name.encode():
                hits.append(Hit("layer", f"a file named with the secret: {path}", index, created_by))
            if not member.isfile():
                continue
            content = layer.extractfile(member)
            if is_credential_file(path):
                hits.append(Hit("layer", f"credential file {path}", index, created_by))
            if content is None:
                continue
            if name.endswith(KEY_SUFFIXES) and member.size < 1 << 20:
                data = content.read()
                if b"PRIVATE KEY" in data:
                    hits.append(Hit("layer", f"private key {path}", index, created_by))
                if needle in data:
                    hits.append(Hit("layer", f"the secret, in {path}", index, created_by))
                continue
            if _contains(content, needle):
                hits.append(Hit("layer", f"the secret, in {path}", index, created_by))
    return hits


@dataclass(frozen=True)
class SavedImage:
    """An image as `docker save` hands it out: the archive, its manifest entry and its config."""
    archive: tarfile.TarFile
    manifest: dict
    config: dict

    @property
    def layer_steps(self) -> list[str | None]:
        """The history step that made each layer, in layer order."""
        return [h.get("created_by") for h in self.config.get("history") or [] if not h.get("empty_layer")]

    def layer(self, index: int):
        return self.archive.extractfile(self.manifest["Layers"][index])


@contextlib.contextmanager
def saved(image) -> Iterator[SavedImage]:
    """`docker save` an image to a temporary file and open it (removed afterwards)."""
    with tempfile.TemporaryFile() as file:
        for chunk in image.save(named=False):
            file.write(chunk)
        file.seek(0)
        with tarfile.open(fileobj=file, mode="r:") as archive:
            manifest = json.load(archive.extractfile("manifest.json"))[0]
            config = json.load(archive.extractfile(manifest["Config"]))
            yield SavedImage(archive, manifest, config)


def scan(client, image_id: str, needle: str, skip_layers: frozenset[str] | set[str] = frozenset()) -> list[Hit]:
    """Scan a saved image for `needle` and credential files, skipping layers by diff ID."""
    raw_needle = needle.encode()
    hits: list[Hit] = []
    with saved(client.images.get(image_id)) as image:
        config = image.config
        history = config.get("history") or []
        for entry in history:
            if needle in (entry.get("created_by") or ""):
                hits.append(Hit("history", "the secret, in a history entry", created_by=entry.get("created_by")))
        without_history = {k: v for k, v in config.items() if k != "history"}
        if needle in json.dumps(without_history):
            hits.append(Hit("config", "the secret, in the image config (ENV, LABEL, CMD...)"))
        layer_steps = image.layer_steps
        diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
        for index in range(len(image.manifest["Layers"])):
            if index < len(diff_ids) and diff_ids[index] in skip_layers:
                continue
            created_by = layer_steps[index] if index < len(layer_steps) else None
            layer_file = image.layer(index)
            if layer_file is not None:
                hits.extend(_scan_layer(layer_file, raw_needle, index, created_by))
    return hits
