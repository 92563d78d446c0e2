"""Mined hard negatives for a retrieval sweep's training rows, through sentence_transformers.util.mine_hard_negatives.

Candidates are every passage that is no positive of the eval or test split, so no held-out answer becomes a training
negative; every passage relevant to a training anchor is passed as its positive, so none is mined as its negative.
Mined once on the driver and cached by (data fingerprint, mining model, options) under the sweep's storage folder:
`--resume`, `sweeps.evaluate` and a second sweep on the same data reuse it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from sweeps.data.mining_input import MiningInput
from sweeps.data.prepare import PreparedData, fingerprint, negative_column
from trainables.prompts import Prompts


@dataclass(frozen=True)
class Mined:
    data: PreparedData  # training rows with negative_1..n, and the fingerprint of what trials now train on
    stats: dict
    cached: bool


def cache_file(folder: Path, data_fingerprint: str, model_path: str, options: dict) -> Path:
    key = json.dumps({"data": data_fingerprint, "model": model_path, "options": options}, sort_keys=True)
    return folder / f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}.json"


def describe(options: dict, model_reference: str, data: PreparedData) -> str:
    shown = ", ".join(f"{key} {value}" for key, value in options.items() if value is not None and key not in ("num_negatives", "model"))
    return (f"{options['num_negatives']} hard negatives per training row, mined with {model_reference} ({shown}) among "
            f"{len(data.mining.candidates)} passages that are no eval or test positive")


def mine(data: PreparedData, options: dict, model_path: str, prompts: Prompts, folder: Path) -> Mined:
    cache = cache_file(folder, data.fingerprint, model_path, options)
    if cache.exists():
        found = json.loads(cache.read_text(encoding="utf-8"))
        cached = True
    else:
        found = _mine(data.mining, options, model_path, prompts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        scratch = cache.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(json.dumps(found), encoding="utf-8")
        os.replace(scratch, cache)  # whole or not at all: a killed driver leaves no half cache
        cached = False
    negatives = {tuple(json.loads(pair)): texts for pair, texts in found["negatives"].items()}
    train = _with_negatives(data.train, negatives, options["num_negatives"])
    stats = {**found["stats"], "training_rows_before": len(data.train["anchor"]), "training_rows": len(train["anchor"])}
    mined = dataclasses.replace(data, train=train, fingerprint=fingerprint({"train": train, "eval": data.eval, "test": data.test}),
                                source_fingerprint=data.source_fingerprint or data.fingerprint)
    return Mined(mined, stats, cached)


def _mine(mining: MiningInput, options: dict, model_path: str, prompts: Prompts) -> dict:
    import numpy as np
    import torch
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    pairs = [(anchor, positive) for anchor, positives in mining.relevant.items() for positive in positives]
    model = SentenceTransformer(model_path, device="cuda" if torch.cuda.is_available() else "cpu")
    if options["max_seq_length"]:
        model.max_seq_length = options["max_seq_length"]
    # sentence-transformers' miner draws its encode bars with show_progress_bar=True, whatever its logger or TQDM_DISABLE
    # say; tqdm writes to the stderr of the moment it starts, so the bars go to a buffer and the sweep's lines stay clean.
    with contextlib.redirect_stderr(io.StringIO()):
        mined = mine_hard_negatives(
            Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]}), model, corpus=list(mining.candidates),
            num_negatives=options["num_negatives"], range_min=options["range_min"], range_max=options["range_max"],
            relative_margin=options["relative_margin"], absolute_margin=options["absolute_margin"],
            sampling_strategy=options["sampling_strategy"], batch_size=options["batch_size"], query_prompt=prompts.query,
            corpus_prompt=prompts.document, output_format="n-tuple", output_scores=True, verbose=False)
    count = options["num_negatives"]
    negatives, positive_scores, negative_scores = {}, [], []
    for row in mined:
        negatives[json.dumps([row["anchor"], row["positive"]])] = [row[negative_column(i, count)] for i in range(count)]
        positive_scores.append(row["scores"][0])
        negative_scores += row["scores"][1:]

    def spread(values):
        if not values:
            return {}
        quantiles = np.quantile(values, [0.1, 0.5, 0.9])
        return {"mean": float(np.mean(values)), "p10": float(quantiles[0]), "p50": float(quantiles[1]), "p90": float(quantiles[2])}

    stats = {"pairs": len(pairs), "pairs_with_negatives": len(negatives), "pairs_with_too_few": len(pairs) - len(negatives),
             "candidates": len(mining.candidates), "positive_score": spread(positive_scores), "negative_score": spread(negative_scores)}
    return {"negatives": negatives, "stats": stats}


def _with_negatives(train: dict, negatives: dict, count: int) -> dict:
    """The training rows that got their negatives, with them as negative_1..n (replacing the data's own)."""
    keep = [index for index, pair in enumerate(zip(train["anchor"], train["positive"])) if pair in negatives]
    rows = {"anchor": [train["anchor"][i] for i in keep], "positive": [train["positive"][i] for i in keep]}
    for n in range(count):
        rows[negative_column(n, count)] = [negatives[(train["anchor"][i], train["positive"][i])][n] for i in keep]
    if "label" in train:
        rows["label"] = [train["label"][i] for i in keep]
    return rows
