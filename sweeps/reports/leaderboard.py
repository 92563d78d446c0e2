"""The table printed at the end of a sweep: every child run, best first."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from sweeps.ranking import beats, creation_order, ranked
from sweeps.significance import paired_p_value, per_query_scores
from trainables.contract import mlflow_names as names
from trainables.contract.metrics import CI_HIGH_SUFFIX, CI_LOW_SUFFIX, DROP, GUARD_PREFIX, TEST_PREFIX, curve_key, guard_key, ranking_key
from trainables.contract.report_keys import GUARD_EXCEEDED
from trainables.contract.serving import split_variant_key
from trainables.contract.tasks import RETRIEVAL, TASKS, Task


def leaderboard_columns(metric_key: str, task: Task = TASKS[RETRIEVAL], guards: list = (), also: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Beside the sweep's metric (eval): its task's headline companions and the sweep's `metric.also` (eval), the metric
    and the first companion other than it on test, and each guard's drop."""
    companions = [key for key in (*task.companion_metrics, *also) if key != metric_key]
    tested = [metric_key, *companions[:1]]
    return tuple(dict.fromkeys((metric_key, *companions, *(TEST_PREFIX + key for key in tested), *(guard_key(g.name, DROP) for g in guards))))


def leaderboard_rows(children: list, metric_key: str, mode: str, columns: tuple[str, ...] = ()) -> list[dict]:
    """Ranked by the kept checkpoint's eval metric; a stopped trial (no kept checkpoint) by its last one."""
    columns = columns or leaderboard_columns(metric_key)
    rows = []
    for run in children:
        metrics = run.data.metrics
        rows.append({
            "run": run.info.run_name,
            "run_id": run.info.run_id,
            "trial_id": run.data.tags.get(names.TRIAL_ID, ""),
            "sequence": run.data.tags.get(names.SEQUENCE),
            "role": run.data.tags.get(names.ROLE, names.TRIAL_ROLE),
            "status": "STOPPED" if run.data.tags.get(names.OUTCOME) == names.STOPPED_EARLY else run.info.status,
            "params": dict(run.data.params),
            "encoding": run.data.tags.get(names.ENCODING),
            metric_key: metrics.get(ranking_key(metric_key), metrics.get(curve_key(metric_key))),
            # Test figures and guard drops are logged once, under their own names; eval ones as best_ (else the last curve point).
            **{key: metrics.get(key) if key.startswith((TEST_PREFIX, GUARD_PREFIX)) else metrics.get(ranking_key(key), metrics.get(curve_key(key)))
               for key in columns if key != metric_key},
            **{key + end: metrics.get(key + end) for key in columns if key.startswith(TEST_PREFIX) for end in (CI_LOW_SUFFIX, CI_HIGH_SUFFIX)},
            GUARD_EXCEEDED: run.data.tags.get(names.GUARD_EXCEEDED),
            names.SOUP_VS_BEST: run.data.tags.get(names.SOUP_VS_BEST),
        })
    # A run that failed, or was cut off, keeps its figures on the board but never ranks above a sound one.
    return ranked(rows, lambda row: row[metric_key] if row["status"] in RANKED_STATUSES else None,
                  lambda row: creation_order(row["sequence"], row["trial_id"]), mode)


RANKED_STATUSES = ("FINISHED", "STOPPED")


def mark_the_noise(rows: list[dict], client, metric_key: str, alpha: float) -> list[dict]:
    """Each finished run's `vs_best`: whether its kept checkpoint's eval scores can be told apart from the best run's,
    by a paired randomization test over the same eval queries ("best", "≈ p=0.41", "worse p=0.003"). The soup's says
    how it compares with the best trial, as the soup step tested it."""
    finished = [row for row in rows if row["status"] == "FINISHED" and row[metric_key] is not None]
    for row in finished:
        if row["role"] == names.SOUP_ROLE and row.get(names.SOUP_VS_BEST):
            row["vs_best"] = row[names.SOUP_VS_BEST]
    if len(finished) < 2:
        return rows
    best = finished[0]
    best_scores = per_query_scores(client, best["run_id"], "eval", metric_key)
    best["vs_best"] = f"best; {best['vs_best']}" if best.get("vs_best") else "best"  # a soup on top keeps its own test
    for row in finished[1:]:
        if row["role"] == names.SOUP_ROLE:
            continue
        scores = per_query_scores(client, row["run_id"], "eval", metric_key)
        if best_scores is None or scores is None:
            continue
        p_value, _ = paired_p_value(scores, best_scores, metric_key)
        row["vs_best"] = f"≈ p={p_value:.2f}" if p_value >= alpha else f"worse p={p_value:.3f}"
    return rows


