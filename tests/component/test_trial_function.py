"""One trial function, really training a tiny BERT, logging to a real sqlite MLflow (no Ray)."""

import dataclasses
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from transformers import TrainerCallback

from sweeps.data.prepare import prepare_data
from sweeps.sweep_file.schema import DataConfig
from sweeps.data.training_sets import training_sets
from sweeps.tracking.parent_run import SweepRun
from trainables import TrialContext, TrialData, WorkerShape, run_trial
from trainables.scratch import sweep_scratch
from trainables.training_arguments import training_arguments

REPO = Path(__file__).resolve().parents[2]
DATA = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
        "eval_fraction": 0.1, "test_fraction": 0.1, "max_train_rows": 96, "eval_corpus_size": 80, "max_eval_queries": 30}


def trial_context(tmp_path, sweep_run: SweepRun, models: dict) -> TrialContext:
    return TrialContext(tracking=sweep_run.tracking(), model_paths=models, seed=42, metric_key="ndcg_at_10", mode="max",
                        evaluations_per_trial=2, workers=WorkerShape(1, 2.0, 0.0, "auto"), storage=str(tmp_path / "storage"),
                        callbacks=(), trust_remote_code=False)


class TuneReports(list):
    """`tune.report` without Ray: each report's metrics, and a copy of its checkpoint where Ray would put it."""

    def __init__(self, storage: Path):
        super().__init__()
        self.storage = storage
        self.checkpoints: list[Path] = []

    def __call__(self, metrics: dict, checkpoint=None) -> None:
        self.append(metrics)
        if checkpoint is not None:
            self.checkpoints.append(Path(checkpoint.to_directory(str(self.storage / f"checkpoint_{len(self.checkpoints):06d}"))))


def trial_data(prepared, parameters: dict) -> TrialData:
    sets, _, problems = training_sets(prepared.train, parameters, 42, "sweep.yaml")
    assert not problems
    return TrialData(sets, prepared.eval, prepared.test, prepared.fingerprint)


def start_trial(tmp_path, model_dir):
    data = trial_data(prepare_data(DataConfig(**DATA), 42, "sweep.yaml", REPO), {})
    sweep_run = SweepRun(f"sqlite:///{tmp_path}/mlflow.db", "component", "component")
    return data, sweep_run, trial_context(tmp_path, sweep_run, {"tiny": str(model_dir)})


def trial_run(sweep_run: SweepRun, trial_id: str):
    """The one child run the trial opened."""
    runs = MlflowClient(sweep_run.tracking_uri).search_runs([sweep_run.experiment_id], f"tags.`sweeps.trial_id` = '{trial_id}'")
    assert len(runs) == 1
    return runs[0]


def train_one(tmp_path, model_dir, index, config):
    """One trial of the tiny model at lr 5e-4 (plus `config`), in this process: what it reported, and its run."""
    data, sweep_run, context = start_trial(tmp_path, model_dir)
    reports = TuneReports(tmp_path / "storage" / f"trial_{index}")
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, **config}, data, context, f"trial_{index}", f"component-{index}", reports)
    return sweep_run, context, trial_run(sweep_run, f"trial_{index}"), reports


def test_training_arguments_evaluate_at_least_twice_and_own_the_logging():
    arguments = training_arguments({"base_model": "m", "per_device_train_batch_size": 16, "learning_rate": 1e-5}, "MultipleNegativesRankingLoss", "/tmp/o", 3, 2)
    assert arguments["eval_steps"] == 0.5  # half of the run, in HF's own step count: two evaluations
    assert arguments["batch_sampler"] == "no_duplicates" and arguments["report_to"] == "none"
    assert "base_model" not in arguments and arguments["seed"] == 3


