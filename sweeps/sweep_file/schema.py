"""The sweep file's schema, declared once at the boundary: pydantic models that refuse unknown keys."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from search_spaces.samplers import SAMPLER_CLASSES
from search_spaces.space import draws_integers, step_range
from sweeps.cli.tracking_uri import DEFAULT_TRACKING_URI
from sweeps.search.methods import METHODS
from sweeps.search.schedulers import SCHEDULERS
from sweeps.sweep_file.wandb_forms import as_our_hyperband, as_our_parameter_form, as_our_top_level
from trainables.contract.goal import Goal
from trainables.contract.metrics import metric_key
from trainables.contract.serving import CALIBRATION_TEXTS, FLOAT32, ServingVariant
from trainables.contract.serving import PRECISIONS as SERVING_PRECISIONS
from trainables.contract.tasks import TASKS, Task, infer_task
from trainables.precision import PRECISIONS
from trainables.storage import OBJECT_STORE_SCHEMES, is_uri, join

Scalar = int | float | str | bool | None


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


QUANTIZED = ("q_uniform", "q_log_uniform_values")
LOG_SCALED = ("log_uniform_values", "q_log_uniform_values")


class ParameterSpec(StrictModel):
    """W&B-style: exactly one of `value`, `values` or `distribution` (with `min`/`max`/`q`)."""

    value: Scalar | list[Scalar] | dict[str, Any] = None
    values: list[Scalar | list[Scalar] | dict[str, Any]] | None = None
    distribution: Literal["uniform", "log_uniform_values", "int_uniform", "q_uniform", "q_log_uniform_values"] | None = None
    min: float | None = None
    max: float | None = None
    q: float | None = None  # the step of a q_ distribution; 1 when not given, as in W&B
    # Only in trials where each named parameter has one of these values, e.g. {loss: TripletLoss}.
    when: dict[str, Scalar | list[Scalar]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _remember_which_form(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"must be a mapping with `value`, `values` or `distribution`, but got {data!r}")
        data = as_our_parameter_form(data)
        forms = [form for form in ("value", "values", "distribution") if form in data]
        if len(forms) != 1:
            unknown = sorted(set(data) - set(cls.model_fields))
            extra = f" (unknown keys: {unknown})" if unknown and not forms else ""
            raise ValueError(
                f"exactly one of `value`, `values`, `distribution` must be given, but got {forms or 'none'}{extra}"
            )
        return data

    @model_validator(mode="after")
    def _check_form(self) -> ParameterSpec:
        if self.values is not None and len(self.values) == 0:
            raise ValueError("`values` must hold at least one value, but got []")
        if self.distribution is None:
            if (self.min, self.max, self.q) != (None, None, None):
                raise ValueError("`min`/`max`/`q` need a `distribution`, but got none")
            return self
        if self.min is None or self.max is None:
            raise ValueError(
                f"`distribution: {self.distribution}` needs both `min` and `max`, but got (min={self.min}, max={self.max})"
            )
        if not self.min <= self.max:
            raise ValueError(f"`min <= max` must hold, but got (min={self.min}, max={self.max})")
        if self.distribution in LOG_SCALED and self.min <= 0:
            raise ValueError(f"`min > 0` must hold for {self.distribution}, but got (min={self.min})")
        if self.distribution in QUANTIZED and self.q is not None and self.q <= 0:
            raise ValueError(f"`q > 0` must hold for {self.distribution}, but got (q={self.q})")
        if self.distribution in QUANTIZED and _no_step_between_the_ends(self):
            raise ValueError(f"a multiple of `q` must lie between `min` and `max`, but got (min={self.min}, max={self.max}, q={self.q or 1})")
        if self.distribution not in QUANTIZED and self.q is not None:
            raise ValueError(f"`q` only applies to {' and '.join(QUANTIZED)}, but got distribution={self.distribution}")
        return self

    @property
    def is_fixed(self) -> bool:
        return self.distribution is None and self.values is None

    def candidate_values(self) -> list[Any]:
        """The values a grid enumerates, or the endpoints of a distribution (for validation)."""
        if self.values is not None:
            return list(self.values)
        if self.distribution is None:
            return [self.value]
        return [int(self.min), int(self.max)] if draws_integers(self.model_dump()) else [self.min, self.max]


def _no_step_between_the_ends(spec: ParameterSpec) -> bool:
    lowest, highest = step_range(spec.model_dump())
    return lowest > highest


class MetricConfig(StrictModel):
    name: str | None = None  # None: the task's default; checked against the task's metrics when the file loads
    goal: Literal["maximize", "minimize"] = "maximize"
    # More metrics to log at every evaluation, such as a retrieval sweep's other cutoffs (ndcg@1, recall@5)
    also: list[str] = Field(default_factory=list)
    # W&B's: once a trial's eval metric reaches it, no new trial starts; the running ones finish.
    target: float | None = None
    # The serving variant that picks, stops early, keeps and promotes (one of `serving`'s): the metric at embeddings cut
    # to `dim` dimensions and quantized to `precision`. None: full-size float32.
    dim: int | None = Field(default=None, ge=1)
    precision: Literal[SERVING_PRECISIONS] | None = None

    @property
    def variant(self) -> ServingVariant | None:
        return None if self.dim is None else ServingVariant(self.dim, self.precision or FLOAT32)

    @property
    def key(self) -> str:
        """`ndcg_at_10`, or with a serving variant `ndcg_at_10-128d-int8`."""
        return self.base_key if self.variant is None else self.variant.key(self.base_key)

    @property
    def base_key(self) -> str:
        return metric_key(self.name)

    @model_validator(mode="after")
    def _a_precision_has_a_size(self) -> MetricConfig:
        if self.precision is not None and self.dim is None:
            raise ValueError(f"`precision` needs `dim` (the size it is served at; the model's own dimension for full size), "
                             f"but got precision={self.precision!r} and no dim")
        return self

    @property
    def also_keys(self) -> list[str]:
        return [metric_key(name) for name in self.also]

    @property
    def mode(self) -> Goal:
        return Goal.MAX if self.goal == "maximize" else Goal.MIN


ROLES = tuple(dict.fromkeys(role for task in TASKS.values() for role in task.roles + task.optional_roles))


class HardNegativesConfig(StrictModel):
    """sentence_transformers.util.mine_hard_negatives' options, for the training rows of a retrieval sweep."""

    num_negatives: int = Field(default=5, ge=1)
    model: str | None = None  # default: the sweep's first base model
    range_min: int = Field(default=0, ge=0)  # skip the closest passages (likely unlabelled positives)
    range_max: int | None = Field(default=None, ge=1)
    relative_margin: float | None = Field(default=None, ge=0, lt=1)
    absolute_margin: float | None = Field(default=None, ge=0)
    sampling_strategy: Literal["top", "random"] = "top"
    batch_size: int = Field(default=64, ge=1)
    # Passages are encoded at this length: default the sweep's max_seq_length when it has one value, else the model's own.
    max_seq_length: int | None = Field(default=None, ge=8)

    @model_validator(mode="after")
    def _room_for_the_negatives(self) -> HardNegativesConfig:
        if self.range_max is not None and self.range_max - self.range_min < self.num_negatives:
            raise ValueError("`range_max - range_min >= num_negatives` must hold, but got "
                             f"(range_min={self.range_min}, range_max={self.range_max}, num_negatives={self.num_negatives})")
        return self


