"""Grid, random and Optuna spaces: order, caps, seeds, and conditional parameters. No Ray cluster."""

import optuna
import pytest

from search_spaces.conditions import effective_conditions
from search_spaces.space import OptunaSpace, grid_configs, grid_points
from sweeps.planning.trial_plan import plan_trials
from sweeps.sweep_file import load_sweep_file

CONDITIONAL = {
    "base_model": {"value": "m"},
    "loss": {"values": ["MultipleNegativesRankingLoss", "CachedMultipleNegativesRankingLoss", "TripletLoss", "MatryoshkaLoss"]},
    "mini_batch_size": {"values": [4, 8]},  # implicit: only CachedMultipleNegativesRankingLoss takes it
    "margin": {"distribution": "uniform", "min": 0.5, "max": 5.0},  # implicit: TripletLoss
    "matryoshka_dims": {"values": [[32, 16], [32, 8]], "when": {"loss": "MatryoshkaLoss"}},
    "scale": {"values": [20.0, 50.0], "when": {"loss": ["MultipleNegativesRankingLoss", "MatryoshkaLoss"]}},
    "learning_rate": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-3},
}
ONLY_WITH = {"mini_batch_size": {"CachedMultipleNegativesRankingLoss"}, "margin": {"TripletLoss"},
             "matryoshka_dims": {"MatryoshkaLoss"}, "scale": {"MultipleNegativesRankingLoss", "MatryoshkaLoss"}}


def assert_conditions_hold(configs):
    assert configs
    for config in configs:
        for parameter, losses in ONLY_WITH.items():
            assert (parameter in config) == (config["loss"] in losses), config
        assert "learning_rate" in config and config["base_model"] == "m"


def test_grid_expands_a_conditional_parameter_only_where_it_applies():
    points = grid_points(CONDITIONAL)
    # MNRL x 2 scales, Cached x 2 mini batches, Triplet x 1, Matryoshka x 2 dims x 2 scales
    assert len(points) == 2 + 2 + 1 + 4
    assert_conditions_hold(grid_configs(CONDITIONAL, seed=0))


def random_configs(parameters, count, seed):
    """What `method: random` draws: Optuna's RandomSampler through the sweep's searcher."""
    from search_spaces.samplers import build_sampler
    from sweeps.search.pruning_optuna_search import PruningOptunaSearch

    searcher = PruningOptunaSearch(space=OptunaSpace(parameters), metric="ndcg_at_10", mode="max",
                                   sampler=build_sampler("random", seed, parameters))
    return [searcher.suggest(f"t{index}") for index in range(count)]


def test_random_draws_respect_conditions_and_repeat_with_the_seed():
    configs = random_configs(CONDITIONAL, 40, seed=3)
    assert_conditions_hold(configs)
    assert configs == random_configs(CONDITIONAL, 40, seed=3) != random_configs(CONDITIONAL, 40, seed=4)
    assert {config["loss"] for config in configs} == set(CONDITIONAL["loss"]["values"])


def test_optuna_define_by_run_space_respects_conditions():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    space = OptunaSpace(CONDITIONAL)
    configs = [space(study.ask()) for _ in range(40)]
    assert_conditions_hold(configs)
    assert any(config.get("matryoshka_dims") == [32, 8] for config in configs)  # lists come back decoded


def test_tpe_with_a_seed_suggests_the_same_sequence_twice():
    from search_spaces.samplers import build_sampler
    from sweeps.search.pruning_optuna_search import PruningOptunaSearch

    def sequence(seed):
        searcher = PruningOptunaSearch(space=OptunaSpace(CONDITIONAL), metric="ndcg_at_10", mode="max",
                                       sampler=build_sampler("tpe", seed, CONDITIONAL))
        suggested = []
        for index in range(14):  # past TPE's 10 random start-up trials, so the model's picks are compared too
            config = searcher.suggest(f"t{index}")
            suggested.append(config)
            score = 1 - abs(config["learning_rate"] - 1e-4) * 100 + (config["loss"] == "TripletLoss") * 0.1
            searcher.on_trial_complete(f"t{index}", {"ndcg_at_10": score, "final": True})
        return suggested

    first = sequence(11)
    assert first == sequence(11)
    assert first != sequence(12)
    assert_conditions_hold(first)