def test_one_trial_trains_reports_and_logs(tmp_path, tiny_model_dir):
    sweep_run, context, run, reports = train_one(tmp_path, tiny_model_dir, "00000", {"per_device_train_batch_size": 16, "num_train_epochs": 1})

    # The last evaluation reaches Tune once, inside the final report with the test metrics.
    assert [(r["step"], r["evaluation"], r.get("final")) for r in reports] == [(3, 1, None), (6, 2, True)]
    final = reports[-1]
    # Each report carries the trial's checkpoint: at an evaluation, the best model and that step's resume state
    # (saved before the report went); at the end, the best model alone. The node's working copy is gone.
    first, last = reports.checkpoints
    assert (first / "resume" / "checkpoint-3" / "trainer_state.json").exists() and (first / "best" / "sweeps_best.json").exists()
    assert sorted(path.name for path in last.iterdir()) == ["best"]
    assert not Path(sweep_scratch(context.state_name)).exists() or not any(Path(sweep_scratch(context.state_name)).iterdir())
    assert final["final"] and 0 <= final["ndcg_at_10"] <= 1 and 0 <= final["test_ndcg_at_10"] <= 1
    # The kept checkpoint's eval figure comes with its bootstrap error over the 30 eval queries (for stop_when: noise).
    assert 0 < final["eval_error"] < 0.2

    client = MlflowClient(context.tracking.tracking_uri)
    logged = client.get_run(run.info.run_id)
    assert logged.info.status == "FINISHED"
    assert logged.data.tags["mlflow.parentRunId"] == sweep_run.run_id
    assert logged.data.tags["sweeps.sequence"] == "0"  # the first trial run of its sweep: ties go to it
    assert logged.data.params["learning_rate"] == "0.0005" and logged.data.params["loss"] == "MultipleNegativesRankingLoss"
    history = client.get_metric_history(run.info.run_id, "curves/ndcg_at_10")
    assert [m.step for m in history] == [3, 6]
    # Tune hears each evaluation as it happens, and at the end the kept (best) checkpoint's figures.
    assert history[0].value == reports[0]["ndcg_at_10"]
    assert final["best_ndcg_at_10"] == final["ndcg_at_10"] == max(m.value for m in history)
    # Each evaluation's figures are learning curves, the kept checkpoint's and the test's single figures
    for key in ("curves/triplet_accuracy", "curves/mrr_at_10", "curves/recall_at_10", "curves/map_at_100", "curves/train_loss",
                "best_triplet_accuracy", "test_ndcg_at_10", "test_triplet_accuracy"):
        assert key in logged.data.metrics, key
    assert "ndcg_at_10" not in logged.data.metrics
    assert final["train_loss"] > 0

    # Where the trial's time went: logged at each evaluation (a stopped trial keeps its figures) and at the end.
    phases = ("time_setup_s", "time_train_s", "time_eval_s", "time_checkpoint_s", "time_test_s", "time_logging_s")
    assert all(logged.data.metrics[key] >= 0 for key in phases) and logged.data.metrics["peak_rss_mb"] > 100
    assert all(logged.data.metrics[key] > 0 for key in ("time_train_s", "time_eval_s", "time_checkpoint_s", "time_test_s"))
    assert [m.step for m in client.get_metric_history(run.info.run_id, "time_eval_s")] == [3, 6, 6]
    assert all(final[key] == logged.data.metrics[key] for key in phases)

    # The kept checkpoint's eval items come from the evaluation that kept it: what judging it again gives.
    from sentence_transformers import SentenceTransformer

    from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

    logged_items = mlflow.artifacts.load_dict(f"{logged.info.artifact_uri}/per_query/eval.json")
    kept = SentenceTransformer(str(reports.checkpoints[-1] / "best"), device="cpu")
    metrics, items = evaluate_in_detail(kept, start_trial(tmp_path / "again", tiny_model_dir)[0].eval)
    assert set(logged_items) == set(items) and len(logged_items["ndcg_at_10"]) == 30
    for key in items:
        assert logged_items[key] == pytest.approx(items[key], abs=1e-5), key
    assert metrics["ndcg_at_10"] == pytest.approx(final["best_ndcg_at_10"], abs=1e-6)


def test_gradient_accumulation_keeps_the_number_of_evaluations(tmp_path, tiny_model_dir):
    """96 rows in batches of 8 are 12 micro-batches but 6 optimizer steps: evaluated at 3 and 6, not once at 6."""
    _, context, run, reports = train_one(tmp_path, tiny_model_dir, "00002", {"per_device_train_batch_size": 8, "gradient_accumulation_steps": 2})
    assert [(r["step"], r["evaluation"]) for r in reports] == [(3, 1), (6, 2)]
    assert [m.step for m in MlflowClient(context.tracking.tracking_uri).get_metric_history(run.info.run_id, "curves/ndcg_at_10")] == [3, 6]


