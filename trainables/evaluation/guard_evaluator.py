"""A guard set's metrics, named `guard_<name>_<metric>`: for the kept checkpoint at the end, for the untrained baseline,
and (every_evaluation) beside the sweep's metric at every evaluation."""

from __future__ import annotations

from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator

from trainables.contract.metrics import guard_key, rename_evaluator_metrics
from trainables.contract.trial_data import GuardSet
from trainables.evaluation.evaluators import NO_PROMPTS, build_evaluator
from trainables.prompts import Prompts


class GuardEvaluator(SentenceEvaluator):
    """The guard set's own evaluators, their metrics renamed into the guard's namespace."""

    def __init__(self, guard: GuardSet, prompts: Prompts = NO_PROMPTS):
        super().__init__()
        self.guard = guard
        self.inner = build_evaluator(guard.evaluation_set, prompts=prompts)
        self.primary_metric = guard_key(guard.name, guard.metric_key)

    def __call__(self, model, output_path=None, epoch: int = -1, steps: int = -1) -> dict[str, float]:
        raw = self.inner(model, output_path=None, epoch=epoch, steps=steps)
        return {guard_key(self.guard.name, key): value for key, value in rename_evaluator_metrics(raw).items()}


def judge_guards(model, guards, prompts: Prompts = NO_PROMPTS) -> dict[str, float]:
    metrics = {}
    for guard in guards:
        metrics.update(GuardEvaluator(guard, prompts)(model))
    return metrics
