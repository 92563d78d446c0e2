"""A trial's best model so far by the sweep's metric: one folder on disk, overwritten when beaten.

Only one checkpoint per trial ever exists, so a trial's disk use is one model whatever its length.
"""

from __future__ import annotations

import json
import math
import os

from trainables.contract.goal import Goal
from trainables.contract.report_keys import STEP
from trainables.trial_clock import CHECKPOINT, TrialClock

STATE_FILE = "sweeps_best.json"


class BestCheckpoint:
    def __init__(self, folder: str, metric_key: str, mode: str, clock: TrialClock | None = None):
        self.folder = folder
        self.clock = clock or TrialClock()
        self.metric_key = metric_key
        self.mode = mode
        self.metrics: dict[str, float] = {}
        self.step: int | None = None
        # Each eval item's score at the kept evaluation, when this process made it; None for a checkpoint kept before a restart.
        self.items: dict | None = None
        # A restarted trial (retry, or a resumed sweep) carries on from the best it had kept.
        state = os.path.join(folder, STATE_FILE)
        if os.path.exists(state):
            with open(state) as handle:
                saved = json.load(handle)
            self.metrics, self.step = saved["metrics"], saved[STEP]

    def better(self, value: float) -> bool:
        if value is None or math.isnan(value):
            return False
        if self.step is None:
            return True
        best = self.metrics[self.metric_key]
        return Goal(self.mode).better(value, best)

    def consider(self, model, metrics: dict[str, float], step: int, items: dict | None = None) -> bool:
        """Save `model` when `metrics` beat the best so far; True when it did."""
        if not self.better(metrics.get(self.metric_key)):
            return False
        with self.clock.section(CHECKPOINT):
            model.save(self.folder)
            self.metrics, self.step, self.items = dict(metrics), step, items
            with open(os.path.join(self.folder, STATE_FILE), "w") as handle:
                json.dump({"metrics": self.metrics, STEP: step}, handle)
        return True
