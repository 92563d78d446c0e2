"""Each distinct base model, evaluated untrained on the same splits, so a trial's gain is visible."""

from __future__ import annotations

from sweeps.data.evaluators import evaluate
from sweeps.metrics import BEST_PREFIX, TEST_PREFIX
from trainables.trial_run import TrialRun


def log_baselines(sweep: dict, data: dict, models: dict[str, str], say) -> None:
    from sentence_transformers import SentenceTransformer

    for reference, path in models.items():
        say(f"baseline: evaluating untrained {reference}")
        run = TrialRun(sweep, f"baseline:{reference}", f"baseline-{reference.rsplit('/', 1)[-1]}", role="baseline")
        try:
            model = SentenceTransformer(path, device="cpu")
            run.log_params({"base_model": reference})
            evaluation = evaluate(model, data["eval"])
            # An untrained model is its own best checkpoint: ranked on the same key as the trials.
            run.log_metrics({**evaluation, **{BEST_PREFIX + k: v for k, v in evaluation.items()},
                             **evaluate(model, data["test"], TEST_PREFIX)}, step=0)
        except Exception as error:
            run.fail(error)
            raise
        run.finish()
