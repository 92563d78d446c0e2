"""Data-parallel scaling: the same one-trial sweep at 1 worker and at 2 workers (Ray Train DDP), in one run.

    python benchmarks/scaling.py [--model all-MiniLM-L6-v2] [--rows 480] [--epochs 2] [--cpus-per-worker 1] [--gpus-per-worker 0]

Prints each trial's training throughput (HF Trainer's train_samples_per_second: samples of the global
batch per second, all ranks together), its wall time, and the 2-worker / 1-worker ratio. On a
2-core CPU machine two gloo workers of one core each are compared with one worker of one core, so
the ratio shows the DDP overhead, not a speed-up; on a machine with a GPU per worker it shows the scaling.
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
name: scaling-{workers}
method: grid
baselines: false
keep_models: 0
evaluations_per_trial: 1
data:
  source: {data}
  columns: {{anchor: query, positive: passage}}
  max_train_rows: {rows}
  eval_corpus_size: 100
  max_eval_queries: 30
parameters:
  base_model: {{value: {model}}}
  max_seq_length: {{value: {seq}}}
  learning_rate: {{value: 5.0e-5}}
  per_device_train_batch_size: {{value: {batch}}}
  num_train_epochs: {{value: {epochs}}}
resources: {{workers_per_trial: {workers}, cpus_per_worker: {cpus}, gpus_per_worker: {gpus}}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


def run_once(workers: int, args, workdir: Path) -> tuple[float, float]:
    from mlflow.tracking import MlflowClient

    sweep_file = workdir / f"scaling-{workers}.yaml"
    sweep_file.write_text(SWEEP.format(workers=workers, data=args.data, rows=args.rows, model=args.model, seq=args.max_seq_length,
                                       batch=args.batch, epochs=args.epochs, cpus=args.cpus_per_worker, gpus=args.gpus_per_worker,
                                       workdir=workdir))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - started
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    experiment = client.get_experiment_by_name(f"scaling-{workers}")
    trial = client.search_runs([experiment.experiment_id], filter_string="tags.`sweeps.role` = 'trial'")[0]
    if done.returncode != 0 or trial.info.status != "FINISHED":
        error = client.download_artifacts(trial.info.run_id, "error.txt") if "sweeps.error" in trial.data.tags else None
        sys.exit(f"the {workers}-worker sweep failed (exit {done.returncode}):\n{Path(error).read_text()[-3000:] if error else done.stderr[-3000:]}")
    assert trial.data.params["world_size"] == str(workers), trial.data.params
    return trial.data.metrics["train_samples_per_second"], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--data", default=str(REPO / "examples/data/pydocs.jsonl"))
    parser.add_argument("--rows", type=int, default=480)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16, help="per worker")
    parser.add_argument("--max-seq-length", type=int, default=128)
    parser.add_argument("--cpus-per-worker", type=float, default=1)
    parser.add_argument("--gpus-per-worker", type=float, default=0)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    workdir = Path(tempfile.mkdtemp(prefix="scaling-"))
    figures = {workers: run_once(workers, args, workdir) for workers in (1, 2)}
    device = f"{args.gpus_per_worker:g} GPU + {args.cpus_per_worker:g} CPU" if args.gpus_per_worker else f"{args.cpus_per_worker:g} CPU"
    print(f"model {args.model}, {args.rows} rows x {args.epochs} epochs, batch {args.batch} per worker, each worker {device}")
    for workers, (speed, wall) in figures.items():
        print(f"{workers} worker{'s' if workers > 1 else ' '}: {speed:8.1f} samples/s  (sweep wall time {wall:6.1f} s)")
    print(f"2 workers / 1 worker throughput: {figures[2][0] / figures[1][0]:.2f}")


if __name__ == "__main__":
    main()