def test_a_failing_trial_is_recorded_failed_with_its_error(tmp_path, tiny_model_dir):
    """The trial's own failure handler records the failure: the test only calls the trial."""
    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    with pytest.raises(Exception, match="no-such-schedule"):
        run_trial({"base_model": "tiny", "lr_scheduler_type": "no-such-schedule"}, data, context, "trial_00001", "component-00001", TuneReports(tmp_path / "tune"))
    logged = trial_run(sweep_run, "trial_00001")
    assert logged.info.status == "FAILED"
    assert "no-such-schedule" in logged.data.tags["sweeps.error"]
    assert mlflow.artifacts.load_text(f"{logged.info.artifact_uri}/error.txt").startswith("Traceback")


@pytest.fixture(scope="module")
def every_loss_data(tmp_path_factory, tiny_model_dir):
    """Pydocs rows with a negative and a group column, validated once: every loss in the table can train on it."""
    import json

    from search_spaces.losses import LOSSES
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file import load_sweep_file

    folder = tmp_path_factory.mktemp("every-loss")
    rows = [json.loads(line) for line in (REPO / "examples/data/pydocs.jsonl").read_text().splitlines()[:120]]
    with open(folder / "rows.jsonl", "w") as handle:
        for index, row in enumerate(rows):
            negative = rows[(index + 7) % len(rows)]["passage"]
            handle.write(json.dumps({"anchor": row["query"], "positive": row["passage"], "negative": negative, "group": f"g{index // 3}"}) + "\n")
    path = folder / "sweep.yaml"
    path.write_text(f"name: every-loss\ndata: {{source: rows.jsonl, max_train_rows: 48, eval_corpus_size: 40, max_eval_queries: 10}}\n"
                    f"parameters:\n  base_model: {{value: {tiny_model_dir}}}\n  loss: {{values: {sorted(LOSSES)}}}\n"
                    f"  guide_model: {{value: {tiny_model_dir}}}\n")
    validated = prepare_sweep(load_sweep_file(path), path)
    return validated.trial_data(), validated.model_paths


@pytest.fixture(scope="module")
def every_loss_sweep(tmp_path_factory) -> SweepRun:
    """One MLflow store and parent run for the whole loss matrix, as one sweep would have: a store's tables are made once."""
    return SweepRun(f"sqlite:///{tmp_path_factory.mktemp('every-loss-store')}/mlflow.db", "losses", "losses")


@pytest.mark.parametrize("loss", sorted(__import__("search_spaces.losses", fromlist=["LOSSES"]).LOSSES))
def test_every_loss_in_the_registry_trains_one_step(tmp_path, tiny_model_dir, every_loss_data, every_loss_sweep, loss):
    import math

    from search_spaces.losses import GUIDE_MODEL, LOSSES

    data, models = every_loss_data
    config = {"base_model": str(tiny_model_dir), "loss": loss, "max_steps": 1, "per_device_train_batch_size": 8, "learning_rate": 1e-3}
    if GUIDE_MODEL in LOSSES[loss].parameters and loss == "GISTEmbedLoss":  # CachedGISTEmbedLoss: guided by its base model
        config[GUIDE_MODEL] = str(tiny_model_dir)
    reports = TuneReports(tmp_path / "tune")
    trial_id = f"trial_{loss}"
    run_trial(config, data, trial_context(tmp_path, every_loss_sweep, models), trial_id, loss, reports)
    final = reports[-1]
    assert final["final"] and final["step"] == 1
    assert math.isfinite(final["train_loss"]) and 0 <= final["test_ndcg_at_10"] <= 1
    assert trial_run(every_loss_sweep, trial_id).data.params["loss"] == loss


SEEN_BY_THE_TRAINER: list = []


