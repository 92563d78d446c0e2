from types import SimpleNamespace

import pytest

from sweeps.reports.compute_plot import compute_curve, plot_compute


def result(trial, ended, seconds, value, final=True, error=None, outcome=None):
    metrics = {"trial_id": trial, "timestamp": ended, "time_total_s": seconds, "ndcg_at_10": value, "final": final}
    if outcome:
        metrics["outcome"] = outcome
    return SimpleNamespace(metrics=metrics, error=error)


RESULTS = [result("c", 30, 10.0, 0.70), result("a", 10, 20.0, 0.60), result("b", 20, 5.0, 0.90, final=False),  # stopped early
           result("d", 40, 10.0, float("nan"), outcome="collapsed"), result("e", 50, 10.0, 0.65)]


def test_the_curve_follows_the_order_trials_ended_and_counts_compute_without_a_figure():
    assert compute_curve(RESULTS, "ndcg_at_10", "max", 0.5) == [
        (10.0, 0.60, "a"), (12.5, 0.60, "b"), (17.5, 0.70, "c"), (22.5, 0.70, "d"), (27.5, 0.70, "e")]
    assert [best for _, best, _ in compute_curve(RESULTS, "ndcg_at_10", "min", 1.0)] == [0.60, 0.60, 0.60, 0.60, 0.60]


def test_the_picture_is_drawn_with_the_budget_and_the_stop_and_not_without_a_finished_trial(tmp_path):
    path = plot_compute(RESULTS, "ndcg_at_10", "max", 1.0, 0.01, "the budget", tmp_path)
    assert path == tmp_path / "compute.png" and path.stat().st_size > 10_000
    assert plot_compute([result("b", 20, 5.0, 0.9, final=False)], "ndcg_at_10", "max", 1.0, None, None, tmp_path / "x") is None


@pytest.mark.parametrize("weight", [0.25, 2.0])
def test_fractional_and_multi_gpu_trials_scale_the_seconds(weight):
    assert compute_curve(RESULTS[:1], "ndcg_at_10", "max", weight)[0][0] == 10.0 * weight