def print_leaderboard(console: Console, rows: list[dict], metric_key: str, columns: tuple[str, ...] = ()) -> None:
    varying = sorted({name for row in rows for name in row["params"] if len({r["params"].get(name) for r in rows if r["role"] == names.TRIAL_ROLE}) > 1})
    base, served = split_variant_key(metric_key)
    picked = f"; picked by {base} at {served.label} ({metric_key}), as served" if served is not None else ""
    table = Table(title="leaderboard (eval split, each trial's kept checkpoint; test shown for reference, never used to pick; "
                        f"≈: can't be told from the best{picked})", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("run")
    table.add_column("status")
    for name in varying:
        table.add_column(name)
    metric_columns = list(columns or leaderboard_columns(metric_key))
    for column in metric_columns:
        table.add_column(column, justify="right")
    marked = any(row.get("vs_best") for row in rows)
    if marked:
        table.add_column("vs best (eval, paired)")
    for rank, row in enumerate(rows, start=1):
        label = {names.BASELINE_ROLE: f"{row['run']} (untrained)", names.SOUP_ROLE: f"{row['run']} ({_recipe(row['params'])})"}.get(row["role"], row["run"])
        params = [shown_parameter(row["params"].get(name, "")) if row["role"] == names.TRIAL_ROLE else "" for name in varying]
        values = [shown_metric(row, column) for column in metric_columns]
        status = f"{row['status']} over a guard" if row.get(GUARD_EXCEEDED) else row["status"]
        table.add_row(str(rank), label, status, *params, *values, *([row.get("vs_best", "")] if marked else []))
    console.print(table)


def _recipe(params: dict) -> str:
    """A soup's recipe in a few words: how many trials, and the blend with the base."""
    ingredients = [name for name in params.get(names.SoupParam.INGREDIENTS, "").split(",") if name]
    alpha = float(params.get(names.SoupParam.BLEND_BASE_ALPHA, 0) or 0)
    return f"{len(ingredients)} trial{'s' * (len(ingredients) != 1)}{f', α {alpha:g} base' if alpha else ''}"


def shown_metric(row: dict, column: str) -> str:
    """4 decimals; a test figure with its 95% interval over the test queries beside it."""
    value = row.get(column)
    if value is None:
        return ""
    low, high = row.get(column + CI_LOW_SUFFIX), row.get(column + CI_HIGH_SUFFIX)
    return f"{value:.4f} [{low:.3f}, {high:.3f}]" if low is not None and high is not None else f"{value:.4f}"


def guard_lines(rows: list[dict]) -> list[str]:
    """One line per trial over a guard's max_drop, with the figures: forgetting said where people look, not only at promotion."""
    return [f"guard: {row['run']} forgot too much: {row[GUARD_EXCEEDED]}" for row in rows
            if row["role"] in names.PROMOTABLE_ROLES and row.get(GUARD_EXCEEDED)]


def shown_parameter(value: str) -> str:
    """A logged parameter as a person reads it: a fraction at 4 significant digits (MLflow logs 2.3578730726467393e-05,
    the table shows 2.358e-05), whole numbers and words as they are, anything long cut to its end."""
    try:
        number = float(value)
    except ValueError:
        return value if len(value) <= 40 else "…" + value[-39:]
    return value if number.is_integer() and "e" not in value.lower() else f"{number:.4g}"


def fine_tuning_hurt(rows: list[dict], metric_key: str, mode: str) -> str | None:
    """One line when no finished trial beats the untrained baseline it shares its settings with, on the eval metric."""
    baselines = {row["encoding"]: row for row in rows if row["role"] == names.BASELINE_ROLE and row[metric_key] is not None}
    pairs = [(row, baselines[row["encoding"]]) for row in rows
             if row["role"] == names.TRIAL_ROLE and row["status"] == "FINISHED" and row[metric_key] is not None and row["encoding"] in baselines]
    if not pairs or any(beats(trial[metric_key], baseline[metric_key], mode) for trial, baseline in pairs):
        return None
    trial, baseline = pairs[0]  # rows are ranked: the best trial
    return (f"warning: no trial beats its untrained baseline on eval {metric_key}: the best, {trial['run']}, has "
            f"{trial[metric_key]:.4f} against {baseline['run']}'s {baseline[metric_key]:.4f}; fine-tuning hurt "
            "(look at the learning rate, the loss and the training data)")
