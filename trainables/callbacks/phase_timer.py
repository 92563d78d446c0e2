"""Charges HF Trainer's in-training evaluations and resume checkpoints to the trial's clock.

HF evaluates, then saves, right after a step whose control says so; the callbacks mark both ends. It must be
the trial's first callback, so that its `on_evaluate` closes the evaluation before the reporter publishes it.
"""

from __future__ import annotations

from transformers import TrainerCallback

from trainables.trial_clock import CHECKPOINT, EVAL, TrialClock


class PhaseTimer(TrainerCallback):
    def __init__(self, clock: TrialClock):
        self.clock = clock

    def on_step_end(self, args, state, control, **kwargs):
        if control.should_evaluate:
            self.clock.enter(EVAL)
        elif control.should_save:
            self.clock.enter(CHECKPOINT)

    def on_evaluate(self, args, state, control, **kwargs):
        self.clock.leave(EVAL)
        if control.should_save:
            self.clock.enter(CHECKPOINT)

    def on_save(self, args, state, control, **kwargs):
        self.clock.leave(CHECKPOINT)