def test_a_stopped_trial_is_pruned_in_the_optuna_study():
    from sweeps.search.pruning_optuna_search import PruningOptunaSearch

    searcher = PruningOptunaSearch(space=OptunaSpace(CONDITIONAL), metric="ndcg_at_10", mode="max",
                                   sampler=optuna.samplers.RandomSampler(seed=0))
    for trial_id, result in (("a", {"ndcg_at_10": 0.5, "final": True}), ("b", {"ndcg_at_10": 0.2, "evaluation": 1})):
        searcher.suggest(trial_id)
        searcher.on_trial_complete(trial_id, result)
    states = [trial.state for trial in searcher._ot_study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED]


def test_a_loss_parameter_depends_on_its_losses_without_a_when():
    conditions = effective_conditions(CONDITIONAL)
    assert conditions["mini_batch_size"] == {"loss": ["CachedMultipleNegativesRankingLoss"]}
    assert conditions["margin"] == {"loss": ["TripletLoss"]}
    assert "learning_rate" not in conditions


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text("name: g\ndata: {source: x.jsonl}\n" + text)
    return load_sweep_file(path)


def test_grid_enumerates_values_in_file_order_and_run_cap_cuts_it(tmp_path):
    config = write(tmp_path, "run_cap: 3\nparameters:\n  base_model: {value: m}\n"
                   "  learning_rate: {values: [1e-5, 1e-4]}\n  per_device_train_batch_size: {values: [16, 32]}\n"
                   "  warmup_ratio: {distribution: uniform, min: 0, max: 0.2}\n")
    plan = plan_trials(config)
    assert plan.grid_size == 4 and plan.num_samples == 3
    assert [{k: c[k] for k in ("learning_rate", "per_device_train_batch_size")} for c in plan.configs] == [
        {"learning_rate": 1e-5, "per_device_train_batch_size": 16},
        {"learning_rate": 1e-5, "per_device_train_batch_size": 32},
        {"learning_rate": 1e-4, "per_device_train_batch_size": 16},
    ]
    assert all(0 <= c["warmup_ratio"] <= 0.2 and c["base_model"] == "m" for c in plan.configs)
    assert "grid points: 4, capped to 3 by run_cap" in plan.describe(config)


def test_fixed_values_are_not_grid_axes():
    assert grid_points({"a": {"value": 1}, "b": {"values": [1, 2]}}) == [{"b": 1}, {"b": 2}]


def test_dry_run_description_shows_space_and_first_optuna_suggestions(tmp_path):
    config = write(tmp_path, "method: optuna\nrun_cap: 6\nparameters:\n  base_model: {value: m}\n"
                   "  loss: {values: [MultipleNegativesRankingLoss, TripletLoss]}\n  margin: {values: [1.0, 5.0]}\n"
                   "  learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1e-3}\n")
    lines = plan_trials(config).describe(config)
    assert lines[0] == "method: optuna (tpe sampler), trials: 6, max concurrent: as the cluster fits"
    assert "  learning_rate: log_uniform_values(1e-05, 0.001)" in lines
    assert lines.index("first suggestions (5 of 6):") == len(lines) - 6
    assert lines == plan_trials(config).describe(config)  # seeded: the same suggestions every time


@pytest.mark.parametrize("kind, expected", [
    ("asha", "AsyncHyperBandScheduler"), ("hyperband", "AsyncHyperBandScheduler"), ("median", "MedianStoppingRule")])
def test_early_terminate_builds_a_scheduler_on_evaluations(tmp_path, kind, expected):
    from sweeps.planning.trial_plan import scheduler_for

    config = write(tmp_path, f"evaluations_per_trial: 4\nearly_terminate: {{type: {kind}, grace_period: 1}}\n"
                   "parameters:\n  base_model: {value: m}\n")
    scheduler = scheduler_for(config)
    assert type(scheduler).__name__ == expected and scheduler._time_attr == "evaluation"


