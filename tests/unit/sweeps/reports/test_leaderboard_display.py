"""The leaderboard a person reads: parameters at 4 significant digits, never cut mid-number."""

from rich.console import Console

from sweeps.reports.leaderboard import print_leaderboard, shown_parameter


def test_parameters_are_shown_at_four_significant_digits():
    assert shown_parameter("2.3578730726467393e-05") == "2.358e-05"
    assert shown_parameter("0.00046225890010208") == "0.0004623"
    assert [shown_parameter(value) for value in ("16", "0.1", "2e-05", "MultipleNegativesRankingLoss")] == [
        "16", "0.1", "2e-05", "MultipleNegativesRankingLoss"]
    assert shown_parameter("x" * 50) == "…" + "x" * 39


def test_the_printed_leaderboard_shows_the_short_form():
    rows = [{"run": f"demo-{index}", "role": "trial", "status": "FINISHED", "params": {"learning_rate": rate}, "ndcg_at_10": score}
            for index, (rate, score) in enumerate([("2.3578730726467393e-05", 0.81234), ("0.00031622776601683794", 0.79)])]
    console = Console(record=True, width=200)
    print_leaderboard(console, rows, "ndcg_at_10", ("ndcg_at_10",))
    text = console.export_text()
    assert "2.358e-05" in text and "0.0003162" in text and "0.8123" in text
    assert "2.3578730726467393e" not in text


def test_guard_drops_test_intervals_and_trials_over_a_guard_are_shown():
    """The drop columns read the bare guard_<name>_drop each run logs; the test figure has its interval beside it."""
    from types import SimpleNamespace

    from sweeps.reports.leaderboard import guard_lines, leaderboard_columns, leaderboard_rows

    def run(name, role, drop, over=None):
        tags = {"sweeps.role": role, "sweeps.trial_id": name, **({"sweeps.guard_exceeded": over} if over else {})}
        metrics = {"best_ndcg_at_10": 0.8, "test_ndcg_at_10": 0.75, "test_ndcg_at_10_ci_low": 0.7, "test_ndcg_at_10_ci_high": 0.8,
                   "guard_scifact_drop": drop}
        return SimpleNamespace(info=SimpleNamespace(run_name=name, run_id=name, status="FINISHED"),
                               data=SimpleNamespace(metrics=metrics, params={}, tags=tags))

    columns = leaderboard_columns("ndcg_at_10", guards=[SimpleNamespace(name="scifact")])
    over = "guard scifact ndcg_at_10 dropped 0.0310 (0.6450 -> 0.6140), over its max_drop 0.02"
    rows = leaderboard_rows([run("tuned", "trial", 0.031, over), run("baseline", "baseline", 0.0)], "ndcg_at_10", "max", columns)
    assert {row["run"]: row["guard_scifact_drop"] for row in rows} == {"tuned": 0.031, "baseline": 0.0}
    console = Console(record=True, width=250)
    print_leaderboard(console, rows, "ndcg_at_10", columns)
    text = console.export_text()
    assert "0.7500 [0.700, 0.800]" in text and "0.0310" in text and "FINISHED over a guard" in text
    assert guard_lines(rows) == [f"guard: tuned forgot too much: {over}"]


def test_each_workflow_sees_its_headline_figures():
    """From the task table: a triplet-accuracy sweep still shows NDCG@10 (eval and test), a classification sweep its
    label ranking; `metric.also` adds its own."""
    from sweeps.reports.leaderboard import leaderboard_columns
    from trainables.contract.tasks import TASKS

    assert leaderboard_columns("triplet_accuracy", TASKS["retrieval"]) == (
        "triplet_accuracy", "ndcg_at_10", "test_triplet_accuracy", "test_ndcg_at_10")
    assert leaderboard_columns("triplet_accuracy", TASKS["classification"]) == (
        "triplet_accuracy", "knn_accuracy", "recall_at_1", "recall_at_3", "recall_at_5", "mrr_at_10", "test_triplet_accuracy", "test_knn_accuracy")
    assert leaderboard_columns("ndcg_at_10", TASKS["retrieval"], also=("recall_at_1",)) == (
        "ndcg_at_10", "triplet_accuracy", "recall_at_1", "test_ndcg_at_10", "test_triplet_accuracy")
