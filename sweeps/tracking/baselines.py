"""Each base model, evaluated untrained on the same splits and at the trials' settings (max_seq_length, prompts), so a
trial's gain is measured exactly as the trial is. One baseline per distinct setting the sweep can give a trial."""

from __future__ import annotations

import itertools

from sweeps.data.prepare import PreparedData
from trainables.contract import mlflow_names as names
from trainables.contract.context import SweepTracking
from trainables.contract.metrics import BEST_PREFIX, DROP, as_curves, guard_key
from trainables.encoding import apply_encoding
from trainables.evaluation.item_keeping_evaluator import judge
from trainables.prompts import PROMPTS_PARAMETER
from trainables.trial_run import TrialRun

ENCODING_PARAMETERS = ("max_seq_length", PROMPTS_PARAMETER)


def baseline_settings(parameters: dict) -> list[dict]:
    """One partial trial config per base model and distinct encoding the sweep file allows (a distribution's ends)."""
    choices = {name: parameters[name].candidate_values() for name in ENCODING_PARAMETERS if name in parameters}
    settings = []
    for base_model in parameters["base_model"].candidate_values():
        for values in itertools.product(*choices.values()):
            settings.append({"base_model": base_model, **dict(zip(choices, values))})
    return settings


def log_baselines(tracking: SweepTracking, data: PreparedData, parameters: dict, model_paths: dict[str, str],
                  trust_remote_code: bool, say, guards: tuple = ()) -> None:
    from sentence_transformers import SentenceTransformer

    from trainables.evaluation.guard_evaluator import judge_guards

    settings = baseline_settings(parameters)
    for setting in settings:
        reference = setting["base_model"]
        name = _baseline_name(setting, settings)
        say(f"baseline: evaluating untrained {name.removeprefix('baseline-')}")
        run = TrialRun.open(tracking, name, name, role=names.BASELINE_ROLE)
        try:
            model = SentenceTransformer(model_paths[reference], device="cpu", trust_remote_code=trust_remote_code)
            encoding = apply_encoding(model, setting)
            run.log_params({names.TrialParam.BASE_MODEL: reference, **encoding.params()})
            run.set_tags({names.ENCODING: encoding.key(), names.DATA_FINGERPRINT: data.fingerprint})
            evaluation, test = judge(run, model, data.eval, data.test, encoding.prompts)
            guarded = judge_guards(model, guards, encoding.prompts) if guards else {}
            guarded.update({guard_key(guard.name, DROP): 0.0 for guard in guards})  # measured against itself
            # An untrained model is its own best checkpoint: ranked on the same key as the trials.
            run.log_metrics({**as_curves(evaluation), **{BEST_PREFIX + k: v for k, v in evaluation.items()}, **test, **guarded}, step=0)
        except Exception as error:
            run.fail(error)
            raise
        run.finish()


def _baseline_name(setting: dict, settings: list[dict]) -> str:
    """`baseline-<model>`, plus what sets this baseline apart from the model's others."""
    reference = setting["base_model"]
    name = f"baseline-{str(reference).rsplit('/', 1)[-1]}"
    siblings = [other for other in settings if other["base_model"] == reference]
    if len(siblings) > 1:
        varying = [key for key in ENCODING_PARAMETERS if len({repr(other.get(key)) for other in siblings}) > 1]
        if "max_seq_length" in varying:
            name += f"-seq{setting['max_seq_length']}"
        if PROMPTS_PARAMETER in varying:
            prompts = [other[PROMPTS_PARAMETER] for other in siblings]
            name += f"-prompts{[repr(p) for p in prompts].index(repr(setting[PROMPTS_PARAMETER])) + 1}"
    return name
