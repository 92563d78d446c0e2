"""Reading, splitting and evaluation sets: deterministic, leak-free, real."""

import json
from pathlib import Path

import pytest
import yaml

from sweeps.data.prepare import prepare_data
from sweeps.sweep_file.schema import DataConfig
from trainables.evaluation.evaluators import build_evaluator

REPO = Path(__file__).resolve().parents[4]
PYDOCS = {"source": str(REPO / "examples/data/pydocs.jsonl"), "columns": {"anchor": "query", "positive": "passage"},
          "eval_fraction": 0.15, "test_fraction": 0.15}


def prepare(config, seed=42, base=REPO):
    return prepare_data(DataConfig(**config), seed, "sweep.yaml", base)


def test_splits_are_deterministic_from_the_seed():
    first, again, other = prepare(PYDOCS), prepare(PYDOCS), prepare(PYDOCS, seed=7)
    assert first.fingerprint == again.fingerprint
    assert first.eval.queries == again.eval.queries
    assert first.fingerprint != other.fingerprint


def test_the_prepared_data_does_not_follow_the_hash_seed():
    """Each CLI is its own process with its own PYTHONHASHSEED; a sweep and a later `evaluate` must see the same data."""
    import os
    import subprocess
    import sys

    probe = ("from pathlib import Path; from sweeps.data.prepare import prepare_data; from sweeps.sweep_file.schema import DataConfig; "
             f"print(prepare_data(DataConfig(**{PYDOCS!r}), 42, 'sweep.yaml', Path({str(REPO)!r})).fingerprint)")
    seen = {subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2", "3")}
    assert len(seen) == 1 and seen != {""}


def test_splits_never_share_a_query_and_test_does_not_depend_on_eval_fraction():
    prepared = prepare(PYDOCS)
    train_anchors = set(prepared.train["anchor"])
    eval_queries, test_queries = set(prepared.eval.queries.values()), set(prepared.test.queries.values())
    assert not train_anchors & eval_queries and not train_anchors & test_queries and not eval_queries & test_queries
    assert len(test_queries) == round(0.15 * 604)
    wider_eval = prepare({**PYDOCS, "eval_fraction": 0.3})
    assert wider_eval.test.queries == prepared.test.queries


def test_group_column_keeps_a_group_in_one_split_and_makes_all_its_rows_relevant(tmp_path):
    rows = [{"anchor": f"page {page} question {i}", "positive": f"page {page} paragraph {i}", "url": f"/page/{page}"}
            for page in range(30) for i in range(3)]
    (tmp_path / "crawl.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    prepared = prepare({"source": "crawl.jsonl", "columns": {"group": "url"}, "eval_fraction": 0.2, "test_fraction": 0.2}, base=tmp_path)
    pages = lambda texts: {text.split()[1] for text in texts}
    assert not pages(prepared.train["anchor"]) & pages(prepared.test.queries.values())
    test = prepared.test
    for query_id, relevant in test.relevant.items():
        page = test.queries[query_id].split()[1]
        assert sorted(test.corpus[doc].split()[1] for doc in relevant) == [page] * 3


def test_beir_folder_uses_its_own_test_split(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": f"d{i}", "title": f"t{i}", "text": f"doc {i}"}) for i in range(20)))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) for i in range(20)))
    (tmp_path / "qrels/train.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\td{i}\t1\n" for i in range(15)))
    (tmp_path / "qrels/test.tsv").write_text("".join(f"q{i}\td{i}\t1\n" for i in range(15, 20)))
    prepared = prepare({"source": str(tmp_path), "eval_fraction": 0.2, "test_fraction": 0.2})
    assert sorted(prepared.test.queries) == [f"q{i}" for i in range(15, 20)]
    assert len(prepared.eval.queries) == 3 and len(prepared.train["anchor"]) == 12
    assert prepared.test.corpus["d15"] == "t15\ndoc 15"
    assert len(prepared.test.corpus) == 20  # relevant passages plus every distractor


def test_corpus_cap_keeps_every_relevant_passage():
    prepared = prepare({**PYDOCS, "eval_corpus_size": 150, "max_eval_queries": 40})
    evaluation = prepared.eval
    assert len(evaluation.queries) == 40 and len(evaluation.corpus) == 150
    assert all(doc in evaluation.corpus for docs in evaluation.relevant.values() for doc in docs)


def test_mined_negatives_are_never_relevant_and_are_lexically_close():
    evaluation = prepare(PYDOCS).eval
    triplets = evaluation.triplets
    assert len(triplets.anchor) == sum(len(docs) for docs in evaluation.relevant.values())
    for anchor, positive, negative in zip(triplets.anchor, triplets.positive, triplets.negative):
        assert negative != positive
        query_id = next(q for q, text in evaluation.queries.items() if text == anchor)
        assert negative not in {evaluation.corpus[d] for d in evaluation.relevant[query_id]}
    shared_words = sum(bool(set(a.lower().split()) & set(n.lower().split())) for a, n in zip(triplets.anchor, triplets.negative))
    assert shared_words > 0.9 * len(triplets.anchor)


def test_evaluator_is_built_from_the_evaluation_set():
    evaluation = prepare(PYDOCS).eval
    evaluator = build_evaluator(evaluation)
    retrieval, triplet = evaluator.evaluators
    assert retrieval.queries_ids == list(evaluation.queries)
    assert set(retrieval.corpus_ids) == set(evaluation.corpus)
    assert retrieval.relevant_docs == {q: set(d) for q, d in evaluation.relevant.items()}
    assert len(triplet.anchors) == len(evaluation.triplets.anchor)


def grouped_crawl(tmp_path, pages=30, per_page=3):
    rows = [{"anchor": f"page {page} question {i}", "positive": f"page {page} paragraph {i}", "url": f"/page/{page}"}
            for page in range(pages) for i in range(per_page)]
    (tmp_path / "crawl.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    return {"source": "crawl.jsonl", "columns": {"group": "url"}, "eval_fraction": 0.2, "test_fraction": 0.2}


def test_grouped_rows_train_as_written_unless_group_pairs_is_all(tmp_path):
    config = grouped_crawl(tmp_path)
    one, every = prepare(config, base=tmp_path), prepare({**config, "group_pairs": "all"}, base=tmp_path)
    assert len(one.train["anchor"]) == one.source_rows == 18 * 3  # 18 of 30 pages train, 3 rows each
    same_row = lambda anchor, positive: (anchor.split()[1], anchor.split()[3]) == (positive.split()[1], positive.split()[3])  # noqa: E731
    assert all(same_row(a, p) for a, p in zip(one.train["anchor"], one.train["positive"]))
    assert not all(same_row(a, p) for a, p in zip(every.train["anchor"], every.train["positive"]))
    assert len(every.train["anchor"]) == 18 * 3 * 3 and every.source_rows == 18 * 3
    assert "from 54 source rows" in one.summary() and "group_pairs: all" in every.summary()
    assert one.test == every.test  # evaluation counts the whole group as relevant either way


def test_the_eval_corpus_cap_is_hard_and_refuses_when_relevant_passages_alone_exceed_it(tmp_path):
    import pytest

    from sweeps.errors import SweepInputError

    config = {**grouped_crawl(tmp_path), "eval_corpus_size": 10}  # 6 eval pages x 3 relevant passages = 18
    with pytest.raises(SweepInputError) as refused:
        prepare(config, base=tmp_path)
    assert refused.value.problems == [
        "sweep.yaml: `data.eval_corpus_size` must hold at least the eval split's relevant passages (18 for 18 queries; every "
        "passage of a query's group counts): raise it, or lower data.max_eval_queries, but got 10"]
    assert len(prepare({**config, "eval_corpus_size": 20}, base=tmp_path).eval.corpus) == 20


def test_a_beir_folder_with_test_qrels_only_is_evaluated_but_not_trained_on(tmp_path):
    import pytest

    from sweeps.data.prepare import prepare_evaluation
    from sweeps.errors import SweepInputError

    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps({"_id": f"d{i}", "text": f"doc {i}"}) for i in range(8)))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps({"_id": f"q{i}", "text": f"query {i}"}) for i in range(8)))
    (tmp_path / "qrels/test.tsv").write_text("".join(f"q{i}\td{i}\t1\n" for i in range(8)))
    config = {"source": str(tmp_path), "eval_fraction": 0.1, "test_fraction": 0.1}
    evaluation, origin, fingerprint = prepare_evaluation(DataConfig(**config), "test", 42, "DATA", tmp_path)
    assert sorted(evaluation.queries) == [f"q{i}" for i in range(8)] and origin == str(tmp_path) and len(fingerprint) == 16
    with pytest.raises(SweepInputError, match="must hold the eval split, or a train split to carve it from"):
        prepare_evaluation(DataConfig(**config), "eval", 42, "DATA", tmp_path)
    with pytest.raises(SweepInputError, match="must hold qrels/train.tsv to train on"):
        prepare(config)


