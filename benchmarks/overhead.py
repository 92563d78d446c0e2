"""Runner overhead: trials of about 30 s, 60 s and 120 s of bare training, through `python -m sweeps.run`
and as bare SentenceTransformerTrainer calls in one process, measured in one invocation (these machines are noisy).

    python benchmarks/overhead.py [--steps 25 65 140] [--batch 16] [--max-seq-length 64]

Bare (measured before and after the runner, and averaged): load the model, `trainer.train()` with the same
evaluator at the same steps (the runner evaluates to stop weak trials early; a hand-written notebook would watch
the same curve), then one test evaluation. The runner: one grid sweep over those step counts, with baselines and
the default resume checkpoints, one trial at a time.

A trial's runner time is its MLflow run's wall time plus the gap since the trial before it ended (Tune starting
it, the actor's reset); the time before the first trial (CLI, validation, Ray, the parent run, baselines, the
trial actor's start) and after the last (model logging, the search report, the leaderboard) is the runner's fixed
cost per sweep, printed beside the table.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SWEEP = """
name: overhead
method: grid
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  eval_fraction: 0.15
  test_fraction: 0.15
  eval_corpus_size: 200
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: {seq}}}
  learning_rate: {{value: 5.0e-5}}
  per_device_train_batch_size: {{value: {batch}}}
  num_train_epochs: {{value: 100}}
  max_steps: {{values: {steps}}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


def bare_trainings(sweep_file: Path) -> dict[int, dict[str, float]]:
    """Each trial's bare time, split into training (with its evaluations) and the rest, by max_steps."""
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import PrinterCallback

    from search_spaces.losses import DEFAULT_LOSS, build_loss
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file import load_sweep_file
    from trainables.evaluation.evaluators import build_evaluator
    from trainables.training_arguments import training_arguments

    config = load_sweep_file(sweep_file)
    sweep = prepare_sweep(config, sweep_file)
    data = sweep.data
    times = {}
    for hyperparameters in sweep.plan.configs:
        started = time.perf_counter()
        model = SentenceTransformer(sweep.models[hyperparameters["base_model"]], device="cpu")
        model.max_seq_length = hyperparameters["max_seq_length"]
        dataset = Dataset.from_dict({column: data.train[column] for column in ("anchor", "positive")})
        arguments = training_arguments(hyperparameters, DEFAULT_LOSS, tempfile.mkdtemp(), config.seed, config.evaluations_per_trial)
        arguments.update(save_strategy="no")  # a notebook keeps no resume state
        trainer = SentenceTransformerTrainer(model=model, args=SentenceTransformerTrainingArguments(**arguments),
                                             train_dataset=dataset, loss=build_loss({}, model), evaluator=build_evaluator(data.eval))
        trainer.remove_callback(PrinterCallback)
        training_started = time.perf_counter()
        trainer.train()
        training = time.perf_counter() - training_started
        build_evaluator(data.test)(model)
        times[int(hyperparameters["max_steps"])] = {"bare": time.perf_counter() - started, "training": training}
    return times


def runner_times(workdir: Path, started_at_ms: int, ended_at_ms: int) -> tuple[dict[int, dict[str, float]], float, float]:
    """Each trial's runner time by max_steps, and the fixed cost before the first trial and after the last."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    experiment = client.get_experiment_by_name("overhead")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`sweeps.role` = 'trial'")
    trials = sorted(runs, key=lambda run: run.info.start_time)
    if any(run.info.status != "FINISHED" for run in trials):
        raise SystemExit(f"a trial did not finish: {[(run.info.run_name, run.info.status) for run in trials]}")
    times, previous_end = {}, None
    for run in trials:
        gap = 0 if previous_end is None else run.info.start_time - previous_end
        metrics = run.data.metrics
        times[int(run.data.params["max_steps"])] = {
            "runner": (run.info.end_time - run.info.start_time + gap) / 1000,
            **{phase: metrics.get(f"time_{phase}_s", 0.0) for phase in ("setup", "train", "eval", "checkpoint", "test", "logging")}}
        previous_end = run.info.end_time
    before = (trials[0].info.start_time - started_at_ms) / 1000
    after = (ended_at_ms - trials[-1].info.end_time) / 1000
    return times, before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[25, 65, 140], help="max_steps of each trial (about 30, 60, 120 s of bare time here)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--max-seq-length", type=int, default=64)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    workdir = Path(tempfile.mkdtemp(prefix="overhead-"))
    sweep_file = workdir / "sweep.yaml"
    sweep_file.write_text(SWEEP.format(data=REPO / "examples/data/pydocs.jsonl", seq=args.max_seq_length, batch=args.batch,
                                       steps=args.steps, workdir=workdir))
    # Bare, runner, bare again: the same training drifts by several per cent within minutes here, so the runner is
    # compared with the mean of the bare runs on either side of it, and both are printed.
    bare_before = bare_trainings(sweep_file)
    started_at_ms = int(time.time() * 1000)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    runner, before, after = runner_times(workdir, started_at_ms, int(time.time() * 1000))
    bare_after = bare_trainings(sweep_file)
    bare = {steps: {key: (bare_before[steps][key] + bare_after[steps][key]) / 2 for key in bare_before[steps]} for steps in bare_before}

    print(f"all-MiniLM-L6-v2, batch {args.batch}, max_seq_length {args.max_seq_length}, 2 evaluations per trial, one trial at a time")
    print(f"{'steps':>5} {'bare s (before/after)':>22} {'(training)':>10} {'runner s':>9} {'ratio':>6}   "
          "runner's trial time: setup/train/eval/checkpoint/test/logging s")
    for steps in sorted(bare):
        b, r = bare[steps], runner[steps]
        phases = "/".join(f"{r[phase]:.1f}" for phase in ("setup", "train", "eval", "checkpoint", "test", "logging"))
        both = f"{b['bare']:.1f} ({bare_before[steps]['bare']:.1f}/{bare_after[steps]['bare']:.1f})"
        print(f"{steps:>5} {both:>22} {b['training']:10.1f} {r['runner']:9.1f} {r['runner'] / b['bare']:6.3f}   {phases}")
    per_trial = sum(runner[steps]["runner"] - bare[steps]["bare"] for steps in bare) / len(bare)
    print(f"runner's fixed cost per sweep: {before + after:.1f} s ({before:.1f} s before the first trial: CLI, validation, Ray, "
          f"parent run, baselines, the trial actor's start; {after:.1f} s after the last: model logging, search report, leaderboard)")
    print(f"runner's cost per trial (runner minus bare, mean): {per_trial:+.1f} s; whole sweep {wall:.1f} s")


if __name__ == "__main__":
    main()
