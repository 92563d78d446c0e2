"""A kept checkpoint logged to its trial's MLflow run, with the sentence_transformers flavour, ready to promote."""

from __future__ import annotations

import os
import shutil
import tempfile

from sweeps.tracking.parent_run import SweepRun
from trainables.contract import mlflow_names as names


def log_trial_model(sweep_run: SweepRun, run_id: str, folder: str, input_example: list[str], trust_remote_code: bool) -> str:
    """Log the model in `folder` as the run's `model` artifact and tag the run; returns the model's URI."""
    import mlflow.sentence_transformers
    from sentence_transformers import SentenceTransformer

    with tempfile.TemporaryDirectory() as scratch:
        target = os.path.join(scratch, names.MODEL_ARTIFACT)
        mlflow.sentence_transformers.save_model(
            SentenceTransformer(folder, device="cpu", trust_remote_code=trust_remote_code), target, input_example=input_example,
            pip_requirements=mlflow.sentence_transformers.get_default_pip_requirements(),
        )
        # The training run's model card (loss, data, hyperparameters) outlives the reload.
        card = os.path.join(folder, "README.md")
        if os.path.exists(card):
            shutil.copy(card, os.path.join(target, "model.sentence_transformer", "README.md"))
        sweep_run.client.log_artifacts(run_id, target, names.MODEL_ARTIFACT)
    sweep_run.client.set_tag(run_id, names.MODEL_LOGGED, "true")
    return f"runs:/{run_id}/{names.MODEL_ARTIFACT}"
