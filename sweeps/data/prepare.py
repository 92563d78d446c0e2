"""Turn a RetrievalSet into what trials consume: training rows and two evaluation sets."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from sweeps.data.labelled_texts import labelled_sets
from sweeps.data.mining_input import MiningInput
from sweeps.data.negatives import LexicalNegativeMiner
from sweeps.data.readers import read_source
from sweeps.data.retrieval_set import RetrievalSet
from sweeps.data.scored_pairs import scored_pair_sets
from sweeps.data.splits import carve_missing_splits
from sweeps.data.table_splits import split_cap
from sweeps.errors import SweepInputError, problem
from trainables.contract.metrics import ir_metric
from trainables.contract.tasks import RETRIEVAL, TASKS
from trainables.contract.evaluation_sets import EvaluationSet, QueryCorpusSet, Triplets
from sweeps.sweep_file.schema import DataConfig


@dataclass(frozen=True)
class PreparedData:
    # retrieval: anchor, positive, and negative(s) / label where the data has them; sts: sentence1, sentence2, score;
    # classification: sentence, label (ids)
    train: dict[str, list]
    eval: EvaluationSet  # the task's kind of set, as trainables.evaluation reads it
    test: EvaluationSet
    origin: str
    fingerprint: str  # two sweeps with the same fingerprint trained and were judged on exactly the same data
    source_rows: int  # the training split's rows as the source wrote them, before group_pairs and max_train_rows
    group_pairs: str | None  # how rows of one group became training pairs; None when the data has no groups
    task: str = RETRIEVAL
    notes: tuple[str, ...] = ()  # what the preparation decided that a user should know
    mining: MiningInput | None = None  # with data.hard_negatives: what the miner reads
    source_fingerprint: str = ""  # with mined negatives: the fingerprint of the rows as read, which the mining follows from
    own_splits: tuple[str, ...] = ()  # the evaluation splits the source gave itself (no fraction carved them)

    @property
    def train_rows(self) -> int:
        return len(next(iter(self.train.values())))

    def sample_texts(self, count: int = 3) -> list[str]:
        """A few eval texts: the input example a logged model's signature is inferred from."""
        return self.eval.text_pools()[0][:count]

    def summary(self) -> str:
        if self.task == "sts":
            return (f"{self.origin}: {len(self.train['score'])} training pairs from {self.source_rows}; "
                    f"eval {self.eval.size()}; test {self.test.size()}")
        if self.task == "classification":
            labels = len(set(self.train["label"]))
            kind = "text labels" if self.eval.label_names else "integer labels"
            return (f"{self.origin}: {len(self.train['label'])} training texts of {labels} {kind} from {self.source_rows}; "
                    f"eval {self.eval.size()}; test {self.test.size()}")
        built = f"{len(self.train['anchor'])} training rows ({', '.join(self.train)}) from {self.source_rows} source rows"
        if self.group_pairs == "all":
            built += " (group_pairs: all, each anchor paired with every passage of its group)"
        return (
            f"{self.origin}: {built}; "
            f"eval {self.eval.size()}; test {self.test.size()}"
        )


