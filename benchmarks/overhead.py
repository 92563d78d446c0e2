"""Runner overhead: K trials through `python -m sweeps.run` vs the same K trainings as bare
SentenceTransformerTrainer calls in one process (same configs, data, evaluators, eval steps).

    python benchmarks/overhead.py [--trials 2] [--rows 128]

Prints both wall times and their ratio, measured in one run (these machines are noisy).
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
LEARNING_RATES = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3]
SWEEP = """
name: overhead
method: grid
baselines: false
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  eval_fraction: 0.1
  test_fraction: 0.1
  max_train_rows: {rows}
  eval_corpus_size: 120
  max_eval_queries: 40
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 96}}
  learning_rate: {{values: {rates}}}
  per_device_train_batch_size: {{value: 16}}
  num_train_epochs: {{value: 1}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


def bare_trainings(sweep_file: Path) -> float:
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer, SentenceTransformerTrainer, SentenceTransformerTrainingArguments
    from transformers import PrinterCallback

    from search_spaces.losses import DEFAULT_LOSS, build_loss
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file import load_sweep_file
    from trainables.evaluation import build_evaluator
    from trainables.training_arguments import training_arguments

    config = load_sweep_file(sweep_file)
    sweep = prepare_sweep(config, sweep_file)
    data = sweep.data
    started = time.perf_counter()
    for hyperparameters in sweep.plan.configs:
        model = SentenceTransformer(sweep.models[hyperparameters["base_model"]], device="cpu")
        model.max_seq_length = hyperparameters["max_seq_length"]
        dataset = Dataset.from_dict({column: data.train[column] for column in ("anchor", "positive")})
        arguments = training_arguments(hyperparameters, DEFAULT_LOSS, tempfile.mkdtemp(), config.seed, config.evaluations_per_trial)
        trainer = SentenceTransformerTrainer(model=model, args=SentenceTransformerTrainingArguments(**arguments),
                                             train_dataset=dataset, loss=build_loss({}, model),
                                             evaluator=build_evaluator(data.eval))
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        build_evaluator(data.test)(model)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=2, choices=range(1, len(LEARNING_RATES) + 1))
    parser.add_argument("--rows", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    workdir = Path(tempfile.mkdtemp(prefix="overhead-"))
    sweep_file = workdir / "sweep.yaml"
    sweep_file.write_text(SWEEP.format(data=REPO / "examples/data/pydocs.jsonl", rows=args.rows,
                                       rates=LEARNING_RATES[: args.trials], workdir=workdir))
    bare = bare_trainings(sweep_file)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    runner = time.perf_counter() - started
    print(f"trials: {args.trials}, training rows: {args.rows}")
    print(f"bare SentenceTransformerTrainer, one process: {bare:7.1f} s")
    print(f"python -m sweeps.run (CLI, Ray, MLflow):      {runner:7.1f} s")
    print(f"overhead ratio runner / bare:                 {runner / bare:7.2f}")


if __name__ == "__main__":
    main()