class RecordTrainingPrompts(TrainerCallback):
    """Added through the sweep's `callbacks` extension point: what the trainer was really given."""

    def on_train_begin(self, args, state, control, **kwargs):
        SEEN_BY_THE_TRAINER.append(args.prompts)


@pytest.fixture(scope="module")
def prompted_model_dir(tmp_path_factory, tiny_model_dir):
    """The tiny model, declaring e5-style prompts in its config_sentence_transformers.json."""
    import json
    import shutil

    folder = tmp_path_factory.mktemp("prompted") / "model"
    shutil.copytree(tiny_model_dir, folder)
    config_file = folder / "config_sentence_transformers.json"
    config = json.loads(config_file.read_text())
    config["prompts"] = {"query": "query: ", "passage": "passage: "}
    config_file.write_text(json.dumps(config))
    return folder


def test_a_models_own_prompts_reach_the_trainer_the_evaluators_and_the_baseline(tmp_path, prompted_model_dir):
    from sentence_transformers import SentenceTransformer

    from sweeps.data.prepare import prepare_data
    from sweeps.sweep_file.schema import ParameterSpec
    from sweeps.tracking.baselines import log_baselines
    from trainables.evaluation.evaluators import build_evaluator
    from trainables.prompts import Prompts

    data, sweep_run, context = start_trial(tmp_path, prompted_model_dir)
    context = dataclasses.replace(context, callbacks=("test_trial_function.RecordTrainingPrompts",))
    SEEN_BY_THE_TRAINER.clear()
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, "max_steps": 2}, data, context, "trial_prompts", "prompts", TuneReports(tmp_path / "tune"))
    assert SEEN_BY_THE_TRAINER == [{"anchor": "query: ", "positive": "passage: "}]

    prompts = Prompts.from_model_config(SentenceTransformer(str(prompted_model_dir)).prompts)
    evaluator = build_evaluator(data.eval, prompts=prompts)
    retrieval, triplet = evaluator.evaluators
    assert (retrieval.query_prompt, retrieval.corpus_prompt) == ("query: ", "passage: ")
    assert triplet.prompts == {"query": "query: ", "document": "passage: "}

    log_baselines(sweep_run.tracking(), prepare_data(DataConfig(**DATA), 42, "sweep.yaml", REPO), {"base_model": ParameterSpec(value="tiny")},
                  {"tiny": str(prompted_model_dir)}, False, lambda line: None)
    baseline = trial_run(sweep_run, "baseline-tiny")
    trial = trial_run(sweep_run, "trial_prompts")
    assert baseline.data.params["prompts"] == trial.data.params["prompts"] == "query 'query: ', document 'passage: '"
    assert baseline.data.tags["sweeps.encoding"] == trial.data.tags["sweeps.encoding"]  # measured exactly as the trial is


SEEN_COLUMNS: list = []


class RecordTrainingColumns(TrainerCallback):
    def on_train_begin(self, args, state, control, train_dataloader=None, **kwargs):
        SEEN_COLUMNS.append(train_dataloader.dataset.column_names)


def test_mnrl_trains_on_every_negative_of_a_row(tmp_path, tiny_model_dir):
    """(anchor, positive, negative_1..3) rows: the loss gets n + 2 = 5 columns, one embedding batch each."""
    import json

    rows = [json.loads(line) for line in (REPO / "examples/data/pydocs.jsonl").read_text().splitlines()[:120]]
    with open(tmp_path / "rows.jsonl", "w") as handle:
        for index, row in enumerate(rows):
            negatives = [rows[(index + shift) % len(rows)]["passage"] for shift in (7, 11, 13)]
            handle.write(json.dumps({"anchor": row["query"], "positive": row["passage"], "hard": negatives}) + "\n")
    config = {"source": str(tmp_path / "rows.jsonl"), "columns": {"negatives": "hard"}, "eval_fraction": 0.1, "test_fraction": 0.1,
              "max_train_rows": 48, "eval_corpus_size": 60, "max_eval_queries": 10}
    data = trial_data(prepare_data(DataConfig(**config), 42, "sweep.yaml", REPO), {})
    sweep_run = SweepRun(f"sqlite:///{tmp_path}/mlflow.db", "negatives", "negatives")
    context = dataclasses.replace(trial_context(tmp_path, sweep_run, {"tiny": str(tiny_model_dir)}),
                                  callbacks=("test_trial_function.RecordTrainingColumns",))
    SEEN_COLUMNS.clear()
    reports = TuneReports(tmp_path / "tune")
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, "max_steps": 2, "per_device_train_batch_size": 8}, data, context,
              "trial_negatives", "negatives", reports)
    assert SEEN_COLUMNS == [["anchor", "positive", "negative_1", "negative_2", "negative_3"]]
    assert reports[-1]["final"] and trial_run(sweep_run, "trial_negatives").info.status == "FINISHED"


