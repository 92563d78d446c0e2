from types import SimpleNamespace

import pytest

from sweeps.search.trial_hours import TrialHours, trial_weight
from sweeps.sweep_file.loading import load_sweep_file


@pytest.mark.parametrize("workers, gpus_per_worker, weight", [(1, 0.5, 0.5), (1, 0.25, 0.25), (2, 1, 2.0), (1, 0, 1.0), (4, 0, 1.0)])
def test_a_trial_counts_its_gpus_and_a_trial_without_gpus_counts_one(workers, gpus_per_worker, weight):
    assert trial_weight(workers, gpus_per_worker) == weight


def test_trials_start_until_the_next_would_pass_the_budget_counting_fractional_gpus():
    hours = TrialHours(budget_hours=1.0, weight=0.5)  # two trials share a GPU: an hour of one counts half
    for trial in ("a", "b"):
        hours.started(trial)
    assert hours.room_for_one_more()  # nothing has ended: nothing to expect yet
    hours.ran("a", 1800)
    hours.end("a")  # 0.25 trial-hours
    hours.ran("b", 900)  # running: expected to cost at least a typical trial
    assert hours.typical_hours() == pytest.approx(0.25) and hours.committed_hours() == pytest.approx(0.5)
    assert hours.room_for_one_more()  # 0.5 + 0.25 <= 1
    hours.started("c")
    assert hours.committed_hours() == pytest.approx(0.75) and hours.room_for_one_more()  # 0.75 + 0.25 reaches 1, doesn't pass it
    hours.started("d")
    assert not hours.room_for_one_more()
    assert hours.used_hours() == pytest.approx((1800 + 900) * 0.5 / 3600)


def test_a_restarted_trial_keeps_its_time_and_a_stale_report_does_not_lower_it():
    hours = TrialHours(budget_hours=1.0, weight=1.0)
    hours.ran("a", 600)
    hours.ran("a", 300)  # a late report of an earlier attempt
    hours.ran("a", None)
    assert hours.seconds["a"] == 600


def test_no_trial_starts_once_the_budget_is_spent_and_the_count_survives_a_restore(tmp_path):
    from ray.tune.search import Searcher

    from sweeps.search.budget_limiter import BudgetLimiter
    from sweeps.search.planned_searcher import PlannedSearcher

    def limiter():
        return BudgetLimiter(PlannedSearcher([{"a": n} for n in range(6)], "ndcg_at_10", "max"), 2, TrialHours(0.5, 1.0))

    searcher = limiter()
    assert searcher.suggest("t1") == {"a": 0} and searcher.suggest("t2") == {"a": 1}
    searcher.on_trial_result("t1", {"ndcg_at_10": 0.5, "time_total_s": 300.0})
    searcher.on_trial_complete("t1", {"ndcg_at_10": 0.6, "time_total_s": 600.0})  # 1/6 h; t2 is expected to cost as much
    assert searcher.suggest("t3") == {"a": 2}  # 1/6 + 1/6 committed, + 1/6 for t3: 0.5
    searcher.on_trial_complete("t2", {"time_total_s": 600.0})
    assert searcher.suggest("t4") == Searcher.FINISHED  # 1/3 used, t3 expected at 1/6: no room for a fourth
    searcher.save(str(tmp_path / "state.pkl"))
    restored = limiter()
    restored.restore(str(tmp_path / "state.pkl"))
    assert restored.hours.seconds == {"t1": 600.0, "t2": 600.0, "t3": 0.0} and restored.suggest("t4") == Searcher.FINISHED
    assert restored.searcher.handed_out == 3  # the inner searcher's own state came back too


def test_a_budget_with_a_target_limits_both(tmp_path):
    from ray.tune.search import Searcher

    from sweeps.planning.trial_plan import plan_trials, search_algorithm
    from sweeps.search.budget_limiter import BudgetLimiter
    from sweeps.search.stop_at_target import StopAtTarget

    path = tmp_path / "s.yaml"
    path.write_text("name: g\ndata: {source: x.jsonl}\nbudget: {trial_hours: 2}\nmetric: {name: ndcg@10, target: 0.9}\n"
                    "parameters:\n  base_model: {value: m}\n  learning_rate: {values: [1e-5, 1e-4, 1e-3]}\n")
    config = load_sweep_file(path)
    searcher = search_algorithm(config, plan_trials(config), 1, trial_weight=0.5)
    assert isinstance(searcher, BudgetLimiter) and isinstance(searcher.searcher, StopAtTarget)
    assert searcher.hours.budget_hours == 2 and searcher.hours.weight == 0.5
    searcher.set_search_properties("ndcg_at_10", "max", {})
    assert searcher.suggest("t1")["learning_rate"] == 1e-5
    searcher.on_trial_complete("t1", {"ndcg_at_10": 0.95, "time_total_s": 60.0})
    assert searcher.suggest("t2") == Searcher.FINISHED  # the target, not the budget


def test_the_budget_line_says_what_was_used_and_what_did_not_start(tmp_path):
    from sweeps.reports.budget import budget_use

    path = tmp_path / "s.yaml"
    path.write_text("name: g\ndata: {source: x.jsonl}\nbudget: {trial_hours: 0.01}\nparameters:\n  base_model: {value: m}\n")
    config = load_sweep_file(path)
    results = [SimpleNamespace(metrics={"trial_id": trial, "time_total_s": seconds}) for trial, seconds in (("a", 15.0), ("b", 21.0))]
    line, used, stopped = budget_use(results, config, 5, 1.0)
    assert stopped
    assert used == pytest.approx(36 / 3600)
    assert line == "budget: 0.01 of 0.01 trial-hours used by 2 trials; the next would have taken about 0.005 more, so 3 of 5 planned trials did not start"
    assert budget_use(results, config, 2, 1.0).line.endswith("all 2 planned trials ran")
    assert not budget_use(results, config, 2, 1.0).stopped