def test_several_negatives_per_row_become_as_many_columns_in_order(tmp_path):
    from sweeps.data.reshape import reshape

    rows = [{"q": f"question {i}", "p": f"answer {i}", "n1": f"wrong {i} a", "n2": f"wrong {i} b", "n3": f"wrong {i} c",
             "hard": [f"wrong {i} a", f"wrong {i} b"]} for i in range(40)]
    (tmp_path / "rows.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    listed = prepare({"source": "rows.jsonl", "columns": {"anchor": "q", "positive": "p", "negatives": ["n1", "n2", "n3"]},
                      "eval_fraction": 0.1, "test_fraction": 0.1}, base=tmp_path)
    assert list(listed.train) == ["anchor", "positive", "negative_1", "negative_2", "negative_3"]
    assert all(n.startswith(f"wrong {a.split()[1]} ") for a, n in zip(listed.train["anchor"], listed.train["negative_3"]))
    one_column = prepare({"source": "rows.jsonl", "columns": {"anchor": "q", "positive": "p", "negatives": "hard"},
                          "eval_fraction": 0.1, "test_fraction": 0.1}, base=tmp_path)
    assert list(one_column.train) == ["anchor", "positive", "negative_1", "negative_2"]
    pairs, note = reshape(listed.train, "pairs", 0)
    assert list(pairs) == list(listed.train) and note is None  # the MNRL family takes them all
    triplets, note = reshape(listed.train, "triplets", 0)
    assert triplets["negative"] == listed.train["negative_1"] and note == "the first of 3 negatives per row (a loss of one negative)"
    assert all(negative.startswith("wrong") for negative in listed.test.triplets.negative)  # evaluation uses the data's own


