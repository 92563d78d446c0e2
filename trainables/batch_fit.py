"""A batch too big for the trial's GPU is halved inside the trial, with twice the gradient accumulation: the effective
batch the sweep asked for, about half the activations. `per_device_train_batch_size: auto` starts at AUTO_BATCH_START
and keeps the first batch that fits (no accumulation: it asks for no effective batch). With a cached loss
(CachedMultipleNegativesRankingLoss, CachedGISTEmbedLoss) the batch is the loss's, split into mini-batches by the loss
itself: its `mini_batch_size` is halved instead, and the batch and its in-batch negatives stay as asked.

Only before the first evaluation: after it, a checkpoint of this batch exists, and a resume at another batch would
replay the data in another order. Only in a one-process trial: an out-of-memory error on one DDP rank leaves the
others waiting in their all-reduce (the driver's retry after a kill for memory covers DDP).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from search_spaces.losses import DEFAULT_LOSS, LOSSES, training_loss
from search_spaces.parameters import AUTO_BATCH, AUTO_BATCH_START, BATCH_SIZE

MINI_BATCH_SIZE = "mini_batch_size"
ACCUMULATION = "gradient_accumulation_steps"
RECORD = "batch_fit.json"  # in the trial's scratch folder, so a restored trial resumes at the batch its checkpoint has


@dataclass(frozen=True)
class BatchFit:
    """What a trial trains with, against what its sweep asked for. `size` is the knob that halves: the batch, or a
    cached loss's mini-batch."""

    knob: str  # BATCH_SIZE or MINI_BATCH_SIZE
    size: int
    asked: int | str  # the sweep's value of the knob: an int, or AUTO_BATCH
    batch: int  # per_device_train_batch_size as trained
    accumulation: int
    asked_accumulation: int
    halvings: int = 0

    @classmethod
    def asked_for(cls, config: dict, default_batch: int, default_mini_batch: int | None = None) -> BatchFit:
        """The first attempt's fit: `default_mini_batch` is the cached loss's own default, None for other losses."""
        batch = config.get(BATCH_SIZE, default_batch)
        batch = AUTO_BATCH_START if batch == AUTO_BATCH else int(batch)
        accumulation = int(config.get(ACCUMULATION, 1))
        if default_mini_batch is not None:
            mini = int(config.get(MINI_BATCH_SIZE, default_mini_batch))
            return cls(MINI_BATCH_SIZE, mini, mini, batch, accumulation, accumulation)
        asked = config.get(BATCH_SIZE, default_batch)
        return cls(BATCH_SIZE, batch, asked if asked == AUTO_BATCH else batch, batch, accumulation, accumulation)

    @property
    def can_halve(self) -> bool:
        return self.size > 1

    @property
    def differs_from_the_config(self) -> bool:
        """Halved, or `auto`: the trial trains at a batch its config doesn't say, so the fit is recorded and said."""
        return bool(self.halvings) or self.asked == AUTO_BATCH

    @property
    def keeps_the_effective_batch(self) -> bool:
        return self.knob == BATCH_SIZE and self.asked != AUTO_BATCH

    def halved(self) -> BatchFit:
        size = self.size // 2
        if self.knob == MINI_BATCH_SIZE:
            return BatchFit(self.knob, size, self.asked, self.batch, self.accumulation, self.asked_accumulation, self.halvings + 1)
        accumulation = self.accumulation
        if self.keeps_the_effective_batch:
            accumulation = max(1, round(self.asked * self.asked_accumulation / size))
        return BatchFit(self.knob, size, self.asked, size, accumulation, self.asked_accumulation, self.halvings + 1)

    def overrides(self) -> dict:
        """What the trial trains with in place of the sweep's values (its logged hyperparameters keep the sweep's)."""
        if self.knob == MINI_BATCH_SIZE:
            return {MINI_BATCH_SIZE: self.size}
        return {BATCH_SIZE: self.batch, ACCUMULATION: self.accumulation}

    def params(self) -> dict:
        """Recorded on the trial's run once training got past its first evaluation at this fit."""
        if self.knob == MINI_BATCH_SIZE:
            return {"mini_batch_size_that_fit": self.size}
        return {"batch_size_that_fit": self.batch, "accumulation_that_fit": self.accumulation}

    def line(self) -> str:
        """What changed and why, for the trial's tag and the sweep's console."""
        if self.knob == MINI_BATCH_SIZE:
            return (f"out of GPU memory: the cached loss's mini_batch_size went {self.asked} -> {self.size}; the batch of "
                    f"{self.batch} and its in-batch negatives stay as asked")
        if not self.keeps_the_effective_batch:
            return f"per_device_train_batch_size auto: {self.batch} fits ({AUTO_BATCH_START} halved {self.halvings} times)"
        effective = self.batch * self.accumulation
        asked_effective = self.asked * self.asked_accumulation
        same = "the same effective batch" if effective == asked_effective else f"an effective batch of {effective} (asked {asked_effective})"
        return (f"out of GPU memory: per_device_train_batch_size {self.asked} -> {self.batch} with gradient_accumulation_steps "
                f"{self.asked_accumulation} -> {self.accumulation}, {same}")

    def save(self, folder: str) -> None:
        with open(os.path.join(folder, RECORD), "w") as out:
            json.dump(asdict(self), out)

    @classmethod
    def saved_in(cls, folder: str) -> BatchFit | None:
        """The fit a restored trial's checkpoint was trained at, if its first attempt had to fit one."""
        path = os.path.join(folder, RECORD)
        if not os.path.exists(path):
            return None
        with open(path) as saved:
            return cls(**json.load(saved))


def trial_batch_fit(config: dict, scratch: str, default_batch: int) -> BatchFit:
    """The fit a restored trial had, or a fresh one for what the sweep asked."""
    restored = BatchFit.saved_in(scratch)
    if restored is not None:
        return restored
    # A wrapper (MatryoshkaLoss) around a cached loss: the inner one splits the batch.
    cached = [LOSSES[name] for name in (config.get("loss", DEFAULT_LOSS), training_loss(config)) if MINI_BATCH_SIZE in LOSSES[name].parameters]
    return BatchFit.asked_for(config, default_batch, _default_mini_batch(cached[0]) if cached else None)


def _default_mini_batch(loss) -> int:
    import inspect

    return int(inspect.signature(loss.loss_class()).parameters[MINI_BATCH_SIZE].default)