@pytest.mark.parametrize("task, source, loss, metrics", [
    ("sts", {"source": str(REPO / "examples/data/wordnet_sts"), "max_train_rows": 64, "max_eval_queries": 40},
     "CoSENTLoss", ("spearman_cosine", "pearson_cosine")),
    ("classification", {"source": str(REPO / "examples/data/wordnet_glosses.csv"), "columns": {"text": "gloss", "label": "category"},
                        "max_train_rows": 96, "max_eval_queries": 40},
     "BatchSemiHardTripletLoss", ("triplet_accuracy", "knn_accuracy", "recall_at_1", "recall_at_3", "recall_at_5", "mrr_at_10")),
])
def test_sts_and_classification_trials_train_on_their_rows_and_log_their_metrics(tmp_path, tiny_model_dir, task, source, loss, metrics):
    """The task's own rows reach the loss (no reshaping), and its evaluators' metrics are logged at every evaluation,
    as the kept checkpoint's `best_`, and on test with 95% intervals; per-item scores are kept for paired tests."""
    import json
    import math

    prepared = prepare_data(DataConfig(**{"eval_fraction": 0.1, "test_fraction": 0.1, **source}), 42, "sweep.yaml", REPO, task)
    data = trial_data(prepared, {"loss": __import__("sweeps.sweep_file.schema", fromlist=["ParameterSpec"]).ParameterSpec(value=loss)})
    sweep_run = SweepRun(f"sqlite:///{tmp_path}/mlflow.db", task, task)
    context = dataclasses.replace(trial_context(tmp_path, sweep_run, {"tiny": str(tiny_model_dir)}), metric_key=metrics[0],
                                  callbacks=("test_trial_function.RecordTrainingColumns",))
    SEEN_COLUMNS.clear()
    reports = TuneReports(tmp_path / "tune")
    run_trial({"base_model": "tiny", "loss": loss, "learning_rate": 5e-4, "max_steps": 4, "per_device_train_batch_size": 16}, data,
              context, f"trial_{task}", task, reports)
    assert SEEN_COLUMNS == [["sentence1", "sentence2", "score"] if task == "sts" else ["sentence", "label"]]
    run = trial_run(sweep_run, f"trial_{task}")
    assert run.info.status == "FINISHED"
    history = MlflowClient(sweep_run.tracking_uri).get_metric_history(run.info.run_id, f"curves/{metrics[0]}")
    assert [point.step for point in history] == [2, 4]
    for key in metrics:
        assert -1 <= run.data.metrics[f"best_{key}"] <= 1 and math.isfinite(run.data.metrics[f"test_{key}"])
    low, high = run.data.metrics[f"test_{metrics[0]}_ci_low"], run.data.metrics[f"test_{metrics[0]}_ci_high"]
    assert low <= run.data.metrics[f"test_{metrics[0]}"] <= high and low < high
    per_item = json.loads(mlflow.artifacts.load_text(f"{run.info.artifact_uri}/per_query/test.json"))
    per_text = "spearman_cosine" if task == "sts" else "knn_accuracy"
    assert len(per_item[per_text]) == len(prepared.test.score if task == "sts" else prepared.test.texts)


