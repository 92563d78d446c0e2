"""Soups on NorQuAD: does the sweep's soup beat its best trial, and what does a blend with the base model buy on a guard?

    python benchmarks/soup.py [--seeds 1 2 3] [--rows 256] [--workdir DIR] [--reuse]

Per seed, one real sweep through `python -m sweeps.run` (MiniLM, CPU): 6 trials over learning rate x loss, all 6 kept,
a greedy soup blended with the base at α 0.1, 0.25, 0.5 under a SciFact guard. Then the uniform soup of the same 6 kept
models (the logged ones, cooked by the same code). It prints, per seed, the test NDCG@10 of the best trial, the greedy
soup and the uniform soup, with each soup's paired randomization test against the best trial on the same test queries
(never used to pick), and SciFact's NDCG@10 drop at each α with the α the sweep picked on eval. Needs
../shared/data/norquad and ../shared/data/scifact_beir.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
METRIC = "ndcg_at_10"
ALPHAS = (0.1, 0.25, 0.5)
SWEEP = """
name: {name}
method: grid
seed: {seed}
data:
  source: {shared}/norquad
  eval_fraction: 0.05
  max_train_rows: {rows}
  eval_corpus_size: 300
  max_eval_queries: 100
  max_test_queries: 300
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  loss: {{values: [MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss]}}
  learning_rate: {{values: [2.0e-5, 5.0e-5, 1.5e-4]}}
  per_device_train_batch_size: {{value: 32}}
  num_train_epochs: {{value: 1}}
  warmup_ratio: {{value: 0.1}}
keep_models: 6
soup: {{method: greedy, top_k: 6, blend_base: [{alphas}]}}
guard:
  - {{name: scifact, source: {shared}/scifact_beir, split: test, metric: ndcg@10, max_drop: 0.01, max_queries: 150, corpus_size: 600}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


class LoggedModel:
    """A trial's model as the sweep logged it to MLflow, where a soup's ingredient reads a checkpoint from."""

    def __init__(self, client, run_id: str):
        self.client, self.run_id = client, run_id

    def to_directory(self, local: str) -> str:
        from trainables.scratch import best_folder

        with tempfile.TemporaryDirectory() as scratch:
            downloaded = Path(self.client.download_artifacts(self.run_id, "model", scratch))
            shutil.move(str(downloaded / "model.sentence_transformer"), best_folder(local))
        return local


def run_sweep(seed: int, args) -> tuple[Path, str]:
    workdir = args.workdir / f"seed{seed}"
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"soup-seed{seed}"
    sweep_file = workdir / f"{name}.yaml"
    sweep_file.write_text(SWEEP.format(name=name, seed=seed, shared=SHARED, rows=args.rows, workdir=workdir,
                                       alphas=", ".join(f"{alpha:g}" for alpha in ALPHAS)))
    from mlflow.tracking import MlflowClient

    db = workdir / "mlflow.db"
    if args.reuse and db.exists():
        client = MlflowClient(f"sqlite:///{db}")
        found = client.get_experiment_by_name(name)
        if found and client.search_runs([found.experiment_id], "tags.`sweeps.role` = 'sweep' and attributes.status = 'FINISHED'"):
            print(f"  reusing the finished sweep in {workdir}", flush=True)
            return sweep_file, name
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    completed = subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], cwd=workdir, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"seed {seed}: the sweep failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    print("\n".join(f"  {line}" for line in completed.stdout.splitlines() if line.startswith(("soup:", "trial and soup time"))), flush=True)
    return sweep_file, name


