"""The search's own picture, logged to the parent run at the end of a sweep.

Every method (grid, random, Optuna) is replayed into an Optuna study, so one set of plots serves all:
optimisation history, learning curves, parameter importances and parallel coordinates, as one
self-contained HTML page (interactive, works offline) and one PNG each; plus the leaderboard table.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from search_spaces.space import choice_label, optuna_distributions
from sweeps.reports.budget import budget_use
from sweeps.reports.compute_plot import plot_compute
from sweeps.reports.forgetting_plot import plot_forgetting
from trainables.contract.goal import Goal
from trainables.contract.mlflow_names import SEARCH_ARTIFACTS
from trainables.contract.report_keys import EVALUATION, FINAL, OUTCOME

PLOTS = ("optimization_history", "intermediate_values", "param_importances", "parallel_coordinate")
# fANOVA on fewer finished trials ranks parameters by noise; below this, the plot is replaced by a line saying so.
MIN_TRIALS_FOR_IMPORTANCES = 8
STOPPED_LABEL = "stopped early (pruned): last evaluation"


def study_from_results(results, plan, metric_key: str, mode: str):
    """An in-memory Optuna study holding each Tune trial: COMPLETE, PRUNED (stopped early) or FAIL."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = optuna_distributions(plan.parameters)
    study = optuna.create_study(direction=Goal(mode).optuna_direction, study_name=metric_key)
    for result in results:
        params = {name: choice_label(value) for name, value in (result.config or {}).items() if name in distributions}
        metrics = result.metrics or {}
        intermediate = {}
        frame = result.metrics_dataframe
        if frame is not None and metric_key in frame and EVALUATION in frame:
            for evaluation, value in zip(frame[EVALUATION], frame[metric_key]):
                if value == value and evaluation == evaluation:  # NaN-safe
                    intermediate[int(evaluation)] = float(value)
        if result.error is not None or metrics.get(OUTCOME):  # raised, or stopped for a NaN loss
            state, value = TrialState.FAIL, None
        elif metrics.get(FINAL) and metrics.get(metric_key) is not None:
            state, value = TrialState.COMPLETE, float(metrics[metric_key])
        else:
            state, value = TrialState.PRUNED, None
        study.add_trial(create_trial(params=params, distributions={name: distributions[name] for name in params},
                                     value=value, state=state, intermediate_values=intermediate))
    return study


def render_plots(study, folder: Path) -> tuple[list[Path], list[str]]:
    """PNG per plot plus one HTML page; returns the files and a reason for each plot that couldn't be drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization as interactive
    import optuna.visualization.matplotlib as static

    from optuna.trial import TrialState

    finished = len(study.get_trials(states=(TrialState.COMPLETE,)))
    files, skipped, sections = [], [], []
    for index, name in enumerate(PLOTS):
        if name == "param_importances" and finished < MIN_TRIALS_FOR_IMPORTANCES:
            skipped.append(f"{name} (needs {MIN_TRIALS_FOR_IMPORTANCES} finished trials to tell a parameter's effect from noise, "
                           f"got {finished})")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                figure = getattr(interactive, f"plot_{name}")(study)
                axes = getattr(static, f"plot_{name}")(study)
        except Exception as error:  # too few finished trials, nothing varied: say so, keep the rest
            skipped.append(f"{name} ({str(error).splitlines()[0] if str(error) else type(error).__name__})")
            continue
        if name == "optimization_history":
            _add_stopped_trials(study, figure, axes)
        image = axes if hasattr(axes, "savefig") else (axes.flat[0] if hasattr(axes, "flat") else axes).figure
        png = folder / f"{name}.png"
        image.savefig(png, dpi=110, bbox_inches="tight")
        plt.close("all")
        files.append(png)
        sections.append(figure.to_html(full_html=False, include_plotlyjs=not sections))
    if sections:
        page = folder / "search_report.html"
        page.write_text(f"<html><head><meta charset='utf-8'><title>{study.study_name}</title></head><body>"
                        + "\n".join(sections) + "</body></html>", encoding="utf-8")
        files.append(page)
    return files, skipped


def _add_stopped_trials(study, figure, axes) -> None:
    """Optuna's history draws finished trials only; a stopped trial is drawn too, at its last evaluation's value."""
    from optuna.trial import TrialState

    stopped = [(trial.number, trial.intermediate_values[max(trial.intermediate_values)])
               for trial in study.get_trials(states=(TrialState.PRUNED,)) if trial.intermediate_values]
    if not stopped:
        return
    numbers, values = zip(*stopped)
    figure.add_scatter(x=list(numbers), y=list(values), mode="markers", name=STOPPED_LABEL, marker={"symbol": "x", "color": "grey"})
    axes.scatter(numbers, values, marker="x", color="grey", label=STOPPED_LABEL)
    axes.legend()


def log_search_report(sweep_run, results, config, plan, rows: list[dict], children: list, say, trial_weight: float = 1.0) -> None:
    """The plots, and the leaderboard's `rows` (as printed) as csv and json, on the parent run. `trial_weight`: what an
    hour of one trial counts against the budget (sweeps.search.trial_hours)."""
    import pandas as pd

    from trainables.contract import mlflow_names as names

    study = study_from_results(results, plan, config.metric.key, config.metric.mode)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files, skipped = render_plots(study, folder)
        forgetting = plot_forgetting(children, config.metric.key, config.guard, folder) if config.guard else None
        files += [forgetting] if forgetting else []
        budget = budget_use(results, config, plan.num_samples, trial_weight)
        stopped_by = ("stop_when noise" if names.NOISE_STOP in sweep_run.client.get_run(sweep_run.run_id).data.tags else
                      "the budget" if budget is not None and budget.stopped else None)
        compute = plot_compute(results, config.metric.key, config.metric.mode, trial_weight,
                               config.budget.trial_hours if config.budget else None, stopped_by, folder)
        files += [compute] if compute else []
        if config.serving is not None:
            from sweeps.reports.serving_plot import plot_serving

            serving = plot_serving(children, config.metric.base_key, config.serving.variants, config.metric.variant,
                                   config.metric.mode.maximizes, folder)
            files += [serving] if serving else []
        for file in files:
            sweep_run.log_artifact(str(file), SEARCH_ARTIFACTS)
        table = pd.DataFrame([{key: value for key, value in row.items() if key != "params"} | row["params"] for row in rows])
        table.to_csv(folder / "leaderboard.csv", index=False)
        sweep_run.log_artifact(str(folder / "leaderboard.csv"), SEARCH_ARTIFACTS)
        sweep_run.log_table(table, f"{SEARCH_ARTIFACTS}/leaderboard.json")
    drawn = ", ".join(file.name for file in files) or "no plots"
    say(f"search report: {drawn} logged to the parent run" + (f"; skipped {'; '.join(skipped)}" if skipped else ""))
