"""The loss table: each name maps to its sentence-transformers class, the data format it trains on,
and the parameters it accepts.

Formats are checked against the data when the sweep file loads, so a loss the data can't feed fails
before any worker starts. Classes are named by import path so this table loads without torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

LOSS_MODULE = "sentence_transformers.sentence_transformer.losses"


@dataclass(frozen=True)
class LossParameter:
    keyword: str  # the loss constructor's argument
    kind: type
    positive: bool = False


@dataclass(frozen=True)
class LossSpec:
    class_name: str
    data_format: str  # a key of search_spaces.data_formats.DATA_FORMATS
    parameters: dict[str, LossParameter] = field(default_factory=dict)
    # In-batch-negative losses learn false negatives from duplicate texts in one batch.
    batch_sampler: str | None = None
    # A wrapper trains its inner loss's data: ANY_LOSS wraps every plain loss; UNCACHED_LOSS every one but those that
    # back-propagate from a gradient-cache hook, which a loss running once per layer breaks (sentence-transformers'
    # Matryoshka2dLoss and AdaptiveLayerLoss say so).
    wraps: str | None = None
    # Back-propagates from a gradient cache (the Cached… losses)
    gradient_cache: bool = False
    # A guided loss (GISTEmbed) drops in-batch negatives its guide model scores above the positive: without
    # `guide_model`, the guide is the trial's base model as loaded, untrained.
    guided: bool = False

    @property
    def wraps_a_loss(self) -> bool:
        return self.wraps is not None

    def can_wrap(self, inner: LossSpec) -> bool:
        return not inner.wraps_a_loss and (self.wraps == ANY_LOSS or not inner.gradient_cache)

    def loss_class(self):
        return getattr(importlib.import_module(LOSS_MODULE), self.class_name)


ANY_LOSS, UNCACHED_LOSS = "any plain loss", "any plain loss without a gradient cache"
SCALE = LossParameter("scale", float, positive=True)
GATHER = LossParameter("gather_across_devices", bool)
MARGIN = LossParameter("margin", float, positive=True)

MATRYOSHKA_DIMS = LossParameter("matryoshka_dims", list)
INNER = LossParameter("loss", str)
LAYERS_PER_STEP = LossParameter("n_layers_per_step", int, positive=True)
LAST_LAYER_WEIGHT = LossParameter("last_layer_weight", float, positive=True)
PRIOR_LAYERS_WEIGHT = LossParameter("prior_layers_weight", float, positive=True)
KL_DIV_WEIGHT = LossParameter("kl_div_weight", float)

DEFAULT_LOSS = "MultipleNegativesRankingLoss"

LOSSES: dict[str, LossSpec] = {
    "MultipleNegativesRankingLoss": LossSpec(
        "MultipleNegativesRankingLoss", "pairs", {"scale": SCALE, "gather_across_devices": GATHER}, "no_duplicates"),
    "CachedMultipleNegativesRankingLoss": LossSpec(
        "CachedMultipleNegativesRankingLoss", "pairs",
        {"scale": SCALE, "mini_batch_size": LossParameter("mini_batch_size", int, positive=True), "gather_across_devices": GATHER},
        "no_duplicates", gradient_cache=True),
    "MultipleNegativesSymmetricRankingLoss": LossSpec(
        "MultipleNegativesSymmetricRankingLoss", "pairs_only", {"scale": SCALE, "gather_across_devices": GATHER}, "no_duplicates"),
    "GISTEmbedLoss": LossSpec(
        "GISTEmbedLoss", "pairs",
        {"guide_model": LossParameter("guide", str), "temperature": LossParameter("temperature", float, positive=True),
         "gather_across_devices": GATHER},
        "no_duplicates", guided=True),
    "CachedGISTEmbedLoss": LossSpec(
        "CachedGISTEmbedLoss", "pairs",
        {"guide_model": LossParameter("guide", str), "temperature": LossParameter("temperature", float, positive=True),
         "mini_batch_size": LossParameter("mini_batch_size", int, positive=True), "gather_across_devices": GATHER},
        "no_duplicates", guided=True, gradient_cache=True),
    "TripletLoss": LossSpec("TripletLoss", "triplets", {"margin": LossParameter("triplet_margin", float, positive=True)}),
    # Batch triplet losses mine their triplets among a batch's labels: each batch must hold several rows per label.
    "BatchSemiHardTripletLoss": LossSpec("BatchSemiHardTripletLoss", "labelled", {"margin": MARGIN}, "group_by_label"),
    "BatchAllTripletLoss": LossSpec("BatchAllTripletLoss", "labelled", {"margin": MARGIN}, "group_by_label"),
    "BatchHardTripletLoss": LossSpec("BatchHardTripletLoss", "labelled", {"margin": MARGIN}, "group_by_label"),
    "BatchHardSoftMarginTripletLoss": LossSpec("BatchHardSoftMarginTripletLoss", "labelled", {}, "group_by_label"),
    "CoSENTLoss": LossSpec("CoSENTLoss", "scored_pairs", {"scale": SCALE}),
    "AnglELoss": LossSpec("AnglELoss", "scored_pairs", {"scale": SCALE}),
    "CosineSimilarityLoss": LossSpec("CosineSimilarityLoss", "scored_pairs"),
    # Wrappers: the inner loss at several embedding sizes (Matryoshka), at several layers (AdaptiveLayer), or both.
    "MatryoshkaLoss": LossSpec("MatryoshkaLoss", "inner", {"matryoshka_dims": MATRYOSHKA_DIMS, "inner_loss": INNER}, wraps=ANY_LOSS),
    "Matryoshka2dLoss": LossSpec(
        "Matryoshka2dLoss", "inner",
        {"matryoshka_dims": MATRYOSHKA_DIMS, "inner_loss": INNER, "n_layers_per_step": LAYERS_PER_STEP,
         "n_dims_per_step": LossParameter("n_dims_per_step", int, positive=True), "last_layer_weight": LAST_LAYER_WEIGHT,
         "prior_layers_weight": PRIOR_LAYERS_WEIGHT, "kl_div_weight": KL_DIV_WEIGHT}, wraps=UNCACHED_LOSS),
    "AdaptiveLayerLoss": LossSpec(
        "AdaptiveLayerLoss", "inner",
        {"inner_loss": INNER, "n_layers_per_step": LAYERS_PER_STEP, "last_layer_weight": LAST_LAYER_WEIGHT,
         "prior_layers_weight": PRIOR_LAYERS_WEIGHT, "kl_div_weight": KL_DIV_WEIGHT}, wraps=UNCACHED_LOSS),
}
DEFAULT_INNER_LOSS = DEFAULT_LOSS
# Parameters that need more than a plain value to build: a model to load, a loss to wrap.
GUIDE_MODEL = "guide_model"
INNER_LOSS = "inner_loss"


def loss_parameter_names() -> set[str]:
    return {name for spec in LOSSES.values() for name in spec.parameters}


def losses_accepting(parameter: str) -> list[str]:
    return [name for name, spec in LOSSES.items() if parameter in spec.parameters]


def loss_parameter(parameter: str) -> LossParameter:
    return next(spec.parameters[parameter] for spec in LOSSES.values() if parameter in spec.parameters)


def swept_losses(parameters: dict) -> list:
    """The loss names a sweep may try: those under `parameters.loss` (the sweep file fills in its task's default)."""
    spec = parameters.get("loss")
    return spec.candidate_values() if spec is not None else [DEFAULT_LOSS]


def training_loss(config: dict) -> str:
    """The loss whose data format a trial trains on: a wrapper's inner loss, else the loss itself."""
    loss_name = config.get("loss", DEFAULT_LOSS)
    if LOSSES[loss_name].wraps_a_loss:
        return config.get(INNER_LOSS, DEFAULT_INNER_LOSS)
    return loss_name


def build_loss(config: dict, model, load_model=None):
    """The loss object for one trial's config; `load_model(reference)` loads a guide model."""
    loss_name = config.get("loss", DEFAULT_LOSS)
    spec = LOSSES[loss_name]
    kwargs = {}
    for name, parameter in spec.parameters.items():
        if name not in config:
            continue
        value = config[name]
        if name == GUIDE_MODEL:
            value = load_model(value)
        elif name == INNER_LOSS:
            value = build_loss({**config, "loss": value}, model, load_model)
        kwargs[parameter.keyword] = value
    if spec.guided and "guide" not in kwargs:
        kwargs["guide"] = load_model(config["base_model"])
    if spec.wraps_a_loss:
        kwargs.setdefault("loss", build_loss({**config, "loss": DEFAULT_INNER_LOSS}, model, load_model))
        if "matryoshka_dims" in spec.parameters:
            kwargs.setdefault("matryoshka_dims", default_matryoshka_dims(model.get_embedding_dimension()))
    return spec.loss_class()(model, **kwargs)


def default_matryoshka_dims(dimension: int) -> list[int]:
    """The full size and three halvings (384 -> 384, 192, 96, 48), as the Matryoshka paper trains."""
    return [d for d in (dimension, dimension // 2, dimension // 4, dimension // 8) if d >= 8] or [dimension]