def test_the_detailed_sts_evaluation_agrees_with_the_evaluator(tiny_model_dir):
    """The trial's test metrics for STS come from one encoding; they must be what EmbeddingSimilarityEvaluator says."""
    from sentence_transformers import SentenceTransformer

    from trainables.contract.metrics import rename_evaluator_metrics
    from trainables.evaluation.evaluators import build_evaluator
    from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

    prepared = prepare_data(DataConfig(**{"source": str(REPO / "examples/data/wordnet_sts"), "eval_fraction": 0.1, "test_fraction": 0.1}), 42,
                            "sweep.yaml", REPO, "sts")
    model = SentenceTransformer(str(tiny_model_dir), device="cpu")
    detailed, per_item = evaluate_in_detail(model, prepared.test)
    evaluator = rename_evaluator_metrics(build_evaluator(prepared.test)(model))
    assert detailed == pytest.approx(evaluator, abs=1e-6) and set(detailed) == {"spearman_cosine", "pearson_cosine"}
    assert len(per_item["spearman_cosine"]) == len(per_item["gold_score"]) == 150


def test_a_guard_set_is_judged_at_every_evaluation_and_its_drop_is_measured_against_the_baseline(tmp_path, tiny_model_dir):
    """An STS guard beside a retrieval trial: `guard_sts_*` at every evaluation and for the kept checkpoint, the drop
    against the baseline's figure handed over by the driver, and the trial tagged and reported over the limit."""
    from trainables.contract import report_keys
    from trainables.contract.trial_data import GuardSet
    from trainables.encoding import Encoding
    from trainables.prompts import Prompts

    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    guard_set = prepare_data(DataConfig(**{"source": str(REPO / "examples/data/wordnet_sts"), "eval_fraction": 0.1, "test_fraction": 0.1,
                              "max_eval_queries": 40}), 42, "sweep.yaml", REPO, "sts").test
    data = dataclasses.replace(data, guards=(GuardSet("sts", guard_set, "spearman_cosine", max_drop=0.0, every_evaluation=True),))
    encoding = Encoding("tiny", 64, Prompts()).key()
    context = dataclasses.replace(context, guard_baselines={encoding: {"guard_sts_spearman_cosine": 0.99}})
    reports = TuneReports(tmp_path / "tune")
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, "max_steps": 4, "per_device_train_batch_size": 8}, data, context,
              "trial_guarded", "guarded", reports)
    run = trial_run(sweep_run, "trial_guarded")
    client = MlflowClient(sweep_run.tracking_uri)
    every = client.get_metric_history(run.info.run_id, "curves/guard_sts_spearman_cosine")
    assert sorted({point.step for point in every}) == [2, 4]  # every evaluation's, on the learning curves
    kept = client.get_metric_history(run.info.run_id, "guard_sts_spearman_cosine")
    assert [point.step for point in kept] == [4]  # and the kept checkpoint's, at the end
    final = reports[-1]
    assert final["guard_sts_drop"] == pytest.approx(0.99 - final["guard_sts_spearman_cosine"]) and final[report_keys.GUARD_EXCEEDED]
    assert run.data.metrics["guard_sts_drop"] == pytest.approx(final["guard_sts_drop"])
    assert run.data.tags["sweeps.guard_exceeded"].startswith("guard sts spearman_cosine dropped")
    assert run.data.tags["sweeps.encoding"] == encoding


def test_a_retry_after_a_kill_for_memory_trains_at_half_the_batch_and_says_so(tmp_path, tiny_model_dir):
    """The driver recorded the last attempt as killed for memory (sweeps.running.trial_deaths): this attempt runs with
    half the batch and twice the accumulation, the same optimizer steps, and its run says what it ran with."""
    from trainables.contract import mlflow_names as names
    from trainables.memory_retry import KILLED_FOR_MEMORY
    from trainables.trial_run import TrialRun

    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    first = TrialRun.open(context.tracking, "trial_oom", "component-oom")
    first.client.set_tag(first.run_id, names.ERROR, f"{KILLED_FOR_MEMORY} (Ray's out-of-memory killer): Task was killed ...")
    reports = TuneReports(tmp_path / "storage" / "trial_oom")
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, "per_device_train_batch_size": 16}, data, context, "trial_oom", "component-oom", reports)
    logged = trial_run(sweep_run, "trial_oom")
    assert logged.info.status == "FINISHED" and logged.data.tags[names.ATTEMPTS] == "2"
    assert logged.data.tags[names.PREVIOUS_ERROR].startswith(KILLED_FOR_MEMORY)
    assert "retried at per_device_train_batch_size 8 (was 16)" in logged.data.tags[names.MEMORY_RETRY]
    assert logged.data.params["per_device_train_batch_size"] == "8" and logged.data.params["gradient_accumulation_steps"] == "2"
    assert logged.data.params["effective_batch_size"] == "16"
    assert [r["step"] for r in reports] == [3, 6]  # 96 rows at an effective 16: the same 6 optimizer steps