def prepare_data(data_config: DataConfig, seed: int, sweep_file: str, base_dir: Path, task: str = RETRIEVAL,
                 metric_keys: tuple[str, ...] = ()) -> PreparedData:
    """The task's training rows and evaluation sets. `metric_keys`: the sweep's metrics, whose IR cutoffs beyond the
    defaults the retrieval evaluator computes too."""
    limit = data_config.max_text_chars
    if task == "sts":
        origin, splits, source_rows = scored_pair_sets(data_config, seed, sweep_file, base_dir)
        refuse_long_texts(splits, limit, sweep_file, origin)
        return PreparedData(**splits, origin=origin, fingerprint=fingerprint(splits), source_rows=source_rows, group_pairs=None, task=task)
    if task == "classification":
        origin, splits, source_rows, notes = labelled_sets(data_config, seed, sweep_file, base_dir)
        refuse_long_texts(splits, limit, sweep_file, origin)
        return PreparedData(**splits, origin=origin, fingerprint=fingerprint(splits), source_rows=source_rows, group_pairs=None, task=task,
                            notes=tuple(notes))
    data = read_source(data_config.source, base_dir, data_config.columns, sweep_file, data_config.hub_split,
                       delimiter=data_config.delimiter)
    own_splits = tuple(split for split in ("eval", "test") if data.qrels.get(split))
    carve_missing_splits(data, data_config.eval_fraction, data_config.test_fraction, seed)
    for split in ("train", "eval", "test"):
        if not data.qrels.get(split):
            raise SweepInputError([problem(
                sweep_file, "data.source",
                f"must give the {split} split at least one query with a relevant document "
                "(more rows, or larger data.eval_fraction/test_fraction)",
                f"{data.origin}: 0 such queries",
            )])
    rng = random.Random(seed)
    group_pairs = data_config.group_pairs if data.group_docs else None
    pairs = _training_pairs(data, group_pairs)
    splits = {
        "train": _training_rows(data, pairs, data_config.max_train_rows, rng),
        "eval": retrieval_evaluation_set(data, "eval", data_config, rng, sweep_file),
        "test": retrieval_evaluation_set(data, "test", data_config, rng, sweep_file),
    }
    refuse_long_texts(splits, limit, sweep_file, data.origin)
    source_rows = len(_training_pairs(data, "one")) if group_pairs == "all" else len(pairs)  # else they are the rows as written
    mining = _mining_input(data, splits["train"]) if data_config.hard_negatives is not None else None
    extra = sorted(key for key in metric_keys if ir_metric(key) and key not in TASKS[RETRIEVAL].metrics)
    if extra:
        splits["eval"], splits["test"] = splits["eval"].with_cutoffs(extra), splits["test"].with_cutoffs(extra)
    return PreparedData(**splits, origin=data.origin, fingerprint=fingerprint(splits), source_rows=source_rows, group_pairs=group_pairs,
                        mining=mining, own_splits=own_splits)


