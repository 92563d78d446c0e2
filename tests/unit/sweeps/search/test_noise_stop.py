"""`stop_when: noise` on synthetic searches: a learning-rate curve whose peak is known, figures with known errors."""

import math
import random

import pytest

from sweeps.search.noise_rule import MIN_TRIALS, Finished, noise_verdict

SPACE = {"learning_rate": {"distribution": "log_uniform_values", "min": 1e-6, "max": 1e-3}}


def distributions():
    from search_spaces.space import optuna_distributions

    return optuna_distributions(SPACE)


def curve(learning_rate: float) -> float:
    """NDCG against the learning rate: a peak of 0.70 at 5e-5, lower on both sides."""
    return 0.70 - 0.05 * (math.log10(learning_rate) + 4.3) ** 2


def search(error: float, trials: int, seed: int = 0, rates=None) -> list:
    """The verdict after each finished trial of a random search on the curve, each figure with `error`."""
    rng = random.Random(seed)
    finished, verdicts = [], []
    for index in range(trials):
        rate = rates[index] if rates else 10 ** rng.uniform(-6, -3)
        finished.append(Finished({"learning_rate": rate}, curve(rate) + rng.gauss(0, error / 2), error))
        verdicts.append(noise_verdict(finished, distributions(), maximize=True))
    return verdicts


def test_nothing_is_judged_before_min_trials_have_finished():
    verdicts = search(error=1.0, trials=MIN_TRIALS)
    assert verdicts[:MIN_TRIALS - 1] == [None] * (MIN_TRIALS - 1)
    assert verdicts[-1].stop  # an error of a whole point: nothing a further trial could gain would show


def test_figures_known_to_a_hundredth_of_a_point_never_stop_a_search_that_can_still_gain():
    verdicts = search(error=1e-4, trials=15)
    assert not any(verdict.stop for verdict in verdicts if verdict is not None)
    assert all(verdict.possible_gain > verdict.error for verdict in verdicts[MIN_TRIALS - 1:])


def test_a_search_that_has_not_reached_the_peak_goes_on_and_one_that_sits_on_it_stops():
    """Five trials on the curve's low slope (1e-6 to 3e-6) leave a gain of several points possible; five around the
    peak leave less than a noisy evaluation's error."""
    low = search(error=0.01, trials=5, rates=[1e-6, 1.4e-6, 1.8e-6, 2.4e-6, 3e-6])[-1]
    assert not low.stop and low.possible_gain > 0.01
    peak = search(error=0.01, trials=5, rates=[3e-5, 4e-5, 5e-5, 6e-5, 7e-5])[-1]
    assert peak.stop and peak.possible_gain < 0.01 and peak.best.value == pytest.approx(0.70, abs=0.02)


def test_a_minimised_metric_is_bounded_the_other_way():
    finished = [Finished({"learning_rate": rate}, -curve(rate), 0.01) for rate in (3e-5, 4e-5, 5e-5, 6e-5, 7e-5)]
    verdict = noise_verdict(finished, distributions(), maximize=False)
    assert verdict.best.value == pytest.approx(-0.70, abs=1e-3) and verdict.stop


def test_the_searcher_starts_no_trial_once_the_rule_says_so_records_why_and_keeps_it_on_resume(tmp_path):
    from mlflow.tracking import MlflowClient
    from ray.tune.search import Searcher

    from sweeps.search.noise_stop import NoiseStop
    from sweeps.search.planned_searcher import PlannedSearcher
    from trainables.contract.context import SweepTracking

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.create_experiment("noise")
    parent = client.create_run(experiment).info.run_id
    tracking = SweepTracking(f"sqlite:///{tmp_path}/mlflow.db", experiment, parent, "noise")
    rates = [3e-5, 4e-5, 5e-5, 6e-5, 7e-5, 4.5e-5, 1e-6]

    def limiter():
        return NoiseStop(PlannedSearcher([{"learning_rate": rate} for rate in rates], "ndcg_at_10", "max"), 1, SPACE, tracking, 0)

    searcher = limiter()
    for index in range(5):
        trial = f"t{index}"
        assert searcher.suggest(trial) == {"learning_rate": rates[index]}
        result = {"ndcg_at_10": curve(rates[index]), "final": True, "eval_error": 0.01}
        if index == 1:
            result = {"ndcg_at_10": 0.9}  # stopped early by the scheduler: not a finished figure
        searcher.on_trial_complete(trial, result)
    assert searcher.stopped is None and len(searcher.finished) == 4  # four finished figures: not judged yet
    assert searcher.suggest("t5") == {"learning_rate": 4.5e-5}
    searcher.on_trial_complete("t5", {"ndcg_at_10": curve(4.5e-5), "final": True, "eval_error": 0.01})
    assert searcher.suggest("t6") == Searcher.FINISHED
    line = client.get_run(parent).data.tags["sweeps.noise_stop"]
    assert line == searcher.stopped and line.startswith("stop_when noise: after 5 finished trials a further one could gain at most ")
    assert "less than the best's own error 0.0100" in line
    searcher.save(str(tmp_path / "state.pkl"))
    restored = limiter()
    restored.restore(str(tmp_path / "state.pkl"))
    assert restored.stopped == line and restored.suggest("t6") == Searcher.FINISHED and len(restored.finished) == 5
