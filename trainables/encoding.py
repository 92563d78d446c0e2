"""What changes how a model encodes text, and so every score it gets: its maximum sequence length and its prompts.
A trial and the untrained baseline it is compared with share these; the run of each records them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from trainables.contract.mlflow_names import TrialParam
from trainables.prompts import PROMPTS_PARAMETER, Prompts, trial_prompts


@dataclass(frozen=True)
class Encoding:
    base_model: str  # the sweep file's reference
    max_seq_length: int
    prompts: Prompts

    def key(self) -> str:
        """Equal for a trial and its own baseline: the MLflow tag that pairs them."""
        return json.dumps({"base_model": self.base_model, "max_seq_length": self.max_seq_length,
                           "query_prompt": self.prompts.query, "document_prompt": self.prompts.document}, sort_keys=True)

    def params(self) -> dict:
        return {TrialParam.MAX_SEQ_LENGTH: self.max_seq_length, TrialParam.PROMPTS: self.prompts.describe()}


def apply_encoding(model, config: dict) -> Encoding:
    """Set `config`'s max_seq_length on the loaded model (else keep the model's own) and pick its prompts. Prompts
    the sweep set are written into the model's own, so a saved checkpoint (and the champion) carries them."""
    if config.get("max_seq_length"):
        model.max_seq_length = int(config["max_seq_length"])
    prompts = trial_prompts(config, getattr(model, "prompts", None))
    if PROMPTS_PARAMETER in config:
        model.prompts = prompts.as_model_config()
    return Encoding(config["base_model"], int(model.max_seq_length), prompts)
