"""Promote a sweep's best trial: register its model and point an alias (`champion`) at it, guarded.

Guards: only a FINISHED trial that ran to the end and has a logged model; never one whose test
score is not better than the current champion's on the same test data (unless forced, which is
recorded). Promoting the run that already holds the alias, or one already registered, adds no version.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import time
from dataclasses import dataclass, field

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from sweeps.errors import did_you_mean
from sweeps.ranking import beats, creation_order, ranked
from sweeps.significance import paired_p_value, per_query_scores
from sweeps.sweep_file.schema import MetricConfig, PromoteConfig, default_registered_model
from trainables.contract import mlflow_names as names
from trainables.contract.metrics import BEST_PREFIX, CI_HIGH_SUFFIX, CI_LOW_SUFFIX, TEST_PREFIX, ranking_key
from trainables.contract.serving import split_variant_key
from trainables.contract.tasks import RETRIEVAL, TASKS


class PromotionError(ValueError):
    """Bad input: no such sweep, nothing to promote. Exit code 2."""


@dataclass
class Decision:
    action: str  # "register", "no-op", "refuse"
    reason: str
    name: str
    alias: str
    candidate: object = None
    champion: object = None  # the model version holding the alias now
    existing_version: object = None  # the candidate's own version, when already registered
    tags: dict = field(default_factory=dict)
    passed_over: list[str] = field(default_factory=list)  # better trials over a guard's max_drop, and why


def find_sweep(client: MlflowClient, sweep: str):
    """The parent run named `sweep` (the most recent of that name), or the parent run with that id."""
    try:
        run = client.get_run(sweep)
        if run.data.tags.get(names.ROLE) == names.SWEEP_ROLE:
            return run
    except MlflowException:
        pass
    experiments = [e.experiment_id for e in client.search_experiments()]
    parents = client.search_runs(experiments, filter_string=f"tags.`{names.ROLE}` = '{names.SWEEP_ROLE}'", order_by=["attributes.start_time DESC"], max_results=1000)
    named = [run for run in parents if run.info.run_name == sweep]
    if not named:
        known = sorted({run.info.run_name for run in parents})
        raise PromotionError(f"`SWEEP` must be a sweep name or parent run id in this MLflow store (sweeps here: {known}), but got {sweep!r}")
    return named[0]


def decide(client: MlflowClient, sweep: str, name: str | None = None, alias: str | None = None, force: bool = False,
           alpha: float | None = None, run: str | None = None) -> Decision:
    """`run`: a run of the sweep to promote (its name or id: a trial, the soup) in place of the best; every guard holds."""
    parent = find_sweep(client, sweep)
    tags = parent.data.tags
    metric = tags.get(names.METRIC, TASKS[RETRIEVAL].default_metric)  # sweeps from before tasks were retrieval sweeps
    mode = MetricConfig(goal=tags.get(names.GOAL, MetricConfig().goal)).mode
    name = name or tags.get(names.REGISTERED_MODEL) or default_registered_model(parent.info.run_name)
    alias = alias or tags.get(names.ALIAS, PromoteConfig().alias)
    alpha = alpha or float(tags.get(names.ALPHA, PromoteConfig().alpha))
    children = client.search_runs([parent.info.experiment_id], filter_string=f"tags.`{names.PARENT_RUN_ID}` = '{parent.info.run_id}'", max_results=5000)
    eligible = [run for run in children if run.data.tags.get(names.ROLE) in names.PROMOTABLE_ROLES and run.info.status == "FINISHED"
                and run.data.tags.get(names.OUTCOME) != names.STOPPED_EARLY and _value(run, ranking_key(metric)) is not None]
    if not eligible:
        statuses = sorted(f"{run.info.run_name}={run.info.status}" for run in children if run.data.tags.get(names.ROLE) == names.TRIAL_ROLE)
        raise PromotionError(f"sweep {parent.info.run_name!r} must have a FINISHED trial to promote, but got {statuses or 'no trials'}")
    in_order = ranked(eligible, lambda run: _value(run, ranking_key(metric)),
                      lambda run: creation_order(run.data.tags.get(names.SEQUENCE), run.data.tags.get(names.TRIAL_ID)), mode)
    if run is not None:
        named = [candidate for candidate in in_order if run in (candidate.info.run_name, candidate.info.run_id)]
        if not named:
            known = [candidate.info.run_name for candidate in in_order]
            raise PromotionError(f"`--run` must name a finished trial or soup of sweep {parent.info.run_name!r} ({', '.join(known)}), "
                                 f"but got {run!r}{did_you_mean(run, known)}")
        in_order = named
    within = [run for run in in_order if not run.data.tags.get(names.GUARD_EXCEEDED)]
    candidate = within[0] if within else in_order[0]
    better_but_over = in_order[:in_order.index(candidate)] if within else in_order
    passed_over = [f"{run.info.run_name}: {run.data.tags[names.GUARD_EXCEEDED]}" for run in better_but_over]
    decision = Decision("register", "", name, alias, candidate, tags=_version_tags(parent, candidate, metric), passed_over=passed_over)
    if not within:
        over = f"every finished trial is over a guard's max_drop (the best, {candidate.data.tags[names.GUARD_EXCEEDED]})"
        if not force:
            return _refuse(decision, over + "; --force to promote the best anyway")
        decision.tags[names.VERSION_FORCED] = f"true: {over}"
    if candidate.data.tags.get(names.MODEL_LOGGED) != "true":
        return _refuse(decision, f"the best trial {candidate.info.run_name} has no logged model: {_why_no_model(parent, children)}")
    behind_baseline = _not_better_than_baseline(client, candidate, children, metric, mode, alpha)
    if behind_baseline and not force:
        return _refuse(decision, behind_baseline + "; --force to promote anyway")
    if behind_baseline:
        decision.tags[names.VERSION_FORCED] = "; ".join(filter(None, [decision.tags.get(names.VERSION_FORCED), f"true: {behind_baseline}"]))
    decision.champion = _version_by_alias(client, name, alias)
    decision.existing_version = next(iter(client.search_model_versions(f"name = '{name}' and run_id = '{candidate.info.run_id}'")), None)
    if decision.champion is not None and decision.champion.run_id == candidate.info.run_id:
        decision.action, decision.reason = "no-op", f"{candidate.info.run_name} is already {name}@{alias} (version {decision.champion.version})"
        return decision
    if decision.champion is not None:
        problem = _not_better(client, decision.champion, candidate, metric, mode, alpha)
        if problem and not force:
            return _refuse(decision, problem + "; --force to promote anyway")
        if problem:
            decision.tags[names.VERSION_FORCED] = "; ".join(filter(None, [decision.tags.get(names.VERSION_FORCED), f"true: {problem}"]))
    test_key = TEST_PREFIX + metric
    decision.reason = (f"{candidate.info.run_name} ({ranking_key(metric)}={_value(candidate, ranking_key(metric)):.4f}, "
                       f"{test_key}={_fmt(_value(candidate, test_key))}) becomes {name}@{alias}")
    return decision


def apply(client: MlflowClient, decision: Decision):
    """Register (unless the run already has a version) and move the alias. Returns the model version."""
    import mlflow

    if decision.action != "register":
        return decision.champion
    version = decision.existing_version
    if version is None:
        try:
            client.get_registered_model(decision.name)
        except MlflowException:
            client.create_registered_model(decision.name, description="Promoted by embedding-sweeps (python -m sweeps.promote).")
        mlflow.set_tracking_uri(client.tracking_uri)
        run_id = decision.candidate.info.run_id
        with contextlib.redirect_stderr(io.StringIO()):  # MLflow's "Registered model … already exists": we made it just above
            version = mlflow.register_model(f"runs:/{run_id}/{names.MODEL_ARTIFACT}", decision.name, tags=decision.tags)
        # Check-and-set for promotes on two machines (the file lock holds on one): the run's lowest version stays, ours goes.
        twins = sorted(client.search_model_versions(f"name = '{decision.name}' and run_id = '{run_id}'"), key=lambda twin: int(twin.version))
        if twins and twins[0].version != version.version:
            client.delete_model_version(decision.name, version.version)
            version = twins[0]
    else:
        for key, value in decision.tags.items():
            client.set_model_version_tag(decision.name, version.version, key, value)
    client.set_registered_model_alias(decision.name, decision.alias, version.version)
    return client.get_model_version(decision.name, version.version)


def _not_better(client: MlflowClient, champion, candidate, metric: str, mode: str, alpha: float) -> str | None:
    test_key = TEST_PREFIX + metric
    theirs, ours = champion.tags.get(names.VERSION_METRIC_PREFIX + test_key), _value(candidate, test_key)
    fingerprint, champions = candidate.data.tags.get(names.DATA_FINGERPRINT), champion.tags.get(names.DATA_FINGERPRINT)
    if champions != fingerprint:
        return (f"the champion (version {champion.version}) was tested on other data (fingerprint "
                f"{champions} vs {fingerprint}), so the test scores can't be compared")
    if theirs is None or ours is None:
        return f"{test_key} is missing on the candidate or the champion (version {champion.version})"
    return _paired_verdict(client, candidate, champion.run_id, metric, ours, float(theirs), mode, alpha,
                           f"the champion's (version {champion.version})", "is not better than", " on the same test data", "")


def _paired_verdict(client: MlflowClient, candidate, other_run_id: str, metric: str, ours: float, theirs: float, mode: str, alpha: float,
                    other: str, not_better: str, without_scores: str, worse: str) -> str | None:
    """Why `candidate` does not beat `other` (the champion, its untrained baseline) on the same test queries, or None: a
    paired randomization test at `alpha` over their per-query scores (the means alone for runs from before those)."""
    test_key = TEST_PREFIX + metric
    better = beats(ours, theirs, mode)
    verdict = f"{candidate.info.run_name} {test_key}={ours:.4f} {not_better} {other} {theirs:.4f}"
    candidates, others = (per_query_scores(client, run_id, "test", metric) for run_id in (candidate.info.run_id, other_run_id))
    if candidates is None or others is None:
        return None if better else verdict + without_scores
    p_value, queries = paired_p_value(candidates, others, metric)
    test = f"p={p_value:.3f}, paired randomization test over the same {queries} test queries"
    if not better:
        return f"{verdict} ({test}){worse}"
    if p_value >= alpha:
        return f"{candidate.info.run_name} {test_key}={ours:.4f} is not significantly better than {other} {theirs:.4f} ({test}; alpha {alpha})"
    return None


def _version_tags(parent, candidate, metric: str) -> dict:
    params = candidate.data.params
    tags = {
        names.VERSION_SWEEP: parent.info.run_name, names.VERSION_SWEEP_RUN_ID: parent.info.run_id,
        names.VERSION_TRIAL: candidate.info.run_name, names.VERSION_TRIAL_RUN_ID: candidate.info.run_id,
        names.VERSION_BASE_MODEL: params.get("base_model", ""), names.VERSION_LOSS: params.get("loss", ""),
        names.VERSION_HYPERPARAMETERS: json.dumps(dict(sorted(params.items())))[:5000],
        names.DATA_FINGERPRINT: candidate.data.tags.get(names.DATA_FINGERPRINT, ""),
        names.METRIC: metric, names.VERSION_PROMOTED_AT: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    served = split_variant_key(metric)[1]
    if served is not None:  # the size the model encodes to, and the precision its index is to hold
        tags[names.VERSION_SERVING_DIM], tags[names.VERSION_SERVING_PRECISION] = str(served.dim), served.precision
    for key, value in candidate.data.metrics.items():
        # full-size figures and the picking variant's: the other variants stay on the run
        if key.startswith((BEST_PREFIX, TEST_PREFIX)) and split_variant_key(_without_interval(key))[1] in (None, served):
            tags[names.VERSION_METRIC_PREFIX + key] = repr(value)
    return tags


def _without_interval(key: str) -> str:
    return key.removesuffix(CI_LOW_SUFFIX).removesuffix(CI_HIGH_SUFFIX)


def _not_better_than_baseline(client: MlflowClient, candidate, children, metric: str, mode: str, alpha: float) -> str | None:
    """Why the candidate does not beat the untrained model it was measured against (same encoding), or None. The same
    paired test at `alpha` over the same test queries as against a champion: a point ahead inside the noise is no win."""
    test_key = TEST_PREFIX + metric
    encoding = candidate.data.tags.get(names.ENCODING)
    baseline = next((run for run in children if run.data.tags.get(names.ROLE) == names.BASELINE_ROLE
                     and encoding is not None and run.data.tags.get(names.ENCODING) == encoding), None)
    if baseline is None or _value(baseline, test_key) is None or _value(candidate, test_key) is None:
        return None
    return _paired_verdict(client, candidate, baseline.info.run_id, metric, _value(candidate, test_key), _value(baseline, test_key), mode,
                           alpha, f"its untrained baseline ({baseline.info.run_name})", "does not beat", ": fine-tuning did not help",
                           ": fine-tuning did not help")


def _why_no_model(parent, children) -> str:
    if parent.data.params.get(names.ParentParam.KEEP_MODELS) == "0":
        return "the sweep kept no models (keep_models: 0)"
    if parent.info.status != "FINISHED":
        return f"the sweep is {parent.info.status}, and kept models are logged when it ends (carry on with --resume)"
    logged = sorted(run.info.run_name for run in children if run.data.tags.get(names.MODEL_LOGGED) == "true")
    return f"the sweep logged models for {logged or 'no trial'}"


def _version_by_alias(client: MlflowClient, name: str, alias: str):
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def _refuse(decision: Decision, reason: str) -> Decision:
    decision.action, decision.reason = "refuse", reason
    return decision


def _value(run, key: str) -> float | None:
    value = run.data.metrics.get(key)
    return None if value is None or math.isnan(value) else value


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
