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
