"""Every `sweeps.*` MLflow tag the runner writes or reads, and the artifact names: defined once, for the
driver and the trial alike."""

from __future__ import annotations

from enum import StrEnum

# On every run of a sweep
ROLE = "sweeps.role"  # one of the roles below
SWEEP = "sweeps.sweep"  # the sweep's name, on each child run


class RunRole(StrEnum):
    """What a run of the sweep is (its `sweeps.role`)."""

    SWEEP = "sweep"  # the parent run
    TRIAL = "trial"
    BASELINE = "baseline"  # a base model judged untrained
    SOUP = "soup"  # the best trials' weights averaged after the trials (sweeps/soups/), judged like a trial


SWEEP_ROLE, TRIAL_ROLE, BASELINE_ROLE, SOUP_ROLE = RunRole.SWEEP, RunRole.TRIAL, RunRole.BASELINE, RunRole.SOUP
# The runs promotion may pick: a trial's kept checkpoint, or the sweep's soup
PROMOTABLE_ROLES = (TRIAL_ROLE, SOUP_ROLE)

# MLflow's own: a run's description, shown on its page; a child run's parent
NOTE = "mlflow.note.content"
PARENT_RUN_ID = "mlflow.parentRunId"
RUN_NAME = "mlflow.runName"
# MLflow's own, on an experiment: the UI's kind of experiment and its saved views
EXPERIMENT_KIND = "mlflow.experimentKind"
SHARED_VIEW_PREFIX = "mlflow.sharedViewState."


class ParentParam(StrEnum):
    """The parent run's params: the sweep's settings."""

    METHOD = "method"
    METRIC = "metric"
    GOAL = "goal"
    SEED = "seed"
    PLANNED_TRIALS = "planned_trials"
    DATA_SOURCE = "data_source"
    DATA_FINGERPRINT = "data_fingerprint"
    TRAIN_ROWS = "train_rows"
    TASK = "task"
    WORKERS_PER_TRIAL = "workers_per_trial"
    CPUS_PER_WORKER = "cpus_per_worker"
    GPUS_PER_WORKER = "gpus_per_worker"
    MAX_FAILURES = "max_failures"
    KEEP_MODELS = "keep_models"
    BUDGET_TRIAL_HOURS = "budget_trial_hours"


class TrialParam(StrEnum):
    """What the runner logs beside a trial's hyperparameters (which keep the sweep file's own names); a baseline
    logs the encoding's and its base model."""

    BASE_MODEL = "base_model"
    MAX_SEQ_LENGTH = "max_seq_length"
    PROMPTS = "prompts"
    WORLD_SIZE = "world_size"
    PRECISION = "precision"
    EFFECTIVE_BATCH_SIZE = "effective_batch_size"
    BATCH_SAMPLER = "batch_sampler"


class SoupParam(StrEnum):
    """A soup's recipe, on its run: which trials went in, with which weights, and how far it was blended toward the base."""

    METHOD = "soup_method"
    INGREDIENTS = "soup_ingredients"  # the trials' run names, best first
    INGREDIENT_RUN_IDS = "soup_ingredient_run_ids"
    WEIGHTS = "soup_weights"  # each ingredient's weight in the average, in the same order
    BLEND_BASE_ALPHA = "blend_base_alpha"  # θ = (1 − α)·θ_soup + α·θ_base

# On the parent run: what promotion reads back
METRIC = "sweeps.metric"
GOAL = "sweeps.goal"
REGISTERED_MODEL = "sweeps.registered_model"
ALIAS = "sweeps.alias"
ALPHA = "sweeps.alpha"

BUDGET = "sweeps.budget"  # the budget's line: the trial-hours used, and whether it kept planned trials from starting
TRIAL_HOURS_USED = "trial_hours_used"  # a metric of the parent run
WARM_START_FROM = "sweeps.warm_start_from"  # the earlier sweep a warm start began from: its name and parent run
NOISE_STOP = "sweeps.noise_stop"  # why `stop_when: noise` started no more trials, with both figures
SOUP = "sweeps.soup"  # what the soup step did: its recipe in words, or why there is no soup

