"""Search efficiency on NorQuAD: full grid vs grid+ASHA vs Optuna(TPE)+ASHA over one space.

    python benchmarks/search_efficiency.py [--rows 256] [--optuna-trials 4]

Each strategy is a real sweep through `python -m sweeps.run` (MiniLM, CPU). For each it prints the
test NDCG@10 of the trial it would pick (best eval NDCG@10 among trials that ran to the end) and
the compute its trials used: trial-seconds (wall time, noisy on a shared machine) and
trial-equivalents (evaluation segments trained / evaluations per trial: load-independent). Goal: within 0.01 NDCG@10 of the full grid's best for at
most half its compute. Needs ../shared/data/norquad.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NORQUAD = REPO.parent / "shared" / "data" / "norquad"
SPACE = """
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  learning_rate: {{values: [5.0e-6, 2.0e-5, 8.0e-5, 3.0e-4]}}
  per_device_train_batch_size: {{values: [16, 32]}}
  num_train_epochs: {{value: 1}}
  warmup_ratio: {{value: 0.1}}
"""
SWEEP = """
name: {name}
method: {method}
seed: 42
baselines: false
evaluations_per_trial: {evaluations}
{extra}
data:
  source: {data}
  eval_fraction: 0.05
  max_train_rows: {rows}
  eval_corpus_size: 200
  max_eval_queries: 60
parameters:
{space}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""
ASHA = "early_terminate: {type: asha, grace_period: 1, reduction_factor: 2}"
EVALUATIONS = 4
STRATEGIES = {
    "full grid": ("grid", ""),
    "grid + ASHA": ("grid", ASHA),
    "Optuna TPE + ASHA": ("optuna", ASHA + "\nrun_cap: OPTUNA_TRIALS"),
}


def run_strategy(label: str, method: str, extra: str, args, workdir: Path) -> dict:
    name = label.lower().replace(" + ", "-").replace(" ", "-")
    sweep_file = workdir / f"{name}.yaml"
    sweep_file.write_text(SWEEP.format(name=name, method=method, evaluations=EVALUATIONS, extra=extra.replace("OPTUNA_TRIALS", str(args.optuna_trials)),
                                       data=NORQUAD, rows=args.rows, space=SPACE.format(), workdir=workdir))
    if args.reuse and _finished(workdir / "mlflow.db", name):
        print(f"  reusing the finished {name} sweep in {workdir}", flush=True)
        return summarize(workdir / "mlflow.db", name)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    completed = subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], cwd=workdir, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{label} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return summarize(workdir / "mlflow.db", name)


def _finished(db: Path, experiment: str) -> bool:
    if not db.exists():
        return False
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{db}")
    found = client.get_experiment_by_name(experiment)
    return found is not None and any(run.info.status == "FINISHED" for run in client.search_runs(
        [found.experiment_id], filter_string="tags.`sweeps.role` = 'sweep'"))


def summarize(db: Path, experiment: str) -> dict:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{db}")
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id], filter_string="tags.`sweeps.role` = 'trial'")
    finished = [run for run in runs if run.info.status == "FINISHED"]
    best = max(finished, key=lambda run: run.data.metrics["ndcg_at_10"])
    return {
        "trials": len(runs), "stopped": sum(run.data.tags.get("sweeps.outcome") == "stopped_early" for run in runs),
        "seconds": sum((run.info.end_time - run.info.start_time) / 1000 for run in runs),
        "work": sum(len(client.get_metric_history(run.info.run_id, "ndcg_at_10")) for run in runs) / EVALUATIONS,
        "eval": best.data.metrics["ndcg_at_10"], "test": best.data.metrics["test_ndcg_at_10"],
        "pick": f"lr={best.data.params['learning_rate']}, bs={best.data.params['per_device_train_batch_size']}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256, help="training rows per trial")
    parser.add_argument("--optuna-trials", type=int, default=4, help="run_cap of the Optuna sweep")
    parser.add_argument("--workdir", type=Path, help="keep the sweeps' MLflow store and Ray results here (default: a temp folder)")
    parser.add_argument("--reuse", action="store_true", help="with --workdir: summarize strategies whose sweep already finished there")
    args = parser.parse_args()
    if not NORQUAD.exists():
        sys.exit(f"needs {NORQUAD}")
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        for label, (method, extra) in STRATEGIES.items():
            print(f"running {label} ...", flush=True)
            results[label] = run_strategy(label, method, extra, args, workdir)
    grid = results["full grid"]
    print(f"\nNorQuAD, MiniLM, {args.rows} training rows, {EVALUATIONS} evaluations per trial, 8-point space (lr x batch size)")
    print(f"{'strategy':<20} {'trials':>6} {'stopped':>7} {'trial-s':>8} {'trial-eq':>8} {'share':>6} {'test NDCG@10':>12} {'vs grid':>8}  picked")
    for label, row in results.items():
        print(f"{label:<20} {row['trials']:>6} {row['stopped']:>7} {row['seconds']:>8.0f} {row['work']:>8.2f} {row['work'] / grid['work']:>6.2f} "
              f"{row['test']:>12.4f} {row['test'] - grid['test']:>+8.4f}  {row['pick']}")


if __name__ == "__main__":
    main()
