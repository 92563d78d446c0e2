"""Parsing the sweep file: good files load, bad ones fail with one exact line per problem."""

from pathlib import Path

import pytest

from sweeps.errors import SweepInputError
from sweep_file_cases import GOOD, load_text, problems_of
from sweeps.sweep_file import load_sweep_file

REPO = Path(__file__).resolve().parents[4]


def test_good_file_loads_with_defaults(tmp_path):
    config, _ = load_text(tmp_path, GOOD)
    assert config.name == "demo"
    assert config.metric.key == "ndcg_at_10" and config.metric.mode == "max"
    assert config.mlflow.tracking_uri == "sqlite:///mlflow.db"
    assert config.experiment_name == "demo"


def test_wandbs_bayes_is_optunas_tpe(tmp_path):
    config, _ = load_text(tmp_path, GOOD.replace("method: grid", "method: bayes") + "run_cap: 4\n")
    assert (config.method, config.sampler, config.run_cap) == ("optuna", "tpe", 4)
    config, _ = load_text(tmp_path, GOOD.replace("method: grid", "method: bayes") + "run_cap: 4\nsampler: gp\n")
    assert (config.method, config.sampler) == ("optuna", "gp")


def test_exponent_without_a_dot_is_a_number(tmp_path):
    config, _ = load_text(tmp_path, GOOD)
    assert config.parameters["learning_rate"].values == [1e-5, 2e-5]
    assert all(isinstance(v, float) for v in config.parameters["learning_rate"].values)


def test_every_example_yaml_in_the_repo_is_valid():
    """Schema, parameters, models, data and losses against data, as `--dry-run` checks them, plus a plan."""
    from sweeps.planning.trial_plan import plan_trials
    from sweeps.prepared_sweep import prepare_sweep

    files = [REPO / "grid.yaml", *sorted((REPO / "examples").glob("*.yaml"))]
    assert len(files) >= 2
    for file in files:
        config = load_sweep_file(file)
        validated = prepare_sweep(config, file)
        assert all(validated.data.train.values()) and validated.models
        assert plan_trials(config).num_samples >= 1


