"""In-batch negatives alone vs mined hard negatives, at the same budget, and what each costs on a general set.

Two sweeps on ../shared/data/norquad through `python -m sweeps.run`, identical but for `data.hard_negatives`
(the same training rows, steps, learning rate and batch size; MultipleNegativesRankingLoss takes the mined negatives
as extra in-batch negatives), each with a guard on ../shared/data/scifact_beir. Prints, from one invocation, NorQuAD
test NDCG@10 for the untrained model and each trial, its 95% interval, and the SciFact NDCG@10 drop of each.

    python benchmarks/hard_negatives.py [--rows 512] [--negatives 3]
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
SHARED = REPO.parent / "shared" / "data"
SWEEP = """
name: {name}
method: grid
seed: 42
data:
  source: {shared}/norquad
  eval_fraction: 0.05
  max_train_rows: {rows}
  eval_corpus_size: 400
  max_eval_queries: 150
{mining}parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  learning_rate: {{value: 5.0e-5}}
  per_device_train_batch_size: {{value: 16}}
  num_train_epochs: {{value: 1}}
guard:
  - {{name: scifact, source: {shared}/scifact_beir, split: test, max_queries: 200, corpus_size: 2000}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


def run(name: str, workdir: Path, rows: int, mining: str) -> float:
    path = workdir / f"{name}.yaml"
    path.write_text(SWEEP.format(name=name, shared=SHARED, rows=rows, mining=mining, workdir=workdir))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sweeps.run", str(path)], cwd=workdir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def figures(workdir: Path, name: str) -> dict:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    experiment = client.get_experiment_by_name(name).experiment_id
    runs = {run.data.tags["sweeps.role"]: run for run in client.search_runs([experiment]) if run.data.tags.get("sweeps.role") != "sweep"}
    return {role: run.data.metrics for role, run in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--negatives", type=int, default=3)
    args = parser.parse_args()
    if not (SHARED / "norquad").exists() or not (SHARED / "scifact_beir").exists():
        sys.exit("needs ../shared/data/norquad and ../shared/data/scifact_beir")
    mining = f"  hard_negatives: {{num_negatives: {args.negatives}, range_min: 5}}\n"
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        seconds = {"in-batch": run("in-batch", workdir, args.rows, ""), "mined": run("mined", workdir, args.rows, mining)}
        results = {name: figures(workdir, name) for name in seconds}
    untrained = results["in-batch"]["baseline"]
    print(f"NorQuAD test NDCG@10, {args.rows} training rows, MiniLM, lr 5e-5, batch 16, 1 epoch; SciFact guard (200 queries, 2000 passages)")
    print(f"  untrained           {untrained['test_ndcg_at_10']:.4f} [{untrained['test_ndcg_at_10_ci_low']:.4f}, "
          f"{untrained['test_ndcg_at_10_ci_high']:.4f}]   SciFact NDCG@10 {untrained['guard_scifact_ndcg_at_10']:.4f}")
    for name, metrics in results.items():
        trial = metrics["trial"]
        print(f"  {name:<8} negatives {trial['test_ndcg_at_10']:.4f} [{trial['test_ndcg_at_10_ci_low']:.4f}, {trial['test_ndcg_at_10_ci_high']:.4f}]"
              f"   SciFact drop {trial['guard_scifact_drop']:+.4f}   sweep {seconds[name]:.0f} s")


if __name__ == "__main__":
    main()
