"""The driver's parts that stand alone, without a Ray cluster: the grid's searcher, the model keeper's pruning,
the leaderboard's ranking, and callbacks that survive Tune's pickling as the live ones."""

import pickle
from types import SimpleNamespace

from sweeps.search.planned_searcher import PlannedSearcher
from ray.tune import Checkpoint

from sweeps.reports.leaderboard import leaderboard_rows
from sweeps.running.live_callbacks import register
from sweeps.running.model_keeper import ModelKeeper
from trainables.contract.report_keys import FINAL, OUTCOME, TRAIN_CHECKPOINT_PATH
from trainables.storage import Storage


def test_the_planned_searcher_hands_out_each_config_once_in_order_and_resumes_where_it_was(tmp_path):
    configs = [{"learning_rate": rate} for rate in (1e-5, 1e-4, 1e-3)]
    searcher = PlannedSearcher(configs, "ndcg_at_10", "max")
    first = searcher.suggest("a")
    first["learning_rate"] = 99  # a trial changing its config must not change the plan
    searcher.save(str(tmp_path / "state.pkl"))
    restored = PlannedSearcher([], "ndcg_at_10", "max")
    restored.restore(str(tmp_path / "state.pkl"))
    assert [restored.suggest("b"), restored.suggest("c")] == configs[1:]
    assert restored.suggest("d") == PlannedSearcher.FINISHED
    assert searcher.configs[0] == {"learning_rate": 1e-5}


def trial(trial_id, last_result=None):
    return SimpleNamespace(trial_id=trial_id, last_result=last_result or {})


def test_the_keeper_keeps_the_top_finished_trials_and_every_running_one(tmp_path):
    keeper = ModelKeeper(2, "best_ndcg_at_10", "max", Storage.at(str(tmp_path)))
    scores = {"a": 0.5, "b": 0.9, "c": 0.7, "d": 0.95}
    for trial_id in "abcde":
        (tmp_path / trial_id).mkdir()
        (tmp_path / trial_id / "model.safetensors").write_bytes(b"0" * 100)
        keeper.on_trial_start(0, [], trial(trial_id))
        if trial_id == "e":  # a distributed trial: Ray Train stored its checkpoint, and the trial reports the path
            keeper.on_trial_result(0, [], trial(trial_id), {TRAIN_CHECKPOINT_PATH: str(tmp_path / trial_id)})
        else:
            keeper.on_checkpoint(0, [], trial(trial_id), Checkpoint(str(tmp_path / trial_id)))
            keeper.on_trial_result(0, [], trial(trial_id), {})
    assert keeper.peak_bytes == 500
    for trial_id in "abc":
        keeper.on_trial_complete(0, [], trial(trial_id, {FINAL: True, "best_ndcg_at_10": scores[trial_id]}))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["b", "c", "d", "e"]  # d and e still run
    # d ends with a NaN loss (an outcome, not a result), e fails: neither is kept, whatever it scored
    keeper.on_trial_complete(0, [], trial("d", {FINAL: True, "best_ndcg_at_10": scores["d"], OUTCOME: "nonfinite_loss"}))
    keeper.on_trial_error(0, [], trial("e"))
    assert keeper.kept() == ["b", "c"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["b", "c"]
    assert keeper.peak_bytes == 500


def test_a_minimising_keeper_keeps_the_lowest(tmp_path):
    keeper = ModelKeeper(1, "best_loss", "min", Storage.at(str(tmp_path)))
    for trial_id, value in (("a", 0.3), ("b", 0.1)):
        keeper.on_trial_complete(0, [], trial(trial_id, {FINAL: True, "best_loss": value}))
    assert keeper.kept() == ["b"]


def run(name, status="FINISHED", role="trial", metrics=None, tags=None, params=None):
    return SimpleNamespace(info=SimpleNamespace(run_name=name, run_id=f"id-{name}", status=status),
                           data=SimpleNamespace(metrics=metrics or {}, params=params or {}, tags={"sweeps.role": role, **(tags or {})}))


def test_the_leaderboard_ranks_by_the_kept_checkpoint_and_puts_runs_without_a_score_last():
    children = [
        run("late-peak", metrics={"curves/ndcg_at_10": 0.9, "best_ndcg_at_10": 0.6}),  # its last evaluation is not what it kept
        run("kept-best", metrics={"curves/ndcg_at_10": 0.5, "best_ndcg_at_10": 0.8}),
        run("stopped", status="KILLED", metrics={"curves/ndcg_at_10": 0.7}, tags={"sweeps.outcome": "stopped_early"}),
        run("failed", status="FAILED"),
        # Its storage went away after a good evaluation: it keeps its figure, and never ranks above a sound trial.
        run("failed-high", status="FAILED", metrics={"curves/ndcg_at_10": 0.95}),
        run("baseline-m", role="baseline", metrics={"curves/ndcg_at_10": 0.65, "best_ndcg_at_10": 0.65}),
    ]
    rows = leaderboard_rows(children, "ndcg_at_10", "max")
    assert [(row["run"], row["status"]) for row in rows] == [
        ("kept-best", "FINISHED"), ("stopped", "STOPPED"), ("baseline-m", "FINISHED"), ("late-peak", "FINISHED"), ("failed", "FAILED"),
        ("failed-high", "FAILED")]
    assert rows[-1]["ndcg_at_10"] == 0.95
    assert [row["run"] for row in leaderboard_rows(children, "ndcg_at_10", "min")][:2] == ["late-peak", "baseline-m"]


def test_callbacks_unpickle_as_the_ones_this_process_registered(tmp_path):
    keeper = ModelKeeper(1, "best_ndcg_at_10", "max", Storage.at(str(tmp_path)))
    keeper.finished["a"] = 0.5
    saved = pickle.dumps([keeper])  # what Tune writes into tuner.pkl
    assert b"finished" not in saved  # only the name travels
    live = ModelKeeper(1, "best_ndcg_at_10", "max", Storage.at(str(tmp_path)))
    register(live)
    assert pickle.loads(saved)[0] is live