BAD_CASES = [
    ("unknown top-level key with suggestion", GOOD + "metrc: {name: ndcg@10}\n",
     "F: `metrc` is not a known key (did you mean `metric`?); expected one of ['allow_custom_code', 'baselines', 'budget', 'callbacks', 'data', 'description', 'early_terminate', 'evaluations_per_trial', 'guard', 'keep_models', 'max_concurrent', 'max_failures', 'method', 'metric', 'mlflow', 'name', 'parameters', 'project', 'promote', 'resources', 'run_cap', 'sampler', 'seed', 'serving', 'soup', 'stop_when', 'storage_path', 'task', 'warm_start'], but got {'name': 'ndcg@10'}"),
    ("unknown data key", GOOD.replace("{source: data.jsonl}", "{source: data.jsonl, eval_fracton: 0.2}"),
     "F: `data.eval_fracton` is not a known key (did you mean `eval_fraction`?); expected one of ['columns', 'delimiter', 'eval_corpus_size', 'eval_fraction', 'group_pairs', 'hard_negatives', 'hub_split', 'leaks', 'max_eval_queries', 'max_test_queries', 'max_text_chars', 'max_train_rows', 'near_duplicate_similarity', 'score_range', 'source', 'test_fraction'], but got 0.2"),
    ("empty values", GOOD.replace("{values: [1e-5, 2.0e-5]}", "{values: []}"),
     "F: `parameters.learning_rate`: `values` must hold at least one value, but got []"),
    ("min above max", GOOD.replace("{values: [1e-5, 2.0e-5]}", "{distribution: uniform, min: 0.1, max: 0.01}"),
     "F: `parameters.learning_rate`: `min <= max` must hold, but got (min=0.1, max=0.01)"),
    ("log distribution from zero", GOOD.replace("{values: [1e-5, 2.0e-5]}", "{distribution: log_uniform_values, min: 0, max: 0.01}"),
     "F: `parameters.learning_rate`: `min > 0` must hold for log_uniform_values, but got (min=0.0)"),
    ("two forms at once", GOOD.replace("{values: [1e-5, 2.0e-5]}", "{value: 1e-5, values: [1e-5]}"),
     "F: `parameters.learning_rate`: exactly one of `value`, `values`, `distribution` must be given, but got ['value', 'values']"),
    ("unknown distribution", GOOD.replace("{values: [1e-5, 2.0e-5]}", "{distribution: normal, min: 0, max: 1}"),
     "F: `parameters.learning_rate.distribution` must be 'uniform', 'log_uniform_values', 'int_uniform', 'q_uniform' or 'q_log_uniform_values' (none of the normal family here: sample between `min` and `max` with uniform or log_uniform_values), but got 'normal'"),
    ("run_cap below one", GOOD + "run_cap: 0\n", "F: `run_cap` must be greater than or equal to 1, but got 0"),
    ("random without budget", GOOD.replace("method: grid", "method: random"),
     "F: `run_cap` is required with method='random', but got none"),
    ("unknown method", GOOD.replace("method: grid", "method: bayesian"),
     "F: `method` must be 'grid', 'random' or 'optuna' (did you mean `optuna`?), but got 'bayesian'"),
    ("fractions leave nothing to train on", GOOD.replace("{source: data.jsonl}", "{source: data.jsonl, eval_fraction: 0.6, test_fraction: 0.5}"),
     "F: `data`: `eval_fraction + test_fraction < 1` must hold, but got (eval_fraction=0.6, test_fraction=0.5)"),
    ("fraction out of range", GOOD.replace("{source: data.jsonl}", "{source: data.jsonl, eval_fraction: 1.5}"),
     "F: `data.eval_fraction` must be less than 1, but got 1.5"),
    ("no base model", GOOD.replace("  base_model: {value: all-MiniLM-L6-v2}\n", ""),
     "F: `parameters.base_model` is required, but got none"),
    ("missing data", GOOD.replace("data: {source: data.jsonl}\n", ""), "F: `data` is required, but got nothing"),
    ("bad sweep name", GOOD.replace("name: demo", "name: 'my sweep!'"),
     "F: `name`: must be 1-100 letters, digits, '_', '.' or '-' starting with a letter or digit, but got 'my sweep!'"),
    ("wrong type", GOOD + "max_concurrent: lots\n", "F: `max_concurrent` must be a valid integer, unable to parse string as an integer, but got 'lots'"),
    ("malformed yaml", "name: demo\nparameters: {base_model: [\n",
     "F: must be valid YAML (expected the node content, but found '<stream end>' at line 3, column 1), but got 'malformed YAML'"),
    ("not a mapping", "- a\n- b\n", "F: the sweep file must be a YAML mapping, but got 'list'"),
    ("sampler without optuna", GOOD + "sampler: tpe\n", "F: `sampler` needs method='optuna', but got method='grid'"),
    ("grace period not before the last evaluation", GOOD + "evaluations_per_trial: 2\nearly_terminate: {type: asha, grace_period: 2}\n",
     "F: `early_terminate.grace_period < evaluations_per_trial` must hold (a trial is judged before it ends), but got (grace_period=2, evaluations_per_trial=2)"),
    ("reduction factor with median", GOOD + "evaluations_per_trial: 4\nearly_terminate: {type: median, reduction_factor: 3}\n",
     "F: `early_terminate`: `reduction_factor` applies to asha and hyperband, but got type='median'"),
    ("min samples with asha", GOOD + "evaluations_per_trial: 4\nearly_terminate: {type: asha, min_samples_required: 3}\n",
     "F: `early_terminate`: `min_samples_required` applies to median, but got type='asha'"),
    ("unknown scheduler", GOOD + "early_terminate: {type: pbt}\n",
     "F: `early_terminate.type` must be 'asha', 'hyperband' or 'median', but got 'pbt'"),
    ("negative keep_models", GOOD + "keep_models: -1\n", "F: `keep_models` must be greater than or equal to 0, but got -1"),
    ("alias with a space", GOOD + "promote: {alias: 'my champ'}\n",
     "F: `promote.alias` must match pattern '^[A-Za-z0-9_-]{1,100}$', but got 'my champ'"),
]


@pytest.mark.parametrize("case, text, expected", BAD_CASES, ids=[case[0] for case in BAD_CASES])
def test_bad_input_is_named_exactly(tmp_path, case, text, expected):
    assert expected in problems_of(tmp_path, text)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(SweepInputError) as caught:
        load_sweep_file(tmp_path / "nope.yaml")
    assert caught.value.problems == [f"{tmp_path / 'nope.yaml'}: the sweep file must exist, but got '{tmp_path / 'nope.yaml'}'"]


