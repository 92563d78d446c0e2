"""Search efficiency on NorQuAD: full grid vs grid+ASHA vs Optuna(TPE)+ASHA over one space; or, with
--stopping-and-warm-starts, what `stop_when: noise` saves and what `warm_start` buys, over 3 seeds.

    python benchmarks/search_efficiency.py [--rows 256] [--optuna-trials 4]
    python benchmarks/search_efficiency.py --stopping-and-warm-starts [--seeds 1 2 3] [--trials 8] [--rows 128]

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
  max_test_queries: 200
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
    run_cli(sweep_file, name, label, args, workdir)
    return summarize(workdir / "mlflow.db", name)


def run_cli(sweep_file: Path, name: str, label: str, args, workdir: Path) -> str:
    """`sweeps.run` on the file, or nothing where --reuse finds it finished; its printed lines ("" when reused)."""
    if args.reuse and _finished(workdir / "mlflow.db", name):
        print(f"  reusing the finished {name} sweep in {workdir}", flush=True)
        return ""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    completed = subprocess.run([sys.executable, "-m", "sweeps.run", str(sweep_file)], cwd=workdir, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{label} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return completed.stdout


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


NOISE_SPACE = """
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  learning_rate: {{distribution: log_uniform_values, min: 5.0e-6, max: 5.0e-4}}
  per_device_train_batch_size: {{values: [16, 32]}}
  num_train_epochs: {{value: 1}}
  warmup_ratio: {{value: 0.1}}
"""


def stopping_and_warm_starts(args, workdir: Path) -> None:
    """Per seed, three Optuna (TPE) sweeps of `--trials` trials on rows and eval queries drawn by that seed: `full`,
    the same with `stop_when: noise` (the same seed draws the same suggestions, so it is the full sweep's prefix, cut
    where the rule stops it), and `warm`, warm-started from the next seed's full sweep (other rows, other eval queries).
    (a) trial-seconds saved by the noise stop, and the test NDCG@10 of its pick against the full sweep's pick;
    (b) how many trials the warm and the full (cold) sweep each need to come within 0.01 eval NDCG@10 of their own best."""
    seeds = args.seeds
    for seed in seeds:
        run_sweep_file(f"full-{seed}", seed, "", args, workdir)
    for seed in seeds:
        run_sweep_file(f"noise-{seed}", seed, "stop_when: noise", args, workdir)
    for index, seed in enumerate(seeds):
        source = f"full-{seeds[(index + 1) % len(seeds)]}"
        run_sweep_file(f"warm-{seed}", seed, f"warm_start: {{from: {source}, top_k: 3}}", args, workdir)
    print(f"\nNorQuAD, MiniLM, {args.rows} training rows per seed, {NOISE_EVALUATIONS} evaluations per trial, Optuna TPE over "
          f"lr (log 5e-6..5e-4) x batch (16, 32), {args.trials} trials per full sweep, one at a time")
    print("(a) stop_when: noise against the full budget")
    print(f"{'seed':>4} {'trials':>6} {'of':>3} {'trial-s':>8} {'of':>8} {'saved':>6} {'test NDCG@10':>12} {'full':>7} {'lost':>7}")
    saved, lost = [], []
    for seed in seeds:
        full, noise = trial_rows(workdir, f"full-{seed}"), trial_rows(workdir, f"noise-{seed}")
        full_s, noise_s = sum(r["seconds"] for r in full), sum(r["seconds"] for r in noise)
        full_pick, noise_pick = pick(full)["test"], pick(noise)["test"]
        saved.append(1 - noise_s / full_s)
        lost.append(full_pick - noise_pick)
        print(f"{seed:>4} {len(noise):>6} {len(full):>3} {noise_s:>8.0f} {full_s:>8.0f} {saved[-1]:>6.0%} {noise_pick:>12.4f} {full_pick:>7.4f} {lost[-1]:>+7.4f}")
    print(f"mean: {sum(saved) / len(saved):.0%} of the trial-seconds saved, {sum(lost) / len(lost):+.4f} test NDCG@10 lost "
          "(goal: >= 30% saved at <= 0.005 lost)")
    print("(b) trials needed to come within 0.01 eval NDCG@10 of the sweep's own best")
    print(f"{'seed':>4} {'cold':>5} {'warm':>5} {'cold best':>9} {'warm best':>9}")
    for seed in seeds:
        cold, warm = trial_rows(workdir, f"full-{seed}"), trial_rows(workdir, f"warm-{seed}")
        print(f"{seed:>4} {trials_to_near_best(cold):>5} {trials_to_near_best(warm):>5} {pick(cold)['eval']:>9.4f} {pick(warm)['eval']:>9.4f}")


NOISE_EVALUATIONS = 2


def run_sweep_file(name: str, seed: int, extra: str, args, workdir: Path) -> None:
    sweep_file = workdir / f"{name}.yaml"
    text = SWEEP.format(name=name, method="optuna", evaluations=NOISE_EVALUATIONS, extra=f"run_cap: {args.trials}\n{extra}", data=NORQUAD,
                        rows=args.rows, space=NOISE_SPACE.format(), workdir=workdir).replace("seed: 42", f"seed: {seed}")
    sweep_file.write_text(text)
    print(f"running {name} ...", flush=True)
    for line in run_cli(sweep_file, name, name, args, workdir).splitlines():
        if line.startswith(("stop_when", "warm start")):
            print(f"  {line}", flush=True)


def trial_rows(workdir: Path, experiment: str) -> list[dict]:
    """The sweep's trials in the order they started: eval and test NDCG@10 of the kept checkpoint, wall seconds."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{workdir / 'mlflow.db'}")
    runs = client.search_runs([client.get_experiment_by_name(experiment).experiment_id], filter_string="tags.`sweeps.role` = 'trial'")
    runs.sort(key=lambda run: run.info.start_time)
    return [{"eval": run.data.metrics.get("best_ndcg_at_10", float("nan")), "test": run.data.metrics.get("test_ndcg_at_10", float("nan")),
             "seconds": (run.info.end_time - run.info.start_time) / 1000, "finished": run.info.status == "FINISHED"} for run in runs]


def pick(rows: list[dict]) -> dict:
    return max((row for row in rows if row["finished"]), key=lambda row: row["eval"])


def trials_to_near_best(rows: list[dict], within: float = 0.01) -> int:
    best = pick(rows)["eval"]
    so_far = float("-inf")
    for count, row in enumerate(rows, start=1):
        if row["finished"]:
            so_far = max(so_far, row["eval"])
        if so_far >= best - within:
            return count
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=256, help="training rows per trial")
    parser.add_argument("--optuna-trials", type=int, default=4, help="run_cap of the Optuna sweep")
    parser.add_argument("--workdir", type=Path, help="keep the sweeps' MLflow store and Ray results here (default: a temp folder)")
    parser.add_argument("--reuse", action="store_true", help="with --workdir: summarize strategies whose sweep already finished there")
    parser.add_argument("--stopping-and-warm-starts", action="store_true", help="(a) stop_when: noise and (b) warm_start, over --seeds")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--trials", type=int, default=8, help="run_cap of each full sweep")
    args = parser.parse_args()
    if not NORQUAD.exists():
        sys.exit(f"needs {NORQUAD}")
    if args.stopping_and_warm_starts:
        if args.rows == parser.get_default("rows"):
            args.rows = 128
        with tempfile.TemporaryDirectory() as scratch:
            workdir = args.workdir or Path(scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            stopping_and_warm_starts(args, workdir)
        return
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
