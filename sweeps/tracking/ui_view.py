"""What the MLflow UI (3.x) shows of a sweep: the model-training view, and a shared view of the runs table with the
sweep's metric, the swept parameters and how each trial ended as columns, sorted by the metric.

MLflow keeps a runs table's columns in the browser (local storage), so a new user sees no metric column. Its
"Share" button stores a view as the experiment tag `mlflow.sharedViewState.<key>`, which the page opens for
`?viewStateShareKey=<key>`; the sweep writes that tag itself and prints the link. `workflowType=machine_learning`
opens the page in the model-training view instead of the GenAI one; `mlflow.experimentKind` says the same to
the experiment list.
"""

from __future__ import annotations

import json
import re

from trainables.contract import mlflow_names as names
from trainables.contract.metrics import TEST_PREFIX, curve_key, ranking_key

MODEL_TRAINING = "custom_model_development"


def view_key(sweep_name: str, parent_run_id: str) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]', '-', sweep_name)}-{parent_run_id[:8]}"


def runs_view(parent_run_id: str, metric_key: str, goal_is_max: bool, parameters: list[str]) -> dict:
    """The runs table's state as MLflow's Share button writes it: this sweep's trials and baselines, best first, with
    the metric (last evaluation, the kept checkpoint's, test), how each ended, and the swept parameters. Filtered by
    the parent run, not the sweep's name: a re-run of the same file is another sweep, with its own link."""
    columns = [f"metrics.`{key}`" for key in (ranking_key(metric_key), curve_key(metric_key), TEST_PREFIX + metric_key)]
    columns += [f"tags.`{names.ENDED}`"] + [f"params.`{name}`" for name in parameters]
    return {"orderByKey": f"metrics.`{ranking_key(metric_key)}`", "orderByAsc": not goal_is_max,
            "searchFilter": f"tags.`{names.PARENT_RUN_ID}` = '{parent_run_id}'", "selectedColumns": columns}


def show_sweep_in_ui(client, experiment_id: str, key: str, view: dict) -> None:
    client.set_experiment_tag(experiment_id, names.EXPERIMENT_KIND, MODEL_TRAINING)
    client.set_experiment_tag(experiment_id, names.SHARED_VIEW_PREFIX + key, json.dumps(view))


def runs_page(base_url: str, experiment_id: str, key: str) -> str:
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?workflowType=machine_learning&viewStateShareKey={key}"