WANDB = """
description: a W&B sweep file, as written for wandb agent apart from its program
project: shop-search
method: bayes
metric: {name: ndcg@10, goal: maximize, target: 0.99}
run_cap: 6
early_terminate: {type: hyperband, max_iter: 9, s: 2}
data: {source: data.jsonl}
parameters:
  base_model: {distribution: constant, value: all-MiniLM-L6-v2}
  loss: {distribution: categorical, values: [MultipleNegativesRankingLoss, CachedMultipleNegativesRankingLoss]}
  learning_rate: {distribution: log_uniform, min: -11.5, max: -6.9}
  per_device_train_batch_size: {distribution: q_log_uniform_values, min: 8, max: 64, q: 8}
  warmup_ratio: {min: 0.0, max: 0.2}
  num_train_epochs: {min: 1, max: 3}
"""


def test_a_wandb_sweep_file_reads_as_ours(tmp_path):
    path = tmp_path / "shop_sweep.yaml"
    path.write_text(WANDB)
    config = load_sweep_file(path)
    assert config.name == "shop_sweep"  # no name: the file's
    assert (config.method, config.sampler, config.experiment_name) == ("optuna", "tpe", "shop-search")
    assert config.description.startswith("a W&B sweep file") and config.metric.target == 0.99
    # max_iter is the trial's last evaluation; the first band is max_iter / eta^s with W&B's eta of 3
    assert config.evaluations_per_trial == 9
    assert (config.early_terminate.grace_period, config.early_terminate.reduction_factor) == (1, 3)
    parameters = config.parameters
    assert parameters["base_model"].value == "all-MiniLM-L6-v2" and parameters["base_model"].is_fixed
    assert parameters["loss"].values == ["MultipleNegativesRankingLoss", "CachedMultipleNegativesRankingLoss"]
    learning_rate = parameters["learning_rate"]  # W&B's log_uniform takes exponents
    assert learning_rate.distribution == "log_uniform_values"
    assert learning_rate.min == pytest.approx(1.01e-5, rel=0.01) and learning_rate.max == pytest.approx(1.008e-3, rel=0.01)
    assert parameters["warmup_ratio"].distribution == "uniform" and parameters["num_train_epochs"].distribution == "int_uniform"
    assert parameters["per_device_train_batch_size"].candidate_values() == [8, 64]


def test_wandb_hyperband_with_min_iter_and_eta(tmp_path):
    config, _ = load_text(tmp_path, GOOD + "evaluations_per_trial: 8\nearly_terminate: {type: hyperband, min_iter: 2, eta: 2}\n")
    assert (config.early_terminate.grace_period, config.early_terminate.reduction_factor) == (2, 2)
    config, _ = load_text(tmp_path, GOOD + "evaluations_per_trial: 8\nearly_terminate: {type: hyperband, min_iter: 2}\n")
    assert config.early_terminate.reduction_factor == 3  # W&B's default eta


def test_a_yaml_bomb_is_refused_in_well_under_a_second(tmp_path):
    """9 levels of 9 aliases each (9**9 leaves): counted without expanding, never walked."""
    import time

    text = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))
    (tmp_path / "bomb.yaml").write_text(text)
    started = time.perf_counter()
    with pytest.raises(SweepInputError, match="must expand to at most 100,000 YAML values"):
        load_sweep_file(tmp_path / "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_an_anchor_used_twice_is_still_a_sweep_file(tmp_path):
    """Anchors are fine: a setting written once and aliased is read as written."""
    config, _ = load_text(tmp_path, GOOD.replace("{values: [1e-5, 2.0e-5]}", "&small {values: [1e-5, 2.0e-5]}") + "  weight_decay: *small\n")
    assert config.parameters["weight_decay"].values == config.parameters["learning_rate"].values == [1e-5, 2e-5]


def test_an_optional_training_argument_takes_null(tmp_path):
    """`tf32: null` is HF's Optional[bool] at its default: a value, not a mistake."""
    from search_spaces.parameters import value_problem
    from sweeps.sweep_file.validation import check_parameters

    config, path = load_text(tmp_path, GOOD + "  tf32: {value: null}\n")
    assert config.parameters["tf32"].value is None and check_parameters(config, path) == []
    assert value_problem("tf32", None) is None and value_problem("learning_rate", None) == "must be float or int"
