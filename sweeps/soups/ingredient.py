"""A soup's ingredient: one finished trial's kept checkpoint, and what it must share with the best trial's to be averaged
with it (base model, prompts, the modules' kinds and settings: architecture, pooling, normalisation)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from trainables.prompts import PROMPTS_PARAMETER
from trainables.scratch import best_folder

# Settings of a module that don't change what its weights mean: a soup encodes at the best trial's own.
ENCODING_ONLY = ("max_seq_length",)


@dataclass(frozen=True)
class Ingredient:
    trial_id: str
    run_id: str
    run_name: str
    value: float  # its kept checkpoint's eval metric, which orders the ingredients
    config: dict  # the trial's hyperparameters, as Tune gave them
    checkpoint: object  # its ray.tune.Checkpoint: the kept model, in the sweep's storage

    @contextlib.contextmanager
    def folder(self) -> Iterator[str]:
        """The kept model's folder, copied out of the sweep's storage for as long as it is read."""
        with tempfile.TemporaryDirectory(prefix="sweeps-soup-") as local:
            self.checkpoint.to_directory(local)
            folder = best_folder(local)
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"{self.run_name}'s checkpoint holds no kept model")
            yield folder

    def differs_from(self, other: Ingredient) -> str | None:
        """Why this trial's settings keep it out of a soup with `other`'s, or None."""
        for key, what in (("base_model", "base model"), (PROMPTS_PARAMETER, "prompts")):
            if repr(self.config.get(key)) != repr(other.config.get(key)):
                return f"its {what} {self.config.get(key)!r} is not {other.run_name}'s {other.config.get(key)!r}"
        return None


def compatible_with_the_best(ingredients: list[Ingredient]) -> tuple[list[Ingredient], list[str]]:
    """(the ingredients whose settings let them be averaged with the first, the best, in order; "<run>: why" for each
    other one)."""
    best, compatible, left_out = ingredients[0], ingredients[:1], []
    for item in ingredients[1:]:
        why = item.differs_from(best)
        if why:
            left_out.append(f"{item.run_name}: {why}")
        else:
            compatible.append(item)
    return compatible, left_out


def architecture(model) -> list[tuple[str, str]]:
    """Each module's kind and settings (pooling mode, normalisation, the transformer's own config), as they decide
    what the weights mean."""
    described = []
    for module in model:
        settings = module.get_config_dict() if hasattr(module, "get_config_dict") else {}
        settings = {key: value for key, value in settings.items() if key not in ENCODING_ONLY}
        inner = getattr(module, "auto_model", None)
        if inner is not None:
            settings["model_type"] = getattr(inner.config, "model_type", None)
        described.append((type(module).__name__, json.dumps(settings, sort_keys=True, default=str)))
    return described


def architecture_difference(model, reference: list[tuple[str, str]]) -> str | None:
    ours = architecture(model)
    if [kind for kind, _ in ours] != [kind for kind, _ in reference]:
        return f"its modules are {[kind for kind, _ in ours]}, not {[kind for kind, _ in reference]}"
    for (kind, settings), (_, theirs) in zip(ours, reference):
        if settings != theirs:
            return f"its {kind} settings differ ({settings} vs {theirs})"
    return None