class FakeOutOfMemory(TrainerCallback):
    """A card that fits 4 rows a step: a bigger batch runs out of memory at its first step, as CUDA words it. With
    `after_first_evaluation`, an out-of-memory error once the trial is past its first evaluation instead."""

    after_first_evaluation = False
    batches: list[int] = []

    def on_step_begin(self, args, state, control, **kwargs):
        import torch

        if state.global_step == 0:
            type(self).batches.append(args.per_device_train_batch_size)
        past_first = state.eval_steps and state.global_step > state.eval_steps
        if (past_first if self.after_first_evaluation else args.per_device_train_batch_size > 4):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 4 rows (a fake)")


class FakeOutOfMemoryLater(FakeOutOfMemory):
    after_first_evaluation = True


@pytest.mark.parametrize("batch, attempts, fitted, accumulation, steps", [
    (16, [16, 8, 4], 4, 4, [3, 6]),  # 96 rows at an effective 16: the same 6 optimizer steps as batch 16 would take
    ("auto", [128, 64, 32, 16, 8, 4], 4, 1, [12, 24]),  # the largest that fits, no effective batch asked
])
def test_a_batch_too_big_for_the_card_is_halved_in_the_trial_and_recorded(tmp_path, tiny_model_dir, batch, attempts, fitted, accumulation, steps):
    from trainables.contract import mlflow_names as names
    from trainables.contract import report_keys

    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    context = dataclasses.replace(context, callbacks=("test_trial_function.FakeOutOfMemory",))
    FakeOutOfMemory.batches = []
    reports = TuneReports(tmp_path / "storage" / "trial_fit")
    run_trial({"base_model": "tiny", "learning_rate": 5e-4, "per_device_train_batch_size": batch}, data, context, "trial_fit", "component-fit", reports)
    run = trial_run(sweep_run, "trial_fit")
    assert run.info.status == "FINISHED" and FakeOutOfMemory.batches == attempts  # one model load and trainer per attempt
    params = run.data.params
    assert params["per_device_train_batch_size"] == str(batch)  # what the sweep asked, beside what fit
    assert (params["batch_size_that_fit"], params["accumulation_that_fit"]) == (str(fitted), str(accumulation))
    assert params["effective_batch_size"] == str(fitted * accumulation)
    assert run.data.tags[names.BATCH_FIT] == reports[0][report_keys.BATCH_FIT] == reports[-1][report_keys.BATCH_FIT]
    assert [r["step"] for r in reports] == steps and reports[-1]["test_ndcg_at_10"] > 0


def test_out_of_memory_after_the_first_evaluation_fails_the_trial_with_what_to_change(tmp_path, tiny_model_dir):
    """A checkpoint of this batch exists by then: a resume at another batch would replay the data in another order."""
    data, sweep_run, context = start_trial(tmp_path, tiny_model_dir)
    context = dataclasses.replace(context, callbacks=("test_trial_function.FakeOutOfMemoryLater",))
    FakeOutOfMemory.batches = []
    with pytest.raises(RuntimeError, match="out of GPU memory at per_device_train_batch_size=16"):
        run_trial({"base_model": "tiny", "learning_rate": 5e-4, "per_device_train_batch_size": 16}, data, context, "trial_late",
                  "component-late", TuneReports(tmp_path / "storage" / "trial_late"))
    run = trial_run(sweep_run, "trial_late")
    assert run.info.status == "FAILED" and FakeOutOfMemory.batches == [16] and "batch_size_that_fit" not in run.data.params
    assert run.data.tags["sweeps.error"].endswith("(after its first evaluation a checkpoint of this batch exists, so the trial doesn't halve it)")
    error = MlflowClient(sweep_run.tracking_uri).download_artifacts(run.info.run_id, "error.txt", str(tmp_path))
    assert "CUDA out of memory. Tried to allocate 2.00 GiB" in Path(error).read_text()  # the cause, chained


