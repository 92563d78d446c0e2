"""A Trainer callback that sends each evaluation to Ray Tune and to the trial's MLflow run."""

from __future__ import annotations

import math

from transformers import TrainerCallback

from trainables.contract.metrics import rename_evaluator_metrics


class EvaluationReporter(TrainerCallback):
    def __init__(self, publish):
        """`publish(metrics, step, evaluation, last)` logs and reports; kept outside so the trial owns its sinks."""
        self._publish = publish
        self.last_train_loss: float | None = None
        self.evaluated_steps: list[int] = []
        self.last_metrics: dict[str, float] = {}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.last_train_loss = float(logs["loss"])

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        renamed = rename_evaluator_metrics(metrics or {})
        if not renamed:
            return
        if self.last_train_loss is not None:
            renamed["train_loss"] = self.last_train_loss
        self.evaluated_steps.append(state.global_step)
        self.last_metrics = dict(renamed)
        # Numbered from the step, not counted: a trial resumed from a checkpoint keeps its numbering.
        self._publish(renamed, state.global_step, evaluation_number(state.global_step, state.eval_steps), state.global_step >= state.max_steps)


def evaluation_number(step: int, eval_steps) -> int:
    return math.ceil(step / eval_steps)
