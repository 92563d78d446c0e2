"""A sweep that stops on its compute budget: the real CLI, a real local Ray cluster, the tiny BERT."""

import re

import pytest
from mlflow.tracking import MlflowClient
from subprocess_cli import run_module
from sweep_files import small_sweep, write_sweep
from sweep_runs import children_of


@pytest.mark.sweep
def test_a_sweep_stops_starting_trials_at_its_budget_and_says_so(tmp_path, tiny_model_dir):
    """0.0001 trial-hours is 0.36 s: the first trial starts (nothing has ended, so nothing is expected to cost), and
    once it has ended the next one would pass the budget, so none of the other four starts."""
    sweep = small_sweep("budget", tiny_model_dir, [1e-5, 3e-5, 1e-4, 3e-4, 1e-3], budget={"trial_hours": 0.0001})
    done = run_module("sweeps.run", write_sweep(tmp_path / "budget.yaml", sweep), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(text for text in done.stdout.splitlines() if text.startswith("budget: "))
    match = re.fullmatch(r"budget: ([0-9.e-]+) of 0.0001 trial-hours used by 1 trials; the next would have taken about "
                         r"([0-9.e-]+) more, so 4 of 5 planned trials did not start", line)
    assert match, line
    _, parent, children = children_of(tmp_path / "mlflow.db", "budget")
    trials = [run for run in children if run.data.tags.get("sweeps.role") == "trial"]
    assert len(trials) == 1 and trials[0].info.status == "FINISHED"
    assert parent.data.tags["sweeps.budget"] == line and parent.data.params["budget_trial_hours"] == "0.0001"
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert "search/compute.png" in {artifact.path for artifact in client.list_artifacts(parent.info.run_id, "search")}
    used = parent.data.metrics["trial_hours_used"]
    assert used == pytest.approx(float(match.group(1)), rel=0.01) and used > 0.0001  # one trial's time, over the budget