def test_the_grid_sampler_counts_every_combination(tmp_path):
    config = write(tmp_path, "method: optuna\nsampler: grid\nparameters:\n  base_model: {value: m}\n"
                   "  learning_rate: {values: [1e-5, 1e-4, 1e-3]}\n  per_device_train_batch_size: {values: [16, 32]}\n")
    assert plan_trials(config).num_samples == 6


def test_wandb_step_distributions_draw_multiples_of_q_within_the_ends():
    import random

    from search_spaces.space import sample

    batch = {"distribution": "q_log_uniform_values", "min": 8, "max": 64, "q": 8}
    warmup = {"distribution": "q_uniform", "min": 0.0, "max": 0.2, "q": 0.05}
    rng = random.Random(0)
    batches = {sample(batch, rng) for _ in range(400)}
    assert batches <= {8, 16, 24, 32, 40, 48, 56, 64} and len(batches) >= 6 and all(isinstance(b, int) for b in batches)
    warmups = {sample(warmup, rng) for _ in range(400)}
    assert warmups == {0.0, 0.05, 0.1, 0.15, 0.2}
    # The same grids through Optuna (TPE, random): its draws are decoded onto them
    space = OptunaSpace({"base_model": {"value": "m"}, "per_device_train_batch_size": batch, "warmup_ratio": warmup})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    drawn = [space(study.ask()) for _ in range(60)]
    assert {config["per_device_train_batch_size"] for config in drawn} <= {8, 16, 24, 32, 40, 48, 56, 64}
    assert {round(config["warmup_ratio"], 9) for config in drawn} <= {0.0, 0.05, 0.1, 0.15, 0.2}


def test_no_trial_starts_once_the_target_is_reached_and_that_survives_a_restore(tmp_path):
    from ray.tune.search import Searcher

    from sweeps.search.planned_searcher import PlannedSearcher
    from sweeps.search.stop_at_target import StopAtTarget

    def limiter():
        return StopAtTarget(PlannedSearcher([{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}], "ndcg_at_10", "max"), 2, target=0.8)

    searcher = limiter()
    assert searcher.suggest("t1") == {"a": 1} and searcher.suggest("t2") == {"a": 2}
    searcher.on_trial_result("t1", {"ndcg_at_10": 0.5})
    searcher.on_trial_complete("t1", {"ndcg_at_10": 0.6})
    assert searcher.suggest("t3") == {"a": 3}
    searcher.on_trial_result("t2", {"ndcg_at_10": float("nan")})
    searcher.on_trial_result("t2", {"ndcg_at_10": 0.81})
    assert searcher.reached_by == "t2" and searcher.suggest("t4") == Searcher.FINISHED
    searcher.save(str(tmp_path / "state.pkl"))
    restored = limiter()
    restored.restore(str(tmp_path / "state.pkl"))
    assert restored.reached_by == "t2" and restored.suggest("t4") == Searcher.FINISHED
    assert restored.searcher.handed_out == 3  # the inner searcher's own state came back too


def test_the_target_line_names_the_first_trial_to_reach_it(tmp_path):
    from types import SimpleNamespace

    import pandas as pd

    from sweeps.reports.target import target_line

    config = write(tmp_path, "method: random\nrun_cap: 5\nmetric: {name: ndcg@10, target: 0.8}\nparameters:\n  base_model: {value: m}\n"
                   "  learning_rate: {distribution: log_uniform_values, min: 1e-5, max: 1e-3}\n")
    results = [SimpleNamespace(metrics={"trial_id": trial}, metrics_dataframe=pd.DataFrame({"ndcg_at_10": values, "timestamp": times}))
               for trial, values, times in (("a", [0.5, 0.85], [10, 20]), ("b", [0.81, 0.9], [15, 25]), ("c", [0.4], [30]))]
    assert target_line(results, config, 5) == ("target: eval ndcg_at_10 0.8 reached by trial b (0.81); no trial started after it, "
                                               "3 of 5 planned trials ran")
    assert target_line(results[2:], config, 5) == "target: eval ndcg_at_10 0.8 not reached in 1 trials"