class GuardConfig(StrictModel):
    """A general set the fine-tuned model must not forget, judged against the untrained baseline."""

    name: str = Field(pattern=r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$", max_length=40)
    source: str = Field(min_length=1)  # a BEIR folder (test qrels alone will do), a table file or folder, a hub id
    task: Literal["retrieval", "sts"] | None = None  # None: from the roles `columns` maps, retrieval when none
    columns: dict[Literal[ROLES], str | list[str]] = Field(default_factory=dict)
    split: Literal["test", "eval"] = "test"
    metric: str | None = None  # default: the guard task's default metric
    max_drop: float | None = Field(default=None, ge=0)  # None: reported, never blocks promotion
    max_queries: int | None = Field(default=None, ge=1)
    corpus_size: int | None = Field(default=None, ge=1)
    score_range: tuple[float, float] | None = None
    every_evaluation: bool = False

    @property
    def task_name(self) -> str | None:
        return self.task or infer_task(self.columns)[0]

    @property
    def metric_key(self) -> str:
        task = TASKS[self.task_name]
        return task.metric_key(self.metric) if self.metric else task.default_metric

    def data_config(self) -> DataConfig:
        """As a sweep's `data` section, for the readers."""
        return DataConfig(source=self.source, columns=self.columns, eval_corpus_size=self.corpus_size, max_eval_queries=self.max_queries,
                          max_test_queries=self.max_queries, score_range=self.score_range)


class DataConfig(StrictModel):
    source: str = Field(min_length=1)
    # The data's columns by role; the roles say the task (trainables.contract.tasks). negatives: several per row, as a list of
    # columns ([neg_1, neg_2]) or one list-valued column.
    columns: dict[Literal[ROLES], str | list[str]] = Field(default_factory=dict)
    # sts: the scale the scores are written on ([0, 5] for STS-B), mapped onto 0-1 for the losses and the evaluator
    score_range: tuple[float, float] | None = None
    hard_negatives: HardNegativesConfig | None = None  # mined for the training rows (retrieval), once per sweep, cached
    eval_fraction: float = Field(default=0.1, gt=0, lt=1)
    test_fraction: float = Field(default=0.1, gt=0, lt=1)
    max_train_rows: int | None = Field(default=None, ge=1)
    # Encoding a whole corpus at every evaluation dominates a CPU trial; relevant documents are
    # always kept, only distractors are sampled down.
    eval_corpus_size: int | None = Field(default=None, ge=1)
    max_eval_queries: int | None = Field(default=None, ge=1)
    # The test split is reported and promoted on: all of it unless capped on purpose, never by the eval cap.
    max_test_queries: int | None = Field(default=None, ge=1)
    hub_split: str | None = None
    delimiter: Literal[",", ";", "\t", "|"] | None = None  # a csv/tsv file's; None: sniffed from its first lines
    # With `columns.group`: `one` trains on each source row's own (anchor, passage) pair, so the training set is
    # the file as written; `all` pairs each anchor with every passage of its group (rows x group size, with
    # near-duplicate positives in a batch). Evaluation counts every passage of the group as relevant either way.
    group_pairs: Literal["one", "all"] = "one"
    # Longer texts are refused at read time: a 100 MB cell once took the machine down in the baseline's evaluation.
    max_text_chars: int = Field(default=100_000, ge=1)
    # The data check (sweeps/data_check): what to do with training rows that share a text (exactly or nearly) with
    # eval, test or a guard set. drop: remove them from the training split, and say so; refuse: stop before any
    # trial; warn: keep them, and say the held-out figures are inflated. The held-out splits are never changed.
    leaks: Literal["drop", "refuse", "warn"] = "drop"
    # Two texts are near duplicates at this cosine of their character 4-gram sets (docs/data.md: how it was chosen).
    near_duplicate_similarity: float = Field(default=0.7, gt=0, le=1)

    @field_validator("columns")
    @classmethod
    def _one_column_per_role(cls, columns: dict) -> dict:
        listed = sorted(role for role, named in columns.items() if isinstance(named, list) and role != "negatives")
        if listed:
            raise ValueError(f"only `negatives` may name several columns, but got lists for {listed}")
        if "negative" in columns and "negatives" in columns:
            raise ValueError("give one of `negative` and `negatives`, but got both")
        if isinstance(columns.get("negatives"), list) and not columns["negatives"]:
            raise ValueError("`negatives` must name at least one column, but got []")
        return columns

    @field_validator("score_range")
    @classmethod
    def _a_range(cls, score_range: tuple[float, float] | None) -> tuple[float, float] | None:
        if score_range is not None and not score_range[0] < score_range[1]:
            raise ValueError(f"`low < high` must hold, but got (low={score_range[0]:g}, high={score_range[1]:g})")
        return score_range

    @model_validator(mode="after")
    def _fractions_leave_training_data(self) -> DataConfig:
        if self.eval_fraction + self.test_fraction >= 1:
            raise ValueError(
                "`eval_fraction + test_fraction < 1` must hold, but got "
                f"(eval_fraction={self.eval_fraction}, test_fraction={self.test_fraction})"
            )
        return self


class MlflowConfig(StrictModel):
    tracking_uri: str = DEFAULT_TRACKING_URI
    experiment: str | None = None


class ResourcesConfig(StrictModel):
    """What one trial asks the cluster for. With `workers_per_trial` > 1 a trial is a Ray Train DDP run."""

    workers_per_trial: int = Field(default=1, ge=1)
    # None: one whole GPU per worker when the cluster has GPUs, else none. 0.25 packs 4 small trials on a GPU.
    gpus_per_worker: float | None = Field(default=None, ge=0)
    cpus_per_worker: float | None = Field(default=None, gt=0)
    cpus_per_trial: float | None = Field(default=None, gt=0)  # the one-worker spelling of cpus_per_worker
    precision: Literal[PRECISIONS] = "auto"  # auto: bf16 where the GPU has it, fp16 on older GPUs, fp32 on CPU

    @model_validator(mode="after")
    def _one_way_to_say_it(self) -> ResourcesConfig:
        if self.cpus_per_trial is not None and self.cpus_per_worker is not None:
            raise ValueError(
                "give one of `cpus_per_trial` and `cpus_per_worker`, but got both "
                f"(cpus_per_trial={self.cpus_per_trial:g}, cpus_per_worker={self.cpus_per_worker:g})"
            )
        if self.cpus_per_trial is not None and self.workers_per_trial > 1:
            raise ValueError(
                "`cpus_per_trial` is for one-worker trials; with workers_per_trial > 1 give `cpus_per_worker`, but got "
                f"(workers_per_trial={self.workers_per_trial}, cpus_per_trial={self.cpus_per_trial:g})"
            )
        gpus = self.gpus_per_worker
        if self.workers_per_trial > 1 and gpus is not None and 0 < gpus and gpus != int(gpus):
            raise ValueError(
                "`gpus_per_worker` must be a whole number when workers_per_trial > 1 (NCCL can't put two ranks of "
                f"one trial on one GPU), but got (workers_per_trial={self.workers_per_trial}, gpus_per_worker={gpus:g})"
            )
        if self.precision in ("bf16", "fp16") and gpus == 0:
            raise ValueError(f"`precision: {self.precision}` needs a GPU, but got gpus_per_worker=0")
        return self

    @property
    def cpus(self) -> float | None:
        return self.cpus_per_worker if self.cpus_per_worker is not None else self.cpus_per_trial


class PromoteConfig(StrictModel):
    registered_model: str | None = Field(default=None, min_length=1)  # default: "<sweep name>-model"
    alias: str = Field(default="champion", pattern=r"^[A-Za-z0-9_-]{1,100}$")
    # A candidate must beat the champion on the same test queries at this significance level (paired randomization test).
    alpha: float = Field(default=0.05, gt=0, lt=1)


class EarlyTerminateConfig(StrictModel):
    """Stop weak trials at an evaluation, judged on the sweep's metric (Tune schedulers)."""

    type: Literal[tuple(SCHEDULERS)]
    grace_period: int = Field(default=1, ge=1)
    reduction_factor: float | None = Field(default=None, gt=1)
    min_samples_required: int | None = Field(default=None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _wandb_hyperband(cls, data: Any) -> Any:
        return as_our_hyperband(data)

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> EarlyTerminateConfig:
        for key in ("reduction_factor", "min_samples_required"):  # each scheduler's entry says which it reads
            if getattr(self, key) is not None and key not in SCHEDULERS[self.type].reads:
                readers = " and ".join(name for name, entry in SCHEDULERS.items() if key in entry.reads)
                raise ValueError(f"`{key}` applies to {readers}, but got type={self.type!r}")
        return self


MAX_TRIALS = 10_000  # about a week of one-minute trials, one at a time


class BudgetConfig(StrictModel):
    """How much compute the sweep may spend: no trial starts once the next would pass it (sweeps/search/trial_hours.py
    says how a trial's hours are counted)."""

    trial_hours: float = Field(gt=0)


class WarmStartConfig(StrictModel):
    """Start from an earlier sweep in the same MLflow store (sweeps/search/warm_start.py)."""

    from_: str = Field(alias="from", min_length=1)
    top_k: int = Field(default=3, ge=0)  # its best configurations, tried first


class SoupConfig(StrictModel):
    """After the trials, the sweep's own model: its best trials' weights averaged, optionally blended toward the base
    model (sweeps/soups/)."""

    method: Literal["greedy", "uniform"] = "greedy"  # greedy: add a trial only if the soup's eval metric does not drop
    top_k: int = Field(default=4, ge=2)  # the best finished trials to soup from (keep_models must keep them)
    # Each α is tried as (1 − α)·soup + α·base; the one with the best eval metric within every guard's max_drop is kept.
    blend_base: list[Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=list)


class ServingConfig(StrictModel):
    """The sizes and precisions a served model's embeddings will have: every evaluation scores each pair of them, from one
    full-size encoding (trainables/contract/serving.py)."""

    dims: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    precisions: list[Literal[SERVING_PRECISIONS]] = Field(default_factory=lambda: [FLOAT32, "int8", "binary"], min_length=1)
    # Training texts whose embeddings set the int8/uint8 ranges at each evaluation: more steadies the ranges, and costs
    # their encoding every evaluation (benchmarks/serving.py measures it)
    calibration_texts: int = Field(default=CALIBRATION_TEXTS, ge=16)

    @property
    def variants(self) -> tuple[ServingVariant, ...]:
        from trainables.contract.serving import variants_of

        return variants_of(self.dims, self.precisions)


class SweepConfig(StrictModel):
    name: str  # the file's name when it has none (loading)
    description: str | None = None  # the parent run's description in MLflow
    # None: the task whose roles `data.columns` maps (retrieval when it maps none); the file loads with it filled in
    task: Literal[tuple(TASKS)] | None = None
    method: Literal[tuple(METHODS)] = "grid"
    sampler: Literal[tuple(SAMPLER_CLASSES)] | None = None
    early_terminate: EarlyTerminateConfig | None = None
    # Each evaluation is a point where a trial is reported, plotted, and may be stopped early.
    evaluations_per_trial: int = Field(default=2, ge=1)
    metric: MetricConfig = Field(default_factory=MetricConfig)
    run_cap: int | None = Field(default=None, ge=1)
    budget: BudgetConfig | None = None
    warm_start: WarmStartConfig | None = None
    # noise: no new trial once a further one could gain less than the best trial's own error (sweeps/search/noise_rule.py)
    stop_when: Literal["noise"] | None = None
    # None: as many trials at once as the cluster's resources fit (one on a CPU-only machine).
    max_concurrent: int | None = Field(default=None, ge=1)
    # A trial that raises is restarted this many times, from its last evaluation, before it is FAILED.
    max_failures: int = Field(default=1, ge=0)
    seed: int = 42
    data: DataConfig
    parameters: dict[str, ParameterSpec]
    mlflow: MlflowConfig = Field(default_factory=MlflowConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    # A folder every node sees (NFS on a cluster), or an object-store URI (s3://bucket/prefix): Tune's state and
    # each trial's checkpoints (its best model and resume state) live there.
    storage_path: str | None = None
    baselines: bool = True
    # Models of the top K trials are logged to MLflow; every other checkpoint is deleted.
    keep_models: int = Field(default=1, ge=0)
    soup: SoupConfig | None = None
    serving: ServingConfig | None = None
    promote: PromoteConfig = Field(default_factory=PromoteConfig)
    # Code from outside the runner: `callbacks` (dotted names of TrainerCallback classes every trial adds) and
    # models that bring their own modelling code (trust_remote_code).
    allow_custom_code: bool = False
    callbacks: list[str] = Field(default_factory=list)
    # General sets the fine-tuned model must not forget; promotion passes over a trial that drops more than max_drop.
    guard: list[GuardConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _wandb_keys(cls, data: Any) -> Any:
        return as_our_top_level(data)

    @model_validator(mode="before")
    @classmethod
    def _task_defaults(cls, data: Any) -> Any:
        """Fill in the task, its default metric and its default loss, so that every later step reads them from the file.
        Where the task can't be told (columns of two tasks), nothing is filled and the checks say why."""
        if not isinstance(data, dict):
            return data
        section = data.get("data")
        columns = section.get("columns", {}) if isinstance(section, dict) else getattr(section, "columns", None)
        task = data.get("task") or (infer_task(columns)[0] if isinstance(columns, dict) else None)
        if task not in TASKS:
            return data
        data = {**data, "task": task}
        metric = data.get("metric")
        if metric is None or (isinstance(metric, dict) and metric.get("name") is None):
            data["metric"] = {**(metric or {}), "name": TASKS[task].default_metric}
        parameters = data.get("parameters")
        if isinstance(parameters, dict) and "loss" not in parameters:
            data["parameters"] = {**parameters, "loss": {"value": TASKS[task].default_loss}}
        return data

    @property
    def task_spec(self) -> Task:
        return TASKS[self.task]

    @field_validator("name")
    @classmethod
    def _usable_as_a_run_name(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", name):
            raise ValueError(
                f"must be 1-100 letters, digits, '_', '.' or '-' starting with a letter or digit, but got {name!r}"
            )
        return name

    @model_validator(mode="after")
    def _needs_a_budget_to_search(self) -> SweepConfig:
        if self.sampler is not None and self.method != "optuna":
            raise ValueError(f"`sampler` needs method='optuna', but got method={self.method!r}")
        if self.early_terminate is not None and self.early_terminate.grace_period >= self.evaluations_per_trial:
            raise ValueError(
                "`early_terminate.grace_period < evaluations_per_trial` must hold (a trial is judged before it ends), "
                f"but got (grace_period={self.early_terminate.grace_period}, evaluations_per_trial={self.evaluations_per_trial})"
            )
        if self.method != "grid" and self.run_cap is None and self.sampler != "grid":
            raise ValueError(f"`run_cap` is required with method={self.method!r}, but got none")
        if self.run_cap is not None and self.run_cap > MAX_TRIALS:
            raise ValueError(f"`run_cap <= {MAX_TRIALS}` must hold (Tune keeps every planned trial in memory and in its state), "
                             f"but got run_cap={self.run_cap}")
        if "base_model" not in self.parameters:
            raise ValueError("`parameters.base_model` is required, but got none")
        if self.callbacks and not self.allow_custom_code:
            raise ValueError("`callbacks` run code from outside the sweep runner, so they need `allow_custom_code: true`, but got allow_custom_code=false")
        return self

    @field_validator("storage_path")
    @classmethod
    def _a_folder_or_an_object_store(cls, path: str | None) -> str | None:
        if path is not None and is_uri(path):
            scheme = path.split("://", 1)[0]
            if scheme not in (*OBJECT_STORE_SCHEMES, "file"):
                known = ", ".join(f"{name}://" for name in OBJECT_STORE_SCHEMES)
                raise ValueError(f"must be a folder or an object-store URI ({known}), but got {path!r}")
        return path

    @property
    def storage_location(self) -> str:
        """Where trials' checkpoints and Tune's state go: a URI as given, a folder made absolute (relative paths are
        from where the sweep is started)."""
        path = self.storage_path or "ray_results"
        path = path.removeprefix("file://")
        return path if is_uri(path) else str(Path(path).expanduser().resolve())

    @property
    def local_folder(self) -> Path:
        """The driver's own files (library logs, the hard-negative cache): the storage folder, or ./ray_results when
        storage is an object store."""
        location = self.storage_location
        return Path("ray_results").resolve() if is_uri(location) else Path(location)

    def state_location(self, parent_run_id: str) -> str:
        """One sweep's Tune state and checkpoints, named after its parent run so that `--resume` finds them."""
        return join(self.storage_location, f"{self.name}-{parent_run_id[:8]}")

    @property
    def experiment_name(self) -> str:
        return self.mlflow.experiment or self.name

    @property
    def registered_model(self) -> str:
        return self.promote.registered_model or default_registered_model(self.name)


def default_registered_model(sweep_name: str) -> str:
    return f"{sweep_name}-model"