def measure(seed: int, args) -> dict:
    from mlflow.tracking import MlflowClient

    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.significance import paired_p_value, per_query_scores
    from sweeps.soups import Ingredient, SoupCook
    from sweeps.sweep_file.loading import load_sweep_file
    from trainables.evaluation.item_keeping_evaluator import evaluate_in_detail

    sweep_file, name = run_sweep(seed, args)
    client = MlflowClient(f"sqlite:///{sweep_file.parent}/mlflow.db")
    experiment = client.get_experiment_by_name(name).experiment_id
    parent = client.search_runs([experiment], "tags.`sweeps.role` = 'sweep'", order_by=["attributes.start_time DESC"])[0]
    children = client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    trials = sorted((run for run in children if run.data.tags["sweeps.role"] == "trial" and run.info.status == "FINISHED"),
                    key=lambda run: -run.data.metrics[f"best_{METRIC}"])
    (greedy,) = [run for run in children if run.data.tags["sweeps.role"] == "soup"]
    best = trials[0]
    blend = json.loads(Path(client.download_artifacts(greedy.info.run_id, "soup/blend.json", str(sweep_file.parent))).read_text())

    # The uniform soup of the same kept models, cooked by the sweep's own code, judged on the same splits.
    data = prepare_sweep(load_sweep_file(str(sweep_file)), sweep_file).data
    from sentence_transformers import SentenceTransformer

    from trainables.encoding import apply_encoding

    def load(folder: str):
        model = SentenceTransformer(folder, device="cpu")
        apply_encoding(model, {"base_model": "all-MiniLM-L6-v2", "max_seq_length": 128})
        return model

    ingredients = [Ingredient(run.data.tags["sweeps.trial_id"], run.info.run_id, run.info.run_name, run.data.metrics[f"best_{METRIC}"],
                              {"base_model": "all-MiniLM-L6-v2"}, LoggedModel(client, run.info.run_id)) for run in trials]
    cook = SoupCook(load, lambda model: 0.0, "max")
    uniform = cook.vessel(cook.cook("uniform", ingredients))
    uniform_eval, _ = evaluate_in_detail(uniform, data.eval)
    uniform_test, uniform_items = evaluate_in_detail(uniform, data.test)
    best_items = per_query_scores(client, best.info.run_id, "test", METRIC)
    uniform_p, queries = paired_p_value(uniform_items[METRIC], best_items, METRIC)
    return {
        "seed": seed, "queries": queries, "trials": len(trials),
        "best": (best.info.run_name, best.data.params["loss"], best.data.params["learning_rate"], best.data.metrics[f"best_{METRIC}"],
                 best.data.metrics[f"test_{METRIC}"]),
        "greedy": (greedy.data.params["soup_ingredients"].count(",") + 1, greedy.data.metrics[f"best_{METRIC}"],
                   greedy.data.metrics[f"test_{METRIC}"], greedy.data.metrics["soup_vs_best_trial_test_p"],
                   float(greedy.data.params["blend_base_alpha"])),
        "uniform": (len(ingredients), uniform_eval[METRIC], uniform_test[METRIC], uniform_p),
        "blend": blend,
        "seconds": {key: greedy.data.metrics.get(f"time_{key}_s", 0.0) for key in ("soup_averaging", "soup_evaluating")},
        "trial_seconds": sum(run.data.metrics.get(f"time_{phase}_s", 0.0) for run in trials
                             for phase in ("setup", "train", "eval", "checkpoint", "test", "logging")),
    }


def report(results: list[dict]) -> None:
    print("\ntest NDCG@10 (paired randomization test against the best trial over the same test queries; eval picks, test never)")
    print("| seed | best trial (loss, lr) | eval | test | greedy soup | eval | test | p | uniform soup | eval | test | p |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        run_name, loss, lr, best_eval, best_test = result["best"]
        size, greedy_eval, greedy_test, greedy_p, alpha = result["greedy"]
        _, uniform_eval, uniform_test, uniform_p = result["uniform"]
        uniform_size = result["uniform"][0]
        print(f"| {result['seed']} | {run_name} ({loss.replace('MultipleNegatives', 'MN').replace('RankingLoss', 'RL')}, {lr}) | "
              f"{best_eval:.4f} | {best_test:.4f} | {size} trial{'s' * (size != 1)}, α {alpha:g} | {greedy_eval:.4f} | {greedy_test:.4f} | "
              f"{greedy_p:.3f} | {uniform_size} trials | {uniform_eval:.4f} | {uniform_test:.4f} | {uniform_p:.3f} |")
    print("\nthe greedy soup blended with the base: eval NDCG@10 and SciFact NDCG@10 drop against the untrained model (max_drop 0.01)")
    print("| seed | " + " | ".join(f"α {point['alpha']:g}" for point in results[0]["blend"]["points"]) + " | picked |")
    print("|---|" + "---|" * (len(results[0]["blend"]["points"]) + 1))
    for result in results:
        cells = [f"{point['value']:.4f} / {point['guards'].get('guard_scifact_drop', float('nan')):+.4f}{' over' if point['over'] else ''}"
                 for point in result["blend"]["points"]]
        print(f"| {result['seed']} | " + " | ".join(cells) + f" | α {result['blend']['alpha_picked']:g} |")
    for result in results:
        seconds = result["seconds"]
        share = (seconds["soup_averaging"] + seconds["soup_evaluating"]) / max(result["trial_seconds"], 1e-9)
        print(f"seed {result['seed']}: soup step {seconds['soup_averaging']:.0f} s averaging + {seconds['soup_evaluating']:.0f} s evaluating "
              f"= {100 * share:.0f}% of the {result['trial_seconds']:.0f} trial-seconds ({result['queries']} test queries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--rows", type=int, default=256, help="NorQuAD training rows per sweep")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "soup-benchmark")
    parser.add_argument("--reuse", action="store_true", help="read a finished sweep of the same seed in --workdir instead of running it")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # the per-query scores and models it reads back
    missing = [folder for folder in ("norquad", "scifact_beir") if not (SHARED / folder).exists()]
    if missing:
        sys.exit(f"needs ../shared/data/{' and '.join(missing)}")
    results = []
    for seed in args.seeds:
        print(f"seed {seed}: sweep of 6 trials with a greedy soup ({args.rows} NorQuAD rows) in {args.workdir}", flush=True)
        results.append(measure(seed, args))
    report(results)


if __name__ == "__main__":
    main()