def test_a_collapsed_model_fails_with_its_reason_and_a_sound_one_does_not_trip(tmp_path, tiny_model_dir):
    """At lr 10 the tiny BERT embeds every text to one vector; its retrieval figures are then the evaluator's tie order.
    The trial stops at that evaluation, FAILED with the reason, and reports no score to rank (the keeper and promotion
    skip it; the leaderboard ranks it below every sound trial)."""
    from sentence_transformers import SentenceTransformer

    from trainables.callbacks.collapse_guard import COLLAPSED_AT, eval_texts, mean_pairwise_cosine
    from trainables.contract import mlflow_names as names

    data, _, _ = start_trial(tmp_path / "untrained", tiny_model_dir)
    untrained = mean_pairwise_cosine(SentenceTransformer(str(tiny_model_dir), device="cpu"), eval_texts(data.eval))
    assert untrained < COLLAPSED_AT - 0.005, untrained  # even an untrained small BERT keeps its texts apart

    _, _, run, reports = train_one(tmp_path, tiny_model_dir, "00099", {"learning_rate": 10.0, "per_device_train_batch_size": 16})
    assert run.info.status == "FAILED" and run.data.tags[names.OUTCOME] == names.COLLAPSED
    assert run.data.tags[names.ERROR].startswith("collapsed at step 3 (learning_rate=10.0): every text embeds to nearly the same vector")
    final = reports[-1]
    assert final["final"] and final["outcome"] == names.COLLAPSED and final["ndcg_at_10"] != final["ndcg_at_10"]  # NaN: nothing to rank
    assert "test_ndcg_at_10" not in run.data.metrics


def test_a_trial_that_learns_nothing_fails_with_its_reason_and_a_learning_one_does_not_trip(tmp_path, tiny_model_dir):
    """At a learning rate of 0 no weight moves (as in sentence-transformers#3240, where trials trained with a gradient
    norm of 0): the trial stops after its first 3 optimizer steps, FAILED with the reason, nothing to rank. The same
    trial at 5e-4 trains to its end."""
    from trainables.callbacks.learning_check import STEPS
    from trainables.contract import mlflow_names as names

    _, _, run, reports = train_one(tmp_path / "frozen", tiny_model_dir, "00098", {"learning_rate": 0.0, "per_device_train_batch_size": 16})
    assert run.info.status == "FAILED" and run.data.tags[names.OUTCOME] == names.NOT_LEARNING
    reason = run.data.tags[names.ERROR]
    assert reason.startswith(f"did not learn: no weight changed over its first {STEPS} optimizer steps (to step {STEPS}; learning_rate=0.0")
    assert "; last logged gradient norm " in reason and reason.endswith("its learning rate is 0, so a score from it would be the base model's")
    assert run.data.tags[names.ENDED].startswith("failed: did not learn")
    final = reports[-1]
    assert final["final"] and final["outcome"] == names.NOT_LEARNING and final["step"] == STEPS
    assert final["ndcg_at_10"] != final["ndcg_at_10"] and "test_ndcg_at_10" not in run.data.metrics  # NaN: nothing to rank

    _, _, run, reports = train_one(tmp_path / "learning", tiny_model_dir, "00097", {"per_device_train_batch_size": 16, "max_steps": STEPS + 1})
    assert run.info.status == "FINISHED" and names.OUTCOME not in run.data.tags and reports[-1]["step"] == STEPS + 1


def test_the_sampler_in_force_is_logged(tmp_path, tiny_model_dir):
    """The MNRL family trains with no duplicates in a batch (a duplicate would be its own false negative): the run says so."""
    _, _, run, _ = train_one(tmp_path, tiny_model_dir, "00007", {"per_device_train_batch_size": 16, "max_steps": 2})
    assert run.data.params["batch_sampler"] == "no_duplicates"
