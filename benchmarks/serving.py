"""Picking for serving on NorQuAD: does the trial picked at 128-d int8 beat "truncate the full-size winner" at 128-d int8,
and what do the variants cost an evaluation?

    python benchmarks/serving.py [--rows 512] [--workdir DIR] [--reuse]

One real sweep through `python -m sweeps.run` (MiniLM, CPU): MultipleNegativesRankingLoss and
MatryoshkaLoss(MultipleNegativesRankingLoss, dims 384/256/128/64), each at two learning rates, every evaluation scored at
384/256/128/64 dimensions in float32, int8 and binary, picked by eval NDCG@10 at 128-d int8. It prints:
- each trial's eval and test NDCG@10 at full size and at 128-d int8;
- the trial the full-size figure would pick and the one the 128-d int8 figure picks, and their test NDCG@10 at
  128-d int8 with a paired randomization test over the same test queries (test never picks: it only judges the picks);
- the variants' cost: their seconds against the evaluations' own, summed over the trials (`time_serving_variants_s`
  against `time_eval_s`), and, timed in this process on the same eval split with the untrained model, one evaluation
  with and without the variants.
Needs ../shared/data/norquad.
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
FULL, PICKED = "ndcg_at_10", "ndcg_at_10-128d-int8"
SWEEP = """
name: serving
method: grid
seed: 42
evaluations_per_trial: 2
metric: {{name: ndcg@10, dim: 128, precision: int8}}
serving: {{dims: [384, 256, 128, 64], precisions: [float32, int8, binary]}}
data:
  source: {shared}/norquad
  eval_fraction: 0.05
  max_train_rows: {rows}
  eval_corpus_size: 1000
  max_eval_queries: 200
  max_test_queries: 400
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  loss: {{values: [MultipleNegativesRankingLoss, MatryoshkaLoss]}}
  matryoshka_dims: {{value: [384, 256, 128, 64]}}
  learning_rate: {{values: [5.0e-5, 1.5e-4]}}
  per_device_train_batch_size: {{value: 32}}
  num_train_epochs: {{value: 1}}
  warmup_ratio: {{value: 0.1}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
"""


def run_sweep(args) -> None:
    sweep_file = args.workdir / "serving.yaml"
    sweep_file.write_text(SWEEP.format(shared=SHARED, rows=args.rows, workdir=args.workdir))
    if args.reuse and (args.workdir / "mlflow.db").exists():
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], cwd=args.workdir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the sweep failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    print(f"sweep: {time.perf_counter() - started:.0f} s")
    print("\n".join(line for line in result.stdout.splitlines() if line.startswith(("trial time", "data:"))))


def compare_picks(args) -> None:
    from mlflow.tracking import MlflowClient

    from sweeps.significance import paired_p_value, per_query_scores

    client = MlflowClient(f"sqlite:///{args.workdir}/mlflow.db")
    experiment = client.get_experiment_by_name("serving").experiment_id
    parent = client.search_runs([experiment], "tags.`sweeps.role` = 'sweep'", order_by=["attributes.start_time DESC"])[0]
    children = client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    trials = [run for run in children if run.data.tags.get("sweeps.role") == "trial" and run.info.status == "FINISHED"]
    baseline = next(run for run in children if run.data.tags.get("sweeps.role") == "baseline")
    print(f"\n{'run':<22} {'loss':<30} {'lr':>8}  eval full / 128-int8    test full / 128-int8")
    for run in [baseline, *sorted(trials, key=lambda run: -run.data.metrics['best_' + PICKED])]:
        metrics = run.data.metrics
        print(f"{run.info.run_name:<22} {run.data.params.get('loss', '(untrained)'):<30} {run.data.params.get('learning_rate', ''):>8}  "
              f"{metrics['best_' + FULL]:.4f} / {metrics['best_' + PICKED]:.4f}        {metrics['test_' + FULL]:.4f} / {metrics['test_' + PICKED]:.4f}")
    full_winner = max(trials, key=lambda run: run.data.metrics["best_" + FULL])
    served_pick = max(trials, key=lambda run: run.data.metrics["best_" + PICKED])
    print(f"\nfull-size winner (eval {FULL}): {full_winner.info.run_name} ({full_winner.data.params['loss']}, lr {full_winner.data.params['learning_rate']})")
    print(f"128-d int8 pick (eval {PICKED}): {served_pick.info.run_name} ({served_pick.data.params['loss']}, lr {served_pick.data.params['learning_rate']})")
    if served_pick.info.run_id == full_winner.info.run_id:
        print("the two picks are the same trial: picking at 128-d int8 changes nothing here")
    else:
        ours = per_query_scores(client, served_pick.info.run_id, "test", PICKED)
        theirs = per_query_scores(client, full_winner.info.run_id, "test", PICKED)
        p_value, shared = paired_p_value(ours, theirs, PICKED)
        delta = served_pick.data.metrics["test_" + PICKED] - full_winner.data.metrics["test_" + PICKED]
        verdict = "beats" if delta > 0 and p_value < 0.05 else "does not beat (inside the noise)" if p_value >= 0.05 else "loses to"
        print(f"test {PICKED}: the 128-d int8 pick {served_pick.data.metrics['test_' + PICKED]:.4f}, the truncated full-size winner "
              f"{full_winner.data.metrics['test_' + PICKED]:.4f}: {delta:+.4f}, paired p={p_value:.3f} over {shared} queries -> the pick {verdict} it")
    serving = sum(run.data.metrics.get("time_serving_variants_s", 0.0) for run in trials)
    evaluating = sum(run.data.metrics.get("time_eval_s", 0.0) for run in trials)
    print(f"\nin the trials: serving variants {serving:.1f} s against evaluations' own {evaluating:.1f} s: "
          f"+{100 * serving / evaluating:.1f}% evaluation time (12 variants, calibration included)")


def time_one_evaluation(args) -> None:
    """One eval-split evaluation of the untrained model, with and without the variants, in this process."""
    import dataclasses

    from sentence_transformers import SentenceTransformer

    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file.loading import load_sweep_file
    from sweeps.sweep_file.model_refs import shipped_model_folder
    from trainables.evaluation.item_keeping_evaluator import ItemKeepingEvaluator

    sweep_file = args.workdir / "serving.yaml"
    prepared = prepare_sweep(load_sweep_file(sweep_file), sweep_file)
    served = prepared.data.eval
    plain = dataclasses.replace(served, serving=None)
    model = SentenceTransformer(str(shipped_model_folder("all-MiniLM-L6-v2")), device="cpu")
    model.max_seq_length = 128
    seconds = {"with": [], "without": []}
    for _ in range(args.repeats):  # alternated, so drift in the machine's speed falls on both
        for name, evaluation_set in (("without", plain), ("with", served)):
            evaluator = ItemKeepingEvaluator(evaluation_set)
            started = time.perf_counter()
            evaluator(model)
            seconds[name].append(time.perf_counter() - started)
    without, with_variants = min(seconds["without"]), min(seconds["with"])
    print(f"one eval-split evaluation ({served.size()}, {len(served.serving.variants)} variants, "
          f"{len(served.serving.query_texts) + len(served.serving.document_texts)} calibration texts), best of {args.repeats}: "
          f"{without:.1f} s without the variants, {with_variants:.1f} s with them: +{100 * (with_variants - without) / without:.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="read the sweep already in --workdir instead of running it")
    args = parser.parse_args()
    if not (SHARED / "norquad").exists():
        sys.exit(f"needs {SHARED / 'norquad'}")
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="serving-bench-"))).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run_sweep(args)
    compare_picks(args)
    time_one_evaluation(args)


if __name__ == "__main__":
    main()