def test_no_eval_or_test_positive_is_ever_a_mining_candidate_and_every_training_positive_is_passed_as_one(tmp_path):
    """The miner draws negatives from `candidates` and never from an anchor's own positives: so no held-out answer can
    become a training negative, and no passage relevant to a training anchor can become its negative."""
    config = {**PYDOCS, "columns": {**PYDOCS["columns"], "group": "module"}, "hard_negatives": {"num_negatives": 3}}
    data = prepare(config)
    held_out = {text for split in (data.eval, data.test) for query, docs in split.relevant.items() for text in
                (split.corpus[doc_id] for doc_id in docs)}
    assert held_out and not held_out & set(data.mining.candidates)
    assert set(data.train["anchor"]) == set(data.mining.relevant)
    for anchor, positive in zip(data.train["anchor"], data.train["positive"]):
        assert positive in data.mining.relevant[anchor]
    assert max(len(passages) for passages in data.mining.relevant.values()) > 1  # a group's passages are all positives
    assert prepare({**config, "hard_negatives": None}).mining is None


def test_split_files_named_as_people_name_them_are_found_and_said(tmp_path):
    """STS-B's `stsb-de-train.csv`, `-dev.csv`, `-test.csv`: by a pattern, or alone in a folder; the origin says which is which."""
    from sweeps.data.readers import read_tables
    from sweeps.errors import SweepInputError

    for split in ("train", "dev", "test"):
        for language in ("de", "en"):
            (tmp_path / f"stsb-{language}-{split}.csv").write_text("sentence1,sentence2,score\na,b,0.5\nc,d,0.1\n")
    origin, tables = read_tables(str(tmp_path / "stsb-de-*.csv"), tmp_path, "sweep.yaml")
    assert origin.endswith("(train <- stsb-de-train.csv, eval <- stsb-de-dev.csv, test <- stsb-de-test.csv)")
    assert {split: Path(where).name for split, (_, where) in tables.items()} == {
        "train": "stsb-de-train.csv", "eval": "stsb-de-dev.csv", "test": "stsb-de-test.csv"}
    with pytest.raises(SweepInputError) as refused:  # two languages in one folder: which?
        read_tables(str(tmp_path), tmp_path, "sweep.yaml")
    (line,) = refused.value.problems
    assert f"pick them with a pattern such as '{tmp_path / 'stsb-de-*'}'" in line and "several files for" in line


