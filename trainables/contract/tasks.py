"""The task table: what kind of rows a sweep trains on, which evaluators judge it, the metrics they produce, and the
losses that fit. A sweep file's `task` (or the roles its `data.columns` map) picks one; the metric and every swept
loss are checked against it when the file loads."""

from __future__ import annotations

from dataclasses import dataclass

from search_spaces.losses import LOSSES
from trainables.contract.metrics import KNN_KEY, KNN_NEIGHBOURS, PEARSON_KEY, SPEARMAN_KEY, TRIPLET_KEY, ir_metric, metric_key

LABEL_RANKING_KEYS = ("recall_at_1", "recall_at_3", "recall_at_5", "mrr_at_10")


@dataclass(frozen=True)
class Task:
    name: str
    roles: tuple[str, ...]  # the data's columns, by role, as `data.columns` maps them
    optional_roles: tuple[str, ...]
    # The loss data formats (search_spaces.data_formats) its rows feed; retrieval rows can be reshaped into all of them.
    data_formats: tuple[str, ...]
    metrics: tuple[str, ...]  # the metric keys its evaluators produce (retrieval: any cutoff of its IR families too)
    default_metric: str
    # The headline figures of the task's workflow, shown beside the sweep's metric in the leaderboard (the first also on
    # test): a triplet-accuracy sweep still shows NDCG@10, a classification sweep its label ranking.
    companion_metrics: tuple[str, ...]
    default_loss: str
    judged_by: str
    # Both texts of a row are of one kind: the model's query prompt goes before every text (e5's advice for STS).
    symmetric: bool

    def metric_key(self, name: str) -> str | None:
        """The MLflow key of `name` when this task's evaluators produce it, else None."""
        key = metric_key(str(name))
        if key in self.metrics or (self.name == "retrieval" and ir_metric(key)):
            return key
        return None

    def metric_names(self) -> list[str]:
        names = [key.replace("_at_", "@") for key in self.metrics]
        return names + (["ndcg@k", "mrr@k", "recall@k", "map@k"] if self.name == "retrieval" else [])

    def fitting_losses(self) -> list[str]:
        return [name for name, spec in LOSSES.items() if spec.data_format in self.data_formats or spec.wraps_a_loss]

    def fits(self, loss_name: str) -> bool:
        return LOSSES[loss_name].data_format in self.data_formats


RETRIEVAL = "retrieval"
TASKS: dict[str, Task] = {
    RETRIEVAL: Task(
        RETRIEVAL, ("anchor", "positive"), ("negative", "negatives", "group"),
        ("pairs", "pairs_only", "triplets", "scored_pairs", "labelled"),
        ("ndcg_at_10", "mrr_at_10", "recall_at_10", "map_at_100", TRIPLET_KEY), "ndcg_at_10", ("ndcg_at_10", TRIPLET_KEY),
        "MultipleNegativesRankingLoss",
        "InformationRetrievalEvaluator (each query against the split's corpus) and TripletEvaluator", symmetric=False),
    "sts": Task(
        "sts", ("sentence1", "sentence2", "score"), (), ("scored_pairs",), (SPEARMAN_KEY, PEARSON_KEY), SPEARMAN_KEY, (SPEARMAN_KEY, PEARSON_KEY),
        "CoSENTLoss", "EmbeddingSimilarityEvaluator (cosine similarity against the gold scores)", symmetric=True),
    "classification": Task(
        "classification", ("text", "label"), (), ("labelled",), (TRIPLET_KEY, KNN_KEY, *LABEL_RANKING_KEYS), TRIPLET_KEY, (KNN_KEY, *LABEL_RANKING_KEYS),
        "BatchSemiHardTripletLoss",
        f"TripletEvaluator (text, same-label text, other-label text), a {KNN_NEIGHBOURS}-nearest-neighbour vote of the training "
        "rows, and with text labels an InformationRetrievalEvaluator ranking the label names", symmetric=True),
}


def infer_task(roles) -> tuple[str | None, list[str]]:
    """(the task whose roles `data.columns` maps, else None; the tasks whose roles it mixes when it mixes several)."""
    roles = set(roles)
    if not roles:
        return RETRIEVAL, []
    matching = [name for name, task in TASKS.items() if roles & set(task.roles + task.optional_roles)]
    return (matching[0], []) if len(matching) == 1 else (None, matching)
