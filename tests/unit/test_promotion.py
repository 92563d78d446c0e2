"""Promotion guards on a real sqlite MLflow store with hand-made runs (no training, no Ray)."""

import pytest
from mlflow.tracking import MlflowClient

from sweeps.promotion.decision import PromotionError, decide


@pytest.fixture
def store(tmp_path):
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.create_experiment("e", artifact_location=str(tmp_path / "artifacts"))
    parent = client.create_run(experiment, run_name="sw", tags={
        "sweeps.role": "sweep", "sweeps.metric": "ndcg_at_10", "sweeps.goal": "maximize",
        "sweeps.registered_model": "m", "sweeps.alias": "champion"}).info.run_id

    def trial(name, best, test, status="FINISHED", stopped=False, model=True, fingerprint="f1"):
        tags = {"mlflow.parentRunId": parent, "sweeps.role": "trial", "sweeps.data_fingerprint": fingerprint}
        if stopped:
            tags["sweeps.outcome"] = "stopped_early"
        if model:
            tags["sweeps.model_logged"] = "true"
        run_id = client.create_run(experiment, run_name=name, tags=tags).info.run_id
        client.log_metric(run_id, "best_ndcg_at_10", best)
        client.log_metric(run_id, "test_ndcg_at_10", test)
        if status != "RUNNING":
            client.set_terminated(run_id, status)
        return run_id

    return client, trial


def test_the_best_finished_trial_is_picked_never_a_failed_running_or_stopped_one(store):
    client, trial = store
    trial("failed", 0.99, 0.99, status="FAILED")
    trial("running", 0.98, 0.98, status="RUNNING")
    trial("stopped", 0.97, 0.97, status="KILLED", stopped=True)
    trial("good", 0.70, 0.72)
    trial("weaker", 0.60, 0.90)  # a better test score never picks a trial: eval picks, test guards
    decision = decide(client, "sw")
    assert decision.action == "register" and decision.candidate.info.run_name == "good"
    assert decision.tags["sweeps.trial"] == "good" and decision.tags["metric.test_ndcg_at_10"] == "0.72"


def test_a_best_trial_without_a_logged_model_is_refused(store):
    client, trial = store
    trial("good", 0.70, 0.72, model=False)
    decision = decide(client, "sw")
    assert decision.action == "refuse" and "has no logged model" in decision.reason


def test_no_finished_trial_and_unknown_sweeps_are_bad_input(store):
    client, trial = store
    trial("failed", 0.9, 0.9, status="FAILED")
    with pytest.raises(PromotionError, match=r"must have a FINISHED trial to promote, but got \['failed=FAILED'\]"):
        decide(client, "sw")
    with pytest.raises(PromotionError, match=r"sweeps here: \['sw'\]\), but got 'sx'"):
        decide(client, "sx")


def test_a_candidate_is_compared_with_the_champion_on_the_same_test_data(store, monkeypatch):
    from types import SimpleNamespace

    import sweeps.promotion.decision as promotion

    client, trial = store
    trial("good", 0.70, 0.72)
    # The champion's version as the registry returns it (registering needs a real model: see the integration test).
    champion = SimpleNamespace(version="3", run_id="other", tags={"metric.test_ndcg_at_10": "0.80", "sweeps.data_fingerprint": "f1"})
    monkeypatch.setattr(promotion, "_version_by_alias", lambda *_: champion)
    refused = decide(client, "sw")
    assert refused.action == "refuse"
    assert refused.reason == "good test_ndcg_at_10=0.7200 is not better than the champion's (version 3) 0.8000 on the same test data; --force to promote anyway"
    forced = decide(client, "sw", force=True)
    assert forced.action == "register" and forced.tags["sweeps.forced"].startswith("true: good test_ndcg_at_10=0.7200")
    champion.tags["sweeps.data_fingerprint"] = "f0"
    other_data = decide(client, "sw")
    assert other_data.action == "refuse" and "was tested on other data (fingerprint f0 vs f1)" in other_data.reason
    champion.run_id = refused.candidate.info.run_id
    assert decide(client, "sw").action == "no-op"
