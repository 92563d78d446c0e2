"""The data check on NorQuAD: does it find planted leaks, does it flag clean data, what does a leak do to the test
figure, and how long does it take at 10,000 and 100,000 training rows.

One invocation, on ../shared/data/norquad (split by article: no test passage is a train passage):
  1. 5% of the test queries, lightly edited (up to two character edits, and sometimes case, whitespace and end
     punctuation changed), are planted into train with their relevant passage, edited the same way. Recall: the share
     of the planted training rows the check flags (and `data.leaks: drop` drops), and of the planted queries alone.
  2. False flags: on the clean data, the share of held-out texts (eval and test queries and relevant passages) the
     check says a training text duplicates.
  3. Two short trainings through `python -m sweeps.run`, identical but for `data.leaks` (warn: the leak kept; drop:
     the planted rows dropped): test NDCG@10 of each, with its 95% interval.
  4. The check's time on 10,000 and 100,000 distinct training rows built from NorQuAD's texts.

    python benchmarks/data_check.py [--train-rows 600] [--skip-training]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NORQUAD = REPO.parent / "shared" / "data" / "norquad"
SWEEP = """
name: {name}
method: grid
seed: 42
data:
  source: {folder}
  eval_corpus_size: 600
  leaks: {leaks}
parameters:
  base_model: {{value: all-MiniLM-L6-v2}}
  max_seq_length: {{value: 128}}
  learning_rate: {{value: 1.0e-4}}
  per_device_train_batch_size: {{value: 16}}
  num_train_epochs: {{value: 1}}