def _texts(value, where: str):
    """(where, text) for every text in a split: its rows' columns, its queries and corpus, its pairs."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, EvaluationSet):
        yield from _texts(value.record(), where)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, where)


def refuse_long_texts(splits: dict, limit: int, sweep_file: str, origin: str) -> None:
    """One line for a source holding texts longer than `data.max_text_chars`, before anything encodes them."""
    long: dict[str, str] = {}  # a passage may sit in several splits: counted once, where it is first
    for where, text in _texts(splits, ""):
        if len(text) > limit:
            long.setdefault(text, where)
    if long:
        length, where = max((len(text), where) for text, where in long.items())
        raise SweepInputError([problem(sweep_file, "data.max_text_chars", f"must bound every text of the data ({limit:,} characters; "
                                       "raise it for longer documents, or split them)",
                                       f"{origin}: {len(long):,} longer, the longest {length:,} characters in {where.split('.')[0]} "
                                       f"({'.'.join(where.split('.')[1:2])})")])


def data_problems(data_config: DataConfig, seed: int, sweep_file: str, base_dir: Path, task: str | None) -> list[str]:
    """What reading the data would refuse, for a file whose other checks failed: every problem in one pass."""
    if task is None:
        return []
    try:
        prepare_data(data_config, seed, sweep_file, base_dir, task)
    except SweepInputError as error:
        return list(error.problems)
    return []


def prepare_evaluation(data_config: DataConfig, split: str, seed: int, sweep_file: str, base_dir: Path) -> tuple[QueryCorpusSet, str, str]:
    """One evaluation set of a source that may hold nothing to train on (a BEIR folder with test qrels only):
    (the set, the source's origin, its fingerprint). A source without the split gets it carved as a sweep would."""
    data = read_source(data_config.source, base_dir, data_config.columns, sweep_file, data_config.hub_split,
                       require_train=False, delimiter=data_config.delimiter)
    if split not in data.qrels:
        if "train" not in data.qrels:
            raise SweepInputError([problem(sweep_file, "data.source", f"must hold the {split} split, or a train split to carve it from",
                                           f"{data.origin} with splits {sorted(data.qrels)}")])
        carve_missing_splits(data, data_config.eval_fraction, data_config.test_fraction, seed)
    evaluation_set = retrieval_evaluation_set(data, split, data_config, random.Random(seed), sweep_file)
    return evaluation_set, data.origin, fingerprint({split: evaluation_set})


def _mining_input(data: RetrievalSet, train: dict):
    """Every train passage relevant to each training anchor, and the passages no eval or test query has as a positive."""
    query_ids = {text: query_id for query_id, text in data.queries.items()}
    relevant = {anchor: sorted(data.corpus[doc_id] for doc_id in data.qrels["train"][query_ids[anchor]]) for anchor in dict.fromkeys(train["anchor"])}
    held_out = {doc_id for split in ("eval", "test") for docs in data.qrels.get(split, {}).values() for doc_id in docs}
    return MiningInput(relevant, tuple(text for doc_id, text in sorted(data.corpus.items()) if doc_id not in held_out))


def fingerprint(splits: dict) -> str:
    """Of the data alone (an evaluation set's record leaves out which cutoffs it computes: they don't change what it judged)."""
    data = {split: splits[split].record() if isinstance(splits[split], EvaluationSet) else splits[split]
            for split in ("train", "eval", "test") if split in splits}
    payload = json.dumps(data, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _training_pairs(data: RetrievalSet, group_pairs: str | None) -> list[tuple[str, str, list[str]]]:
    """(query, passage, negatives) ids. With groups, `one` keeps each source row's own pair; `all` pairs each
    anchor with every passage of its group. Without groups, each relevant pair once. A pair keeps its row's
    negatives; a pair no row wrote (a group's other passages) takes one of its query's in turn."""
    pairs = []
    for query_id in sorted(data.qrels["train"]):
        negatives = data.negatives.get(query_id, [])
        own = data.row_docs.get(query_id) if group_pairs == "one" and data.group_docs else None
        for index, doc_id in enumerate(sorted(own) if own else sorted(data.qrels["train"][query_id])):
            row = data.row_negatives.get((query_id, doc_id))
            pairs.append((query_id, doc_id, row if row is not None else ([negatives[index % len(negatives)]] if negatives else [])))
    return pairs


def _training_rows(data: RetrievalSet, pairs: list, max_rows: int | None, rng: random.Random) -> dict[str, list[str]]:
    pairs = list(pairs)
    rng.shuffle(pairs)
    if max_rows is not None:
        pairs = pairs[:max_rows]
    rows = {"anchor": [data.queries[q] for q, _, _ in pairs], "positive": [data.corpus[d] for _, d, _ in pairs]}
    # As many negative columns as every row has: sentence-transformers losses read columns by position.
    shared = min((len(negatives) for _, _, negatives in pairs), default=0)
    for index in range(shared):
        column = negative_column(index, shared)
        rows[column] = [data.corpus[negatives[index]] for _, _, negatives in pairs]
    if data.group_docs:  # the data declared groups: losses that learn from labels can use them
        rows["label"] = [data.split_groups[q] for q, _, _ in pairs]
    return rows


def negative_column(index: int, count: int) -> str:
    """`negative` for one negative per row; `negative_1` … `negative_n` for several."""
    return "negative" if count == 1 else f"negative_{index + 1}"


def retrieval_evaluation_set(data: RetrievalSet, split: str, data_config: DataConfig, rng: random.Random, sweep_file: str) -> QueryCorpusSet:
    qrels = data.qrels[split]
    max_queries, corpus_size = split_cap(data_config, split), data_config.eval_corpus_size
    if max_queries is not None and len(qrels) > max_queries:
        qrels = {query_id: qrels[query_id] for query_id in sorted(rng.sample(sorted(qrels), max_queries))}
    relevant_ids = sorted({doc_id for docs in qrels.values() for doc_id in docs})
    if corpus_size is not None and len(relevant_ids) > corpus_size:
        # A hard cap: dropping relevant passages would make queries unanswerable and the metric meaningless.
        raise SweepInputError([problem(
            sweep_file, "data.eval_corpus_size",
            f"must hold at least the {split} split's relevant passages ({len(relevant_ids)} for {len(qrels)} queries; every passage "
            f"of a query's group counts): raise it, or lower data.max_{split}_queries", corpus_size)])
    corpus_ids = set(relevant_ids)
    distractors = sorted(set(data.corpus) - corpus_ids)
    room = len(distractors) if corpus_size is None else corpus_size - len(corpus_ids)
    corpus_ids.update(rng.sample(distractors, min(room, len(distractors))))
    corpus = {doc_id: data.corpus[doc_id] for doc_id in sorted(corpus_ids)}
    miner = LexicalNegativeMiner(corpus)
    triplets = Triplets()
    for query_id in sorted(qrels):
        given = [n for n in data.negatives.get(query_id, []) if n not in qrels[query_id]]
        for index, doc_id in enumerate(sorted(qrels[query_id])):
            negative_id = given[index % len(given)] if given else miner.hardest(data.queries[query_id], qrels[query_id])
            if negative_id is None:
                continue
            triplets.anchor.append(data.queries[query_id])
            triplets.positive.append(data.corpus[doc_id])
            triplets.negative.append(data.corpus[negative_id])
    return QueryCorpusSet(queries={query_id: data.queries[query_id] for query_id in sorted(qrels)}, corpus=corpus,
                          relevant={query_id: sorted(docs) for query_id, docs in sorted(qrels.items())}, triplets=triplets)
