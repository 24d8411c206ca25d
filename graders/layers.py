"""Looking inside an image's layers the way anyone holding the image can: `docker save`.

Finds a needle (the sentinel secret) in layer contents, file names, history and config, and
credential files (.env, SSH keys, .netrc, private-key PEMs), naming the layer that holds each.
Layers shared with the base image are skipped: the learner did not put anything there.

A layer is a tar whose member names are relative to the image's root, written as `x`, `./x` or
(rarely) `/x`; `member_path()` turns each into the absolute path (`./.netrc` is `/.netrc`).
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Iterator

# Credential files by name (curriculum, no-secrets-in-image: `.env`, `id_*`, `.netrc`, `*.pem`;
# and the other files tools read credentials from: git's credential store, PostgreSQL's password
# file, pip/twine's .pypirc, the AWS CLI's credentials, a Google service-account key).
CREDENTIAL_NAMES = frozenset({".env", ".netrc", "_netrc", ".git-credentials", ".pgpass", ".pypirc", "credentials.json"})
CREDENTIAL_PATHS = ("/.aws/credentials",)  # a path suffix: ~/.aws/credentials
# `.env.<what>` is a dotenv file too (.env.local, .env.production), except the templates projects
# commit on purpose, holding placeholders: .env.example, .env.sample, .env.template, .env.dist.
DOTENV_TEMPLATES = frozenset({"example", "sample", "template", "tmpl", "tpl", "dist"})
# SSH private keys under ssh-keygen's names (`id_<type>.pub` is the public half).
SSH_KEY_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "id_xmss"})
# Files that are credentials when they hold a private key (PEM: `-----BEGIN [RSA |EC |OPENSSH |
# ENCRYPTED ]PRIVATE KEY-----`): key files, other `id_*` files, anything in a .ssh directory.
KEY_SUFFIXES = (".pem", ".key")
PRIVATE_KEY_MARK = b"PRIVATE KEY-----"
KEY_FILE_MAX = 1 << 20
CHUNK = 1 << 20


@dataclass(frozen=True)
class Hit:
    where: str             # "layer", "history", "config"
    what: str              # description
    layer: int | None = None
    created_by: str | None = None


def member_path(name: str) -> str:
    """The absolute path in the image of a layer member named `x`, `./x`, `/x` or `./.x`."""
    return posixpath.normpath("/" + name.lstrip("/"))


def is_credential_file(path: str) -> bool:
    """A credential file by its name alone (a dotenv file, an SSH private key, .netrc...)."""
    name = posixpath.basename(path)
    if name in CREDENTIAL_NAMES or name in SSH_KEY_NAMES or path.endswith(CREDENTIAL_PATHS):
        return True
    if name.startswith(".env."):
        return not DOTENV_TEMPLATES.intersection(name.split(".")[2:])
    return False


def may_hold_private_key(path: str) -> bool:
    """A file worth reading for a private key: *.pem, *.key, id_* (not *.pub), or in a .ssh directory."""
    name = posixpath.basename(path)
    return (name.endswith(KEY_SUFFIXES) or (name.startswith("id_") and not name.endswith(".pub"))
            or "/.ssh/" in path)


def _contains(fileobj, needle: bytes) -> bool:
    tail = b""
    while chunk := fileobj.read(CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def scan_layer(layer_file, needle: bytes, index: int, created_by: str | None = None) -> list[Hit]:
    """The secret and the credential files in one layer tar (a file object, read as a stream)."""
    hits: list[Hit] = []
    with tarfile.open(fileobj=layer_file, mode="r|*") as layer:
        for member in layer:
            path = member_path(member.name)
            if posixpath.basename(path).startswith(".wh."):  # a whiteout: a deletion, not a file
                continue
            if needle in member.name.encode("utf-8", "surrogateescape"):
                hits.append(Hit("layer", f"a file named with the secret: {path}", index, created_by))
            if not member.isfile():
                continue
            content = layer.extractfile(member)
            credential = is_credential_file(path)
            if credential:
                hits.append(Hit("layer", f"credential file {path}", index, created_by))
            if content is None:
                continue
            if may_hold_private_key(path) and member.size < KEY_FILE_MAX:
                data = content.read()
                if PRIVATE_KEY_MARK in data and not credential:
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
                hits.extend(scan_layer(layer_file, raw_needle, index, created_by))
    return hits