def test_the_eval_cap_leaves_the_test_split_whole_and_the_test_cap_is_its_own():
    capped_eval = prepare_data(DataConfig(**{**PYDOCS, "max_eval_queries": 10}), 42, "sweep.yaml", REPO)
    assert len(capped_eval.eval.queries) == 10 and len(capped_eval.test.queries) > 10
    both = prepare_data(DataConfig(**{**PYDOCS, "max_eval_queries": 10, "max_test_queries": 12}), 42, "sweep.yaml", REPO)
    assert len(both.test.queries) == 12 and both.eval.queries == capped_eval.eval.queries


def test_a_save_to_disk_folder_and_nested_fields_are_read_as_people_have_them(tmp_path):
    """An HF user's most natural local format, Dataset or DatasetDict, and jsonl fields nested one level down."""
    from datasets import Dataset, DatasetDict

    rows = [json.loads(line) for line in (REPO / "examples/data/pydocs.jsonl").read_text().splitlines()]
    nested = [{"query": {"text": row["query"]}, "page": {"body": row["passage"]}} for row in rows]
    columns = {"anchor": "query.text", "positive": "page.body"}
    Dataset.from_list(nested).save_to_disk(str(tmp_path / "one"))
    one = prepare({**PYDOCS, "source": str(tmp_path / "one"), "columns": columns})
    assert one.origin.endswith("(datasets.load_from_disk)") and one.train_rows > 300
    DatasetDict({"train": Dataset.from_list(nested[:400]), "validation": Dataset.from_list(nested[400:440]),
                 "test": Dataset.from_list(nested[440:])}).save_to_disk(str(tmp_path / "splits"))
    split = prepare({**PYDOCS, "source": str(tmp_path / "splits"), "columns": columns})
    assert split.origin.endswith("(datasets.load_from_disk: train <- train, eval <- validation, test <- test)")
    assert len(split.eval.queries) <= 40 and split.train_rows <= 400


def test_a_fraction_the_source_makes_unused_is_said(tmp_path):
    """A BEIR folder with its own test qrels: a test_fraction the file sets changes nothing, and the run says so."""
    from sweeps.prepared_sweep import prepare_sweep
    from sweeps.sweep_file import load_sweep_file

    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{i}", "text": f"passage number {i}"}) + "\n" for i in range(60)))
    (folder / "queries.jsonl").write_text("".join(json.dumps({"_id": f"q{i}", "text": f"question {i}"}) + "\n" for i in range(60)))
    for split, ids in (("train", range(0, 40)), ("test", range(40, 60))):
        (folder / "qrels" / f"{split}.tsv").write_text("".join(f"q{i}\td{i}\t1\n" for i in ids))
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"data: {{source: {folder}, test_fraction: 0.3}}\nparameters: {{base_model: {{value: all-MiniLM-L6-v2}}}}\n")
    notes = prepare_sweep(load_sweep_file(sweep), sweep).data.notes
    assert "data.test_fraction is unused: the source has its own test split" in notes


def test_the_shipped_datas_fingerprints_hold_across_the_code_that_reads_them():
    """A fingerprint is what promotion compares a candidate and the champion on: the typed evaluation sets hash to
    the figures the plain dicts before them did (measured on 6bde83a), so no champion became incomparable."""

    grid = yaml.safe_load((REPO / "grid.yaml").read_text())
    labelled = yaml.safe_load((REPO / "examples/classification.yaml").read_text())["data"]
    labelled["source"] = str(REPO / "examples" / labelled["source"])
    assert prepare_data(DataConfig(**grid["data"]), 42, "F", REPO).fingerprint == "6e70f2a6db80adb7"
    assert prepare_data(DataConfig(source=str(REPO / "examples/data/wordnet_sts")), 42, "F", REPO, "sts").fingerprint == "859efa2b0185b557"
    assert prepare_data(DataConfig(**labelled), 0, "F", REPO, "classification").fingerprint == "ad5f48ea201cece9"