mlflow: {{tracking_uri: "sqlite:///{workdir}/mlflow.db"}}
storage_path: {workdir}/ray_results
baselines: false
"""


def light_edit(text: str, rng: random.Random) -> str:
    """Up to two character edits (delete, insert, substitute, swap) and, each half the time, a case or spacing change."""
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        at = rng.randrange(max(1, len(chars) - 1))
        kind = rng.choice(("delete", "insert", "substitute", "swap"))
        if kind == "delete" and len(chars) > 1:
            del chars[at]
        elif kind == "insert":
            chars.insert(at, rng.choice("abcdefghijklmnopqrstuvwxyzæøå"))
        elif kind == "substitute":
            chars[at] = rng.choice("abcdefghijklmnopqrstuvwxyzæøå")
        elif len(chars) > 1:
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    edited = "".join(chars)
    if rng.random() < 0.5:
        edited = edited.lower()
    if rng.random() < 0.5:
        edited = edited.replace(" ", "  ", 2)
    if rng.random() < 0.5:
        edited = edited.rstrip("?.!")
    return edited


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_qrels(path: Path) -> dict[str, list[str]]:
    qrels: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        query_id, doc_id, *_ = line.split("\t")
        if query_id == "query-id":  # BEIR's header
            continue
        qrels.setdefault(query_id, []).append(doc_id)
    return qrels


def write_beir(folder: Path, corpus: list[dict], queries: list[dict], qrels: dict[str, dict[str, list[str]]]) -> Path:
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in corpus), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(query, ensure_ascii=False) + "\n" for query in queries), encoding="utf-8")
    for split, pairs in qrels.items():
        (folder / "qrels" / f"{split}.tsv").write_text("".join(f"{q}\t{d}\t1\n" for q, docs in pairs.items() for d in docs))
    return folder


def build_folders(workdir: Path, train_rows: int, seed: int) -> tuple[Path, Path, list[str], list[str]]:
    """(the clean folder, the planted one, the planted query ids, the planted passage ids): NorQuAD's train queries
    (a deterministic 600, 5% of them as dev) and all its test queries; the planted folder adds 5% of the test queries,
    edited, as train queries of edited copies of their passages."""
    rng = random.Random(seed)
    corpus = read_jsonl(NORQUAD / "corpus.jsonl")
    queries = read_jsonl(NORQUAD / "queries.jsonl")
    train, test = read_qrels(NORQUAD / "qrels" / "train.tsv"), read_qrels(NORQUAD / "qrels" / "test.tsv")
    chosen = rng.sample(sorted(train), min(train_rows, len(train)))
    dev_count = max(1, len(chosen) // 20)
    qrels = {"train": {q: train[q] for q in chosen[dev_count:]}, "dev": {q: train[q] for q in chosen[:dev_count]}, "test": test}
    clean = write_beir(workdir / "clean", corpus, queries, qrels)
    query_text, doc_text = {q["_id"]: q["text"] for q in queries}, {d["_id"]: d for d in corpus}
    planted_queries, planted_docs = [], []
    extra_queries, extra_docs, planted_train = [], [], dict(qrels["train"])
    for query_id in rng.sample(sorted(test), round(0.05 * len(test))):
        doc_id = test[query_id][0]
        new_query, new_doc = f"planted-{query_id}", f"planted-{doc_id}-{query_id}"
        extra_queries.append({"_id": new_query, "text": light_edit(query_text[query_id], rng)})
        extra_docs.append({**doc_text[doc_id], "_id": new_doc, "text": light_edit(doc_text[doc_id]["text"], rng)})
        planted_train[new_query] = [new_doc]
        planted_queries.append(new_query)
        planted_docs.append(new_doc)
    planted = write_beir(workdir / "planted", corpus + extra_docs, queries + extra_queries, {**qrels, "train": planted_train})
    return clean, planted, planted_queries, planted_docs


def prepared(folder: Path, workdir: Path, leaks: str):
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file.loading import load_sweep_file

    path = workdir / f"check-{folder.name}-{leaks}.yaml"
    path.write_text(SWEEP.format(name=f"check-{folder.name}", folder=folder, leaks=leaks, workdir=workdir))
    return prepare_sweep(load_sweep_file(path), path)


def recall(workdir: Path, planted: Path, planted_queries: list[str]) -> None:
    from sweeps.data_check.near_duplicate_index import NearDuplicateIndex

    sweep = prepared(planted, workdir, "drop")
    check = sweep.data_check
    queries = {q["_id"]: q["text"] for q in read_jsonl(planted / "queries.jsonl")}
    planted_texts = [queries[q] for q in planted_queries]
    kept = set(sweep.data.train["anchor"])
    dropped_planted = sum(text not in kept for text in planted_texts)
    # Each planted query against the test queries alone, by the check's own index: is its original found?
    originals = [queries[q.removeprefix("planted-")] for q in planted_queries]
    test_texts = list(sweep.data.test.queries.values())
    matches = NearDuplicateIndex(test_texts, check.threshold).probe(NearDuplicateIndex(planted_texts, check.threshold))
    found = {match.index for match in matches if test_texts[match.indexed] == originals[match.index]}
    print(f"1. planted: {len(planted_texts)} edited test queries (5% of {len(sweep.data.test.queries)}) with their edited passages, into "
          f"{check.training_rows_as_read - len(planted_texts)} clean training rows")
    print(f"   recall of the planted training rows (dropped by data.leaks: drop): {dropped_planted}/{len(planted_texts)} = "
          f"{dropped_planted / len(planted_texts):.1%}")
    print(f"   recall of the planted queries alone (each matched to its own test query): {len(found)}/{len(planted_texts)} = "
          f"{len(found) / len(planted_texts):.1%}")
    print(f"   dropped in all: {len(check.dropped_rows)} of {check.training_rows_as_read} training rows")


def false_flags(workdir: Path, clean: Path) -> None:
    check = prepared(clean, workdir, "drop").data_check
    held_out = sum(size["texts"] for size in check.sizes if size["split"] != "train")
    flagged = sum(o.exact + o.near for o in check.training_leaks)
    print(f"2. clean NorQuAD: {flagged} of {held_out} held-out texts flagged as duplicating a training text = {flagged / held_out:.2%}"
          f" ({', '.join(f'{o.second} {o.role}: {o.exact} exact, {o.near} near' for o in check.training_leaks) or 'none'})")
    for overlap in check.training_leaks:
        for example in overlap.examples[:2]:
            print(f"     {example.line()}")


def thresholds(clean: Path, seed: int) -> None:
    """Every test query edited once, against itself, and every clean test query against the training queries, at
    several thresholds: what the default trades."""
    import numpy as np

    from sweeps.data_check.near_duplicate_index import NearDuplicateIndex

    rng = random.Random(seed)
    queries = {q["_id"]: q["text"] for q in read_jsonl(NORQUAD / "queries.jsonl")}
    test = [queries[q] for q in sorted(read_qrels(clean / "qrels" / "test.tsv"))]
    train = [queries[q] for q in sorted(read_qrels(clean / "qrels" / "train.tsv"))]
    original, edited = NearDuplicateIndex(test, 1.0), NearDuplicateIndex([light_edit(text, rng) for text in test], 1.0)
    same = np.asarray((edited.vectors.multiply(original.vectors)).sum(axis=1)).ravel()  # each edit against its own original
    exact = np.array([a == b for a, b in zip(original.keys, edited.keys)])
    training_side = NearDuplicateIndex(train, 1.0)
    best = (original.vectors @ training_side.columns).max(axis=1).toarray().ravel()
    print(f"5. the threshold: each of the {len(test)} test queries edited once (found: exact, or at the threshold), and the clean "
          f"test queries against the {len(train)} training queries (flagged):")
    for threshold in (0.65, 0.7, 0.75, 0.8, 0.85):
        found = np.mean(exact | (same >= threshold))
        print(f"   {threshold:.2f}: found {found:.1%}, clean flagged {np.mean(best >= threshold):.2%}")


def training(workdir: Path, planted: Path, planted_queries: list[str]) -> None:
    from mlflow.tracking import MlflowClient

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "RAY_USAGE_STATS_ENABLED": "0"}
    print("3. one short training each (MiniLM, lr 1e-4, batch 16, 1 epoch, max_seq_length 128), test NDCG@10 over all test queries:")
    for leaks in ("warn", "drop"):
        name = f"leak-{leaks}"
        path = workdir / f"{name}.yaml"
        path.write_text(SWEEP.format(name=name, folder=planted, leaks=leaks, workdir=workdir))
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "sweeps.run", str(path)], cwd=workdir, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
        experiment = client.get_experiment_by_name(name).experiment_id
        trial = client.search_runs([experiment], "tags.`sweeps.role` = 'trial'")[0].data
        parent = client.search_runs([experiment], "tags.`sweeps.role` = 'sweep'")[0].data
        metrics = trial.metrics
        run_id = client.search_runs([experiment], "tags.`sweeps.role` = 'trial'")[0].info.run_id
        per_query = json.loads(Path(client.download_artifacts(run_id, "per_query/test.json", str(workdir))).read_text())["ndcg_at_10"]
        leaked = {query_id.removeprefix("planted-") for query_id in planted_queries}
        on_leaked = [score for query_id, score in per_query.items() if query_id in leaked]
        on_rest = [score for query_id, score in per_query.items() if query_id not in leaked]
        print(f"   data.leaks: {leaks:<4}  {parent.params['train_rows']:>4} training rows  test NDCG@10 {metrics['test_ndcg_at_10']:.4f} "
              f"[{metrics['test_ndcg_at_10_ci_low']:.4f}, {metrics['test_ndcg_at_10_ci_high']:.4f}]; on the {len(on_leaked)} leaked test "
              f"queries {sum(on_leaked) / len(on_leaked):.4f}, on the other {len(on_rest)} {sum(on_rest) / len(on_rest):.4f}  "
              f"({time.perf_counter() - started:.0f} s)")


def scale(workdir: Path, clean: Path, rows_list: list[int], seed: int) -> None:
    """Distinct training rows from the training split's texts: a query with two of its words swapped and a numbered tail, a passage
    with its sentences shuffled, so no two rows normalise to the same text and the check vectorises every one."""
    from sweeps.data_check import check_data

    sweep = prepared(clean, workdir, "drop")
    rng = random.Random(seed)
    # From the training split only: a test text with two words swapped would be a near duplicate, rightly flagged.
    train_queries = set(read_qrels(clean / "qrels" / "train.tsv"))
    train_docs = {doc for docs in read_qrels(clean / "qrels" / "train.tsv").values() for doc in docs}
    queries = [q["text"] for q in read_jsonl(NORQUAD / "queries.jsonl") if q["_id"] in train_queries]
    passages = [d["text"] for d in read_jsonl(NORQUAD / "corpus.jsonl") if d["_id"] in train_docs]
    print("4. the check's time (2 cores), distinct training rows built from NorQuAD's texts, against eval and test:")
    for rows in rows_list:
        anchors, positives = [], []
        for index in range(rows):
            words = rng.choice(queries).split()
            if len(words) > 2:
                a, b = rng.sample(range(len(words)), 2)
                words[a], words[b] = words[b], words[a]
            anchors.append(" ".join(words) + f" ({index})")
            sentences = rng.choice(passages).split(". ")
            rng.shuffle(sentences)
            positives.append(". ".join(sentences) + f" [{index}]")
        data = dataclasses.replace(sweep.data, train={"anchor": anchors, "positive": positives})
        started = time.perf_counter()
        _, check = check_data(data, (), sweep.config, sweep.models)
        print(f"   {rows:>7,} rows: {time.perf_counter() - started:.1f} s ({check.seconds:.1f} s inside; {len(check.dropped_rows)} rows flagged)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=600)
    parser.add_argument("--scale", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    if not NORQUAD.is_dir():
        sys.exit(f"{NORQUAD} is missing: this benchmark reads ../shared/data/norquad")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        clean, planted, planted_queries, _ = build_folders(workdir, args.train_rows, seed=7)
        recall(workdir, planted, planted_queries)
        false_flags(workdir, clean)
        thresholds(clean, seed=11)
        if not args.skip_training:
            training(workdir, planted, planted_queries)
        scale(workdir, clean, args.scale, seed=7)


if __name__ == "__main__":
    main()
