"""Which layers two pushed images share, read the way the stage-4 grader reads them: each image's
manifest and config from the registry (graders/registry.py), the config's history (the step that
made each layer; `empty_layer` entries made none) beside its `rootfs.diff_ids`, and the manifest's
compressed layer sizes (what a host pulls). A layer is reused when it and every layer below it
are the same bytes: the leading run of equal diff IDs."""

from __future__ import annotations

from dataclasses import dataclass

from .built import short_step


@dataclass(frozen=True)
class PushedImage:
    label: str
    reference: str
    steps: list[str]          # the step that made each layer, in layer order
    diff_ids: list[str]
    sizes: list[int]          # compressed bytes of each layer, as pushed

    @property
    def total(self) -> int:
        return sum(self.sizes)


def pushed_image(registry, name: str, tag: str, label: str) -> PushedImage:
    """An image pushed to the demo registry, as its manifest and config describe it."""
    config = registry.registry.config(name, tag)
    manifest = registry.registry.manifest(name, tag)
    steps = [short_step(h.get("created_by") or "", 80) or "(a base image layer)"
             for h in config.get("history") or [] if not h.get("empty_layer")]
    return PushedImage(label, registry.reference(name, tag), steps, (config.get("rootfs") or {}).get("diff_ids") or [],
                       [layer.get("size") or 0 for layer in manifest.get("layers") or []])


def shared_layers(first: PushedImage, second: PushedImage) -> int:
    """How many of the leading layers the two images share (the same diff IDs, in order)."""
    count = 0
    for a, b in zip(first.diff_ids, second.diff_ids):
        if a != b:
            break
        count += 1
    return count


def new_bytes(first: PushedImage, second: PushedImage) -> int:
    """What a host that has `first` downloads to run `second`: its layers from the first difference on."""
    return sum(second.sizes[shared_layers(first, second):])
