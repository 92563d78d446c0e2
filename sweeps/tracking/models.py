"""A kept checkpoint logged to its trial's MLflow run, with the sentence_transformers flavour, ready to promote."""

from __future__ import annotations

import os
import shutil
import tempfile

from sweeps.tracking.parent_run import SweepRun
from trainables.contract import mlflow_names as names
from trainables.contract.serving import ServingVariant


def log_trial_model(sweep_run: SweepRun, run_id: str, folder: str, input_example: list[str], trust_remote_code: bool,
                    served: ServingVariant | None = None) -> str:
    """Log the model in `folder` as the run's `model` artifact and tag the run; returns the model's URI. `served`: the
    variant the sweep picks by; the logged model then encodes to its size, and the run says its size and precision."""
    import mlflow.sentence_transformers
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(folder, device="cpu", trust_remote_code=trust_remote_code)
    if served is not None:
        cut_to(model, served.dim)
        sweep_run.client.set_tag(run_id, names.SERVING_DIM, str(served.dim))
        sweep_run.client.set_tag(run_id, names.SERVING_PRECISION, served.precision)
    with tempfile.TemporaryDirectory() as scratch:
        target = os.path.join(scratch, names.MODEL_ARTIFACT)
        mlflow.sentence_transformers.save_model(
            model, target, input_example=input_example,
            pip_requirements=mlflow.sentence_transformers.get_default_pip_requirements(),
        )
        # The training run's model card (loss, data, hyperparameters) outlives the reload.
        card = os.path.join(folder, "README.md")
        if os.path.exists(card):
            shutil.copy(card, os.path.join(target, "model.sentence_transformer", "README.md"))
        sweep_run.client.log_artifacts(run_id, target, names.MODEL_ARTIFACT)
    sweep_run.client.set_tag(run_id, names.MODEL_LOGGED, "true")
    return f"runs:/{run_id}/{names.MODEL_ARTIFACT}"


def cut_to(model, dim: int) -> None:
    """Make `model` encode to its first `dim` dimensions, as `truncate_dim=dim` does, in a way its saved folder keeps:
    sentence-transformers saves no `truncate_dim`, so a Dense layer that copies the first `dim` values (identity weights,
    no bias, no activation) goes last, after any Normalize, exactly where `truncate_dim` cuts."""
    import torch
    from sentence_transformers.sentence_transformer.modules import Dense

    full = model.get_embedding_dimension()
    if dim >= full:
        return
    model.append(Dense(full, dim, bias=False, activation_function=torch.nn.Identity(), init_weight=torch.eye(full)[:dim].clone()))
