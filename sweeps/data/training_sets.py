"""Each swept loss's training rows, in its data format: reshaped once per sweep on the driver, and said."""

from __future__ import annotations

from search_spaces.data_formats import DATA_FORMATS
from search_spaces.losses import DEFAULT_INNER_LOSS, INNER_LOSS, LOSSES, swept_losses
from sweeps.data.reshape import CannotReshape, reshape, reshape_problem
from sweeps.errors import problem


def training_formats(parameters: dict) -> dict[str, list[str]]:
    """data format -> the swept losses that train on it (a wrapper counts as the losses it wraps)."""
    formats: dict[str, list[str]] = {}
    inner = parameters.get(INNER_LOSS)
    for loss_name in swept_losses(parameters):
        trained = [loss_name] if not LOSSES[loss_name].wraps_a_loss else (inner.candidate_values() if inner else [DEFAULT_INNER_LOSS])
        for name in trained:
            formats.setdefault(LOSSES[name].data_format, []).append(loss_name if name == loss_name else f"{loss_name}({name})")
    return formats


def training_sets(train: dict[str, list], parameters: dict, seed: int, source: str) -> tuple[dict[str, dict], list[str], list[str]]:
    """(data format -> its rows, notes on what was reshaped, problems: a loss the data can't feed)."""
    sets, notes, problems = {}, [], []
    for data_format, losses in training_formats(parameters).items():
        reason = reshape_problem(data_format, list(train))
        try:
            if reason is None:
                sets[data_format], note = reshape(train, data_format, seed)
                if note:
                    notes.append(f"{', '.join(losses)} train on {DATA_FORMATS[data_format].description}: {note}")
        except CannotReshape as error:
            reason = str(error)
        if reason:
            problems += [problem(source, "parameters.loss", f"must be a loss the data from `data.source` can feed: {loss} {reason}", loss)
                         for loss in losses]
    return sets, notes, problems
