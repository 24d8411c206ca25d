"""Which layer of an image a Dockerfile step made, and whether two builds share it.

An image's history lists every step; only some made a layer (`empty_layer` marks the others in
the image config, which a registry or `docker save` hands out). The engine's history API
(`docker history`) drops that flag, so for an image in the engine the layer-making steps are
told by their instruction (RUN, COPY, ADD, WORKDIR make one with BuildKit; ENV, LABEL, CMD...
do not), and the count is checked against the image's RootFS layers: when it does not add up,
the answer is None rather than a guess. Two builds share a layer when it and every layer below
it have the same diff IDs.
"""

from __future__ import annotations

import re

INSTALL_STEP = re.compile(r"\b(pip3?|python3? -m pip|uv pip|uv)\s+(install|sync)\b|\b(poetry|pipenv|pdm)\s+install\b")
# The instructions that make a layer when BuildKit builds them (their history entry's first word).
LAYER_MAKERS = frozenset({"RUN", "COPY", "ADD", "WORKDIR"})


def config_layer_steps(config: dict) -> list[str]:
    """The step that made each layer of an image config, in layer order."""
    return [h.get("created_by") or "" for h in config.get("history") or [] if not h.get("empty_layer")]


def install_layer(config: dict) -> tuple[int, str] | None:
    """The (last) dependency install step's layer: (its index among the image's layers, its command)."""
    found = [(i, step) for i, step in enumerate(config_layer_steps(config)) if INSTALL_STEP.search(step)]
    return found[-1] if found else None


def engine_layer_steps(image, base_image) -> list[str | None] | None:
    """The step that made each layer of an image in the engine (None for the base image's own
    layers), or None when the history does not add up to the image's layers."""
    layers = (image.attrs.get("RootFS") or {}).get("Layers") or []
    history = list(reversed(image.history()))            # the API lists the newest first
    base_layers = len((base_image.attrs.get("RootFS") or {}).get("Layers") or []) if base_image else 0
    base_entries = len(base_image.history()) if base_image else 0
    own = [entry.get("CreatedBy") or "" for entry in history[base_entries:]]
    steps: list[str | None] = [None] * base_layers
    steps += [step for step in own if step.split(" ", 1)[0] in LAYER_MAKERS]
    return steps if len(steps) == len(layers) else None


def same_layer(first: list[str], second: list[str], index: int) -> bool:
    """Whether two images share layer `index` and everything below it."""
    return index < min(len(first), len(second)) and first[:index + 1] == second[:index + 1]
