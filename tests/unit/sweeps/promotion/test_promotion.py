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

    def trial(name, best, test, status="FINISHED", stopped=False, model=True, fingerprint="f1", trial_id=None, role="trial", encoding=None,
              sequence=None):
        tags = {"mlflow.parentRunId": parent, "sweeps.role": role, "sweeps.data_fingerprint": fingerprint, "sweeps.trial_id": trial_id or name}
        if sequence is not None:
            tags["sweeps.sequence"] = str(sequence)
        if encoding:
            tags["sweeps.encoding"] = encoding
        if stopped:
            tags["sweeps.outcome"] = "stopped_early"
        if model and role in ("trial", "soup"):
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


def per_query(client, run_id, test: dict, eval_: dict | None = None):
    client.log_dict(run_id, {"ndcg_at_10": test}, "per_query/test.json")
    client.log_dict(run_id, {"ndcg_at_10": eval_ or test}, "per_query/eval.json")


def test_tied_trials_are_ranked_the_same_way_by_the_keeper_the_leaderboard_and_promotion(store, tmp_path):
    from types import SimpleNamespace

    from sweeps.reports.leaderboard import leaderboard_rows
    from sweeps.running.model_keeper import ModelKeeper
    from trainables.storage import Storage

    client, trial = store
    # Tune's trial ids are random: the first created (sequence 0) has the greater id here, and still wins the tie.
    later = trial("tied-b", 0.80, 0.81, model=False, trial_id="0a3f9c1e", sequence=1)
    first = trial("tied-a", 0.80, 0.79, trial_id="b7c1d2e4", sequence=0)
    keeper = ModelKeeper(1, "best_ndcg_at_10", "max", Storage.at(str(tmp_path)))
    for trial_id in ("b7c1d2e4", "0a3f9c1e"):  # started in the order they were created
        keeper.on_trial_start(0, [], SimpleNamespace(trial_id=trial_id))
    for trial_id in ("0a3f9c1e", "b7c1d2e4"):  # the later one finished first
        keeper.on_trial_complete(0, [], SimpleNamespace(trial_id=trial_id, last_result={"final": True, "best_ndcg_at_10": 0.80}))
    children = [client.get_run(run_id) for run_id in (later, first)]
    assert keeper.kept() == ["b7c1d2e4"]
    assert leaderboard_rows(children, "ndcg_at_10", "max")[0]["run"] == "tied-a"
    decision = decide(client, "sw")
    assert decision.action == "register" and decision.candidate.info.run_name == "tied-a"


def test_a_best_trial_without_a_logged_model_is_refused_with_the_real_cause(store):
    client, trial = store
    trial("good", 0.70, 0.72, model=False)
    trial("other", 0.60, 0.62)
    parent = decide.__globals__["find_sweep"](client, "sw")
    client.set_terminated(parent.info.run_id, "FINISHED")
    assert decide(client, "sw").reason == "the best trial good has no logged model: the sweep logged models for ['other']"
    client.log_param(parent.info.run_id, "keep_models", "0")
    assert decide(client, "sw").reason.endswith("the sweep kept no models (keep_models: 0)")


def test_a_trial_that_does_not_beat_its_own_baseline_is_refused_unless_forced(store):
    client, trial = store
    trial("tuned", 0.70, 0.70, encoding="minilm@128")
    trial("baseline-minilm", 0.82, 0.825, role="baseline", encoding="minilm@128")
    trial("baseline-other", 0.10, 0.10, role="baseline", encoding="other@128")  # not this trial's: never compared
    refused = decide(client, "sw")
    assert refused.action == "refuse" and refused.reason == (
        "tuned test_ndcg_at_10=0.7000 does not beat its untrained baseline (baseline-minilm) 0.8250: fine-tuning did not help; "
        "--force to promote anyway")
    forced = decide(client, "sw", force=True)
    assert forced.action == "register" and forced.tags["sweeps.forced"].startswith("true: tuned test_ndcg_at_10=0.7000 does not beat")


