"""No resume checkpoint at a trial's last step: HF Trainer writes one (weights, optimizer, scheduler) when training
ends, but a finished training has nothing to resume, the kept model has its own folder, and the trial deletes
its resume state moments later. A trial that dies while judging its kept checkpoint resumes from the checkpoint
of its previous evaluation instead, and trains its last stretch again."""

from __future__ import annotations

from transformers import TrainerCallback


class FinalSaveSkip(TrainerCallback):
    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= state.max_steps:
            control.should_save = False
