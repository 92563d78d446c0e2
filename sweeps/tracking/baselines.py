"""Each distinct base model, evaluated untrained on the same splits, so a trial's gain is visible."""

from __future__ import annotations

from sweeps.data.prepare import PreparedData
from trainables import mlflow_names as names
from trainables.context import SweepTracking
from trainables.evaluation import evaluate
from trainables.metrics import BEST_PREFIX, TEST_PREFIX
from trainables.trial_run import TrialRun


def log_baselines(tracking: SweepTracking, data: PreparedData, models: dict[str, str], trust_remote_code: bool, say) -> None:
    from sentence_transformers import SentenceTransformer

    for reference, path in models.items():
        say(f"baseline: evaluating untrained {reference}")
        run = TrialRun.open(tracking, f"baseline:{reference}", f"baseline-{reference.rsplit('/', 1)[-1]}", role=names.BASELINE_ROLE)
        try:
            model = SentenceTransformer(path, device="cpu", trust_remote_code=trust_remote_code)
            run.log_params({"base_model": reference})
            evaluation = evaluate(model, data.eval)
            # An untrained model is its own best checkpoint: ranked on the same key as the trials.
            run.log_metrics({**evaluation, **{BEST_PREFIX + k: v for k, v in evaluation.items()},
                             **evaluate(model, data.test, TEST_PREFIX)}, step=0)
        except Exception as error:
            run.fail(error)
            raise
        run.finish()