def test_a_point_ahead_of_the_baseline_inside_the_noise_is_no_win(store):
    """Beating the untrained model is judged as beating a champion is: a paired test at alpha over the same test queries."""
    client, trial = store
    tuned = trial("tuned", 0.84, 0.8467, encoding="minilm@128")
    baseline = trial("baseline-minilm", 0.83, 0.8333, role="baseline", encoding="minilm@128")
    per_query(client, tuned, {f"q{i}": score for i, score in enumerate([0.9, 0.7, 0.94] * 10)})
    per_query(client, baseline, {f"q{i}": score for i, score in enumerate([0.7, 0.9, 0.9] * 10)})
    refused = decide(client, "sw")
    assert refused.action == "refuse", refused.reason
    assert refused.reason.startswith("tuned test_ndcg_at_10=0.8467 is not significantly better than its untrained baseline "
                                     "(baseline-minilm) 0.8333 (p=") and "paired randomization test over the same 30 test queries" in refused.reason
    # Far ahead on every query: a win the test can see.
    per_query(client, tuned, {f"q{i}": score for i, score in enumerate([0.95, 0.97, 0.99] * 10)})
    assert decide(client, "sw").action == "register"


def test_a_candidate_better_inside_the_noise_is_refused_with_its_p_value(store, monkeypatch):
    from types import SimpleNamespace

    import sweeps.promotion.decision as promotion

    client, trial = store
    queries = [f"q{index}" for index in range(40)]
    champion_run = trial("old", 0.70, 0.700)
    per_query(client, champion_run, {q: (0.9 if index % 3 else 0.5) for index, q in enumerate(queries)})
    candidate = trial("new", 0.71, 0.705)
    per_query(client, candidate, {q: (0.9 if index % 3 else 0.5) + (0.1 if index % 2 == 0 else -0.09) for index, q in enumerate(queries)})
    champion = SimpleNamespace(version="1", run_id=champion_run, tags={"metric.test_ndcg_at_10": "0.700", "sweeps.data_fingerprint": "f1"})
    monkeypatch.setattr(promotion, "_version_by_alias", lambda *_: champion)
    client.delete_tag(champion_run, "sweeps.model_logged")  # only `new` can be the candidate
    refused = decide(client, "sw")
    assert refused.action == "refuse" and "is not significantly better than the champion's (version 1) 0.7000 (p=" in refused.reason
    assert "paired randomization test over the same 40 test queries; alpha 0.05)" in refused.reason
    assert decide(client, "sw", alpha=0.99).action == "register"


def test_the_leaderboard_marks_runs_it_cannot_tell_from_the_best(store):
    from sweeps.reports.leaderboard import fine_tuning_hurt, leaderboard_rows, mark_the_noise

    client, trial = store
    queries = [f"q{index}" for index in range(60)]
    best = trial("best", 0.80, 0.8)
    per_query(client, best, {q: 0.8 + (0.1 if index % 2 else -0.1) for index, q in enumerate(queries)})
    close = trial("close", 0.79, 0.79)
    per_query(client, close, {q: 0.8 + (0.1 if index % 3 else -0.1) for index, q in enumerate(queries)})
    far = trial("far", 0.30, 0.3)
    per_query(client, far, {q: 0.3 for q in queries})
    parent = decide.__globals__["find_sweep"](client, "sw")
    children = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    rows = mark_the_noise(leaderboard_rows(children, "ndcg_at_10", "max"), client, "ndcg_at_10", 0.05)
    marks = {row["run"]: row.get("vs_best", "") for row in rows}
    assert marks["best"] == "best" and marks["close"].startswith("≈ p=") and marks["far"].startswith("worse p=0.000")
    assert fine_tuning_hurt(rows, "ndcg_at_10", "max") is None  # no baseline here to compare with


def test_a_guard_drop_is_the_baseline_minus_the_trial_and_over_its_limit_it_says_why():
    from trainables.contract.trial_data import GuardSet
    from trainables.guard_drops import guard_drops

    guards = (GuardSet("general", {}, "ndcg_at_10", max_drop=0.02), GuardSet("sts", {}, "spearman_cosine"))
    baseline = {"guard_general_ndcg_at_10": 0.60, "guard_sts_spearman_cosine": 0.80}
    drops, over = guard_drops(guards, {"guard_general_ndcg_at_10": 0.55, "guard_sts_spearman_cosine": 0.70}, baseline)
    assert drops == pytest.approx({"guard_general_drop": 0.05, "guard_sts_drop": 0.10})
    assert over == ["guard general ndcg_at_10 dropped 0.0500 (from 0.6000 untrained to 0.5500), over its max_drop 0.02"]  # sts: no limit
    assert guard_drops(guards, {"guard_general_ndcg_at_10": 0.61}, baseline) == ({"guard_general_drop": pytest.approx(-0.01)}, [])
    assert guard_drops(guards, {"guard_general_ndcg_at_10": 0.61}, {}) == ({}, [])  # no baseline (baselines: false): no drop