# On the soup's run
SOUP_TRIAL_ID = "soup"  # its sweeps.trial_id: a resumed sweep finds the soup run again rather than making a second
SOUP_VS_BEST = "sweeps.soup_vs_best"  # its paired test against the best trial on eval, as the leaderboard shows it

# On a trial's run
TRIAL_ID = "sweeps.trial_id"
SEQUENCE = "sweeps.sequence"  # the order the trial's run was created in, 0 first: ties go to the first created
NODE_ID = "sweeps.node_id"
WORKER_PROCESSES = "sweeps.worker_processes"  # host:pid of each rank
BASE_MODEL_PATH = "sweeps.base_model_path"
DATA_FINGERPRINT = "sweeps.data_fingerprint"
ENCODING = "sweeps.encoding"  # base model, max_seq_length and prompts: equal on a trial and its own baseline
ATTEMPTS = "sweeps.attempts"
RESUMED_FROM = "sweeps.resumed_from"
ERROR = "sweeps.error"
PREVIOUS_ERROR = "sweeps.previous_error"
BATCH_FIT = "sweeps.batch_fit"  # which batch fit, when the trial halved it on an out-of-memory error or asked for `auto`
MEMORY_RETRY = "sweeps.memory_retry"  # what a retry after a kill for memory ran with (halved batch), or why it could not
OUTCOME = "sweeps.outcome"  # why a trial ended without a result: NONFINITE_LOSS, COLLAPSED, NOT_LEARNING, STOPPED_EARLY
STOPPED_BY = "sweeps.stopped_by"
# How the trial ended, in words, for the runs table, where MLflow draws the same red mark for KILLED and FAILED:
# finished, stopped early (by whom), failed (why), interrupted
ENDED = "sweeps.ended"
INTERRUPTED = "interrupted"  # the start of ENDED for a trial running at Ctrl-C: --resume carries it on
BEST_STEP = "sweeps.best_step"
LAST_STEP = "sweeps.last_step"
MODEL_LOGGED = "sweeps.model_logged"
# The size and precision the logged model serves at (a sweep that picks by a serving variant): the model itself encodes
# to the size; the precision is the index's to apply (sentence_transformers.quantization.quantize_embeddings)
SERVING_DIM = "sweeps.serving_dim"
SERVING_PRECISION = "sweeps.serving_precision"
GUARD_EXCEEDED = "sweeps.guard_exceeded"  # on a trial over a guard's max_drop: which guard, the drop, the limit
NONFINITE_LOSS = "nonfinite_loss"
COLLAPSED = "collapsed"  # every text embedded to nearly one vector: the scores are the evaluator's tie order
NOT_LEARNING = "not_learning"  # no weight moved over the first optimizer steps: the scores are the base model's
STOPPED_EARLY = "stopped_early"

# On a registered model version
VERSION_SWEEP = SWEEP
VERSION_SWEEP_RUN_ID = "sweeps.sweep_run_id"
VERSION_TRIAL = "sweeps.trial"
VERSION_TRIAL_RUN_ID = "sweeps.trial_run_id"
VERSION_BASE_MODEL = "sweeps.base_model"
VERSION_LOSS = "sweeps.loss"
VERSION_HYPERPARAMETERS = "sweeps.hyperparameters"
VERSION_PROMOTED_AT = "sweeps.promoted_at"
VERSION_FORCED = "sweeps.forced"
VERSION_SERVING_DIM = SERVING_DIM
VERSION_SERVING_PRECISION = SERVING_PRECISION
VERSION_METRIC_PREFIX = "metric."  # metric.<key>: the candidate's best_ and test_ figures, compared by the next promotion

# Artifacts
MODEL_ARTIFACT = "model"
ERROR_ARTIFACT = "error.txt"
SEARCH_ARTIFACTS = "search"
HARD_NEGATIVES_ARTIFACTS = "hard_negatives"  # the miner's statistics, on the parent run
DATA_CARD_ARTIFACTS = "data"  # the data check's card (data_card.json, data_card.md), on the parent run
SOUP_ARTIFACTS = "soup"  # recipe.json (ingredients, left out and why, greedy steps), blend.json and blend.png, on the soup's run
PER_QUERY_ARTIFACTS = "per_query"  # eval.json (the kept checkpoint) and test.json: {metric: {query id: score}}
