"""An image a Lab built, read back from the engine: its size and config, where its base image
came from, and its history split into the base image's layers and the Dockerfile's own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..build import BuildResult


@dataclass(frozen=True)
class Layer:
    step: str             # the instruction, shortened
    size: int             # bytes
    base: bool            # inherited from the base image
    created_by: str       # the history entry as the engine records it


def short_step(created_by: str, width: int = 60) -> str:
    """A history entry's `created_by` as the Dockerfile instruction it came from, at most `width` long."""
    text = (created_by or "").replace(" # buildkit", "").replace("/bin/sh -c #(nop) ", "")
    text = text.replace("/bin/sh -c ", "").strip()
    text = re.sub(r"^RUN \|\d+ ", "RUN ", text)          # BuildKit's "|1 NAME=value" prefix kept below
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def image_origin(image) -> str:
    """Where a base image came from: "stand-in" (the course's offline one), "registry" (pulled), or "local"."""
    from ..images import STANDIN_LABEL

    if STANDIN_LABEL in (image.labels or {}):
        return "stand-in"
    if image.attrs.get("RepoDigests"):
        return "registry"
    return "local"


@dataclass
class Built:
    """An image a Lab built: the build result, the image, and its base image."""

    name: str
    result: BuildResult
    image: Any
    base_reference: str
    base_image: Any | None
    dockerfile: str

    @property
    def id(self) -> str:
        return self.image.id

    @property
    def size(self) -> int:
        return self.image.attrs.get("Size") or 0

    @property
    def config(self) -> dict:
        return self.image.attrs.get("Config") or {}

    @property
    def base_layer_ids(self) -> list[str]:
        """The diff IDs of the base image's layers (none when the engine lacks the base image)."""
        if self.base_image is None:
            return []
        return (self.base_image.attrs.get("RootFS") or {}).get("Layers") or []

    @property
    def base_origin(self) -> str:
        """Where the base image came from: a course stand-in, the registry, or neither."""
        if self.base_image is None:
            return "not in the engine"
        count = len(self.base_layer_ids)
        plural = f"{count} layer" + ("" if count == 1 else "s")
        return {
            "stand-in": f"the course's offline stand-in ({plural}, built from Debian trixie packages)",
            "registry": f"pulled from the registry ({plural})",
            "local": f"a local image, neither pulled nor a course stand-in ({plural})",
        }[image_origin(self.base_image)]

    def layers(self) -> list[Layer]:
        """Every history entry, oldest first, marked as base or as this Dockerfile's own."""
        history = list(reversed(self.image.history()))
        base_count = len(self.base_image.history()) if self.base_image is not None else 0
        out = []
        for i, entry in enumerate(history):
            created_by = entry.get("CreatedBy") or ""
            step = short_step(created_by) if created_by else f"(base image {self.base_reference})"
            out.append(Layer(step, int(entry.get("Size") or 0), i < base_count, created_by))
        return out

    def apt_upgrade_summary(self) -> str:
        """What `apt-get upgrade` reported in this build's log (or that its step came from the cache)."""
        for line in self.result.log:
            m = re.search(r"(\d+) upgraded, (\d+) newly installed, (\d+) to remove and (\d+) not upgraded", line)
            if m:
                return (f"apt-get upgrade in this build: {m.group(1)} upgraded, {m.group(2)} newly installed, "
                        f"{m.group(4)} not upgraded")
        if any("apt-get" in step and "upgrade" in step for step in self.result.cached_steps):
            return ("the apt-get upgrade step came from the build cache: it ran in an earlier build, "
                    "and nothing new was installed now")
        return "no apt-get upgrade output in this build's log"
