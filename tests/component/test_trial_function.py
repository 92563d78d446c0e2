"""One trial function, really training a tiny BERT, logging to a real sqlite MLflow (no Ray)."""

from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from sweeps.data.prepare import prepare_data
from sweeps.tracking import SweepRun
from trainables.sentence_transformer_trial import _train, training_arguments
from trainables.trial_run import TrialRun

REPO = Path(__file__).resolve().parents[2]
DATA = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
        "eval_fraction": 0.1, "test_fraction": 0.1, "max_train_rows": 96, "eval_corpus_size": 80, "max_eval_queries": 30}


def start_trial(tmp_path, model_dir, index):
    data = prepare_data(DATA, 42, "sweep.yaml", REPO)
    sweep_run = SweepRun(f"sqlite:///{tmp_path}/mlflow.db", "component", "component")
    sweep = {**sweep_run.context(), "seed": 42, "models": {"tiny": str(model_dir)}, "threads": 2}
    return data, sweep_run, sweep, TrialRun(sweep, f"trial_{index}", f"component-{index}")


def test_training_arguments_evaluate_at_least_twice_and_own_the_logging():
    arguments = training_arguments({"base_model": "m", "per_device_train_batch_size": 16, "learning_rate": 1e-5}, 96, "MultipleNegativesRankingLoss", "/tmp/o", 3)
    assert arguments["eval_steps"] == 3  # 6 steps, two evaluations
    assert arguments["batch_sampler"] == "no_duplicates" and arguments["report_to"] == "none"
    assert "base_model" not in arguments and arguments["seed"] == 3


@pytest.mark.slow
def test_one_trial_trains_reports_and_logs(tmp_path, tiny_model_dir):
    data, sweep_run, sweep, run = start_trial(tmp_path, tiny_model_dir, "00000")
    reports = []
    config = {"base_model": "tiny", "learning_rate": 5e-4, "per_device_train_batch_size": 16, "num_train_epochs": 1}
    _train(config, data, sweep, run, str(tmp_path / "trial"), reports.append)
    run.finish()

    steps = [r["step"] for r in reports if not r.get("final")]
    assert steps == [3, 6]
    final = reports[-1]
    assert final["final"] and 0 <= final["ndcg_at_10"] <= 1 and 0 <= final["test_ndcg_at_10"] <= 1

    client = MlflowClient(sweep["tracking_uri"])
    logged = client.get_run(run.run_id)
    assert logged.info.status == "FINISHED"
    assert logged.data.tags["mlflow.parentRunId"] == sweep_run.run_id
    assert logged.data.params["learning_rate"] == "0.0005" and logged.data.params["loss"] == "MultipleNegativesRankingLoss"
    history = client.get_metric_history(run.run_id, "ndcg_at_10")
    assert [m.step for m in history] == [3, 6]
    assert [m.value for m in history] == [r["ndcg_at_10"] for r in reports if not r.get("final")]
    for key in ("triplet_accuracy", "mrr_at_10", "recall_at_10", "map_at_100", "train_loss", "test_ndcg_at_10", "test_triplet_accuracy"):
        assert key in logged.data.metrics, key
    assert final["train_loss"] > 0


@pytest.mark.slow
def test_a_failing_trial_is_recorded_failed_with_its_error(tmp_path, tiny_model_dir):
    data, _, sweep, run = start_trial(tmp_path, tiny_model_dir, "00001")
    with pytest.raises(Exception):
        try:
            _train({"base_model": "tiny", "lr_scheduler_type": "no-such-schedule"}, data, sweep, run, str(tmp_path / "t"), lambda r: None)
        except Exception as error:
            run.fail(error)
            raise
    logged = MlflowClient(sweep["tracking_uri"]).get_run(run.run_id)
    assert logged.info.status == "FAILED"
    assert "no-such-schedule" in logged.data.tags["sweeps.error"]
    assert mlflow.artifacts.load_text(f"{logged.info.artifact_uri}/error.txt").startswith("Traceback")
