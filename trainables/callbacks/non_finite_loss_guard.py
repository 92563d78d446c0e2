"""Stop a trial whose training loss turned NaN or infinite, instead of training on garbage."""

from __future__ import annotations

import math

from transformers import TrainerCallback


class NonFiniteLossGuard(TrainerCallback):
    def __init__(self):
        self.step: int | None = None
        self.loss: float | None = None

    @property
    def tripped(self) -> bool:
        return self.step is not None

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)) and not self.tripped:
            self.step, self.loss = state.global_step, float(loss)
            control.should_training_stop = True
            control.should_evaluate = control.should_save = False

    def reason(self, hyperparameters: dict) -> str:
        rate = hyperparameters.get("learning_rate")
        return (f"training loss became {self.loss} at step {self.step} (learning_rate={rate}); the trial was stopped there. "
                "Lower learning_rate, or add warmup_ratio / max_grad_norm")


def out_of_memory_message(arguments: dict, world_size: int, max_seq_length) -> str:
    batch = int(arguments["per_device_train_batch_size"])
    accumulation = int(arguments.get("gradient_accumulation_steps", 1))
    effective = batch * accumulation * world_size
    smaller = max(1, batch // 2)
    return (f"out of GPU memory at per_device_train_batch_size={batch} (max_seq_length={max_seq_length}, world_size={world_size}): "
            f"use per_device_train_batch_size={smaller} with gradient_accumulation_steps={accumulation * batch // smaller} "
            f"to keep the effective batch of {effective}, lower max_seq_length, or give each worker more GPU memory")
