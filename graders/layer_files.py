"""The files each layer of an image adds, as `docker save` hands them out: what a check needs to
say which layer (so which Dockerfile step) put a file in the image, even when a later layer
deletes it again (the bytes still ship). Layers shared with the base image are skipped."""

from __future__ import annotations

import posixpath
import tarfile
from dataclasses import dataclass, field

from .layers import member_path, saved


@dataclass(frozen=True)
class LayerFiles:
    index: int                       # among the image's layers
    step: str | None                 # the history entry that made it (`COPY . . # buildkit`)
    files: dict[str, int] = field(default_factory=dict)   # path -> bytes, regular files and links (0)

    def under(self, directory: str) -> dict[str, int]:
        """The files of this layer inside `directory` (an absolute path)."""
        prefix = directory.rstrip("/") + "/"
        return {path: size for path, size in self.files.items() if path.startswith(prefix)}


def list_layers(client, image_id: str, skip: frozenset[str] = frozenset()) -> list[LayerFiles]:
    """Every layer of a saved image but those whose diff ID is in `skip`, with its files
    (whiteouts, the marks of a deletion, are not files)."""
    found = []
    with saved(client.images.get(image_id)) as image:
        steps = image.layer_steps
        diff_ids = (image.config.get("rootfs") or {}).get("diff_ids") or []
        for index in range(len(image.manifest["Layers"])):
            if index < len(diff_ids) and diff_ids[index] in skip:
                continue
            layer_file = image.layer(index)
            files: dict[str, int] = {}
            if layer_file is not None:
                with tarfile.open(fileobj=layer_file, mode="r|*") as layer:
                    for member in layer:
                        path = member_path(member.name)
                        if (member.isfile() or member.issym() or member.islnk()) and \
                                not posixpath.basename(path).startswith(".wh."):
                            files[path] = member.size if member.isfile() else 0
            found.append(LayerFiles(index, steps[index] if index < len(steps) else None, files))
    return found