def test_the_keeper_keeps_models_within_the_guards_first():
    from sweeps.running.model_keeper import ModelKeeper

    keeper = ModelKeeper(1, "best_ndcg_at_10", "max")
    keeper.finished.update({"forgetful": 0.8, "careful": 0.7})
    assert keeper.kept() == ["forgetful"]
    keeper.over_a_guard.add("forgetful")
    assert keeper.kept() == ["careful"]


def test_promotion_passes_over_a_trial_that_forgot_too_much(store):
    """The best trial on its domain is over a guard's limit: passed over with one line, the next is promoted; with every
    trial over a limit promotion refuses unless forced, and the force is recorded on the version."""
    client, trial = store
    reason = "guard general ndcg_at_10 dropped 0.0500 (from 0.6000 untrained to 0.5500), over its max_drop 0.02"
    forgetful, careful = trial("forgetful", 0.80, 0.80), trial("careful", 0.70, 0.72)
    client.set_tag(forgetful, "sweeps.guard_exceeded", reason)
    decision = decide(client, "sw")
    assert decision.action == "register" and decision.candidate.info.run_name == "careful"
    assert decision.passed_over == [f"forgetful: {reason}"]
    client.set_tag(careful, "sweeps.guard_exceeded", "guard general ndcg_at_10 dropped 0.0300, over its max_drop 0.02")
    refused = decide(client, "sw")
    assert refused.action == "refuse" and refused.reason == (f"every finished trial is over a guard's max_drop (the best, {reason}); "
                                                             "--force to promote the best anyway")
    assert len(refused.passed_over) == 2
    forced = decide(client, "sw", force=True)
    assert forced.action == "register" and forced.candidate.info.run_name == "forgetful"
    assert forced.tags["sweeps.forced"].startswith("true: every finished trial is over a guard's max_drop")


def test_the_soup_ranks_with_the_trials_a_tie_goes_to_the_trial_and_run_names_it(store):
    client, trial = store
    trial("best-trial", 0.80, 0.80, sequence=0)
    trial("other", 0.70, 0.75, sequence=1)
    soup = trial("soup-greedy", 0.80, 0.81, role="soup", trial_id="soup", sequence=2)  # after the trials: a tie is the trial's
    client.set_tag(soup, "sweeps.soup_vs_best", "≈ best trial best-trial (+0.0000, p=1.00)")
    assert decide(client, "sw").candidate.info.run_name == "best-trial"
    client.log_metric(soup, "best_ndcg_at_10", 0.85)
    assert decide(client, "sw").candidate.info.run_name == "soup-greedy"
    named = decide(client, "sw", run="other")
    assert named.action == "register" and named.candidate.info.run_name == "other" and named.tags["sweeps.trial"] == "other"
    with pytest.raises(PromotionError, match=r"`--run` must name a finished trial or soup of sweep 'sw' \(soup-greedy, best-trial, other\), "
                                             r"but got 'soup-gredy' \(did you mean `soup-greedy`\?\)"):
        decide(client, "sw", run="soup-gredy")

    from io import StringIO

    from rich.console import Console

    from sweeps.reports.leaderboard import leaderboard_rows, mark_the_noise, print_leaderboard

    client.log_param(soup, "soup_ingredients", "best-trial,other")
    parent = decide.__globals__["find_sweep"](client, "sw")
    children = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    rows = mark_the_noise(leaderboard_rows(children, "ndcg_at_10", "max"), client, "ndcg_at_10", 0.05)
    assert rows[0]["run"] == "soup-greedy" and rows[0]["vs_best"] == "best; ≈ best trial best-trial (+0.0000, p=1.00)"
    console = Console(file=StringIO(), width=250)
    print_leaderboard(console, rows, "ndcg_at_10")
    assert "soup-greedy (2 trials)" in console.file.getvalue()
