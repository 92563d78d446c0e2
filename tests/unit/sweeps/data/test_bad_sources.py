"""Bad data sources and tracking URIs: each named with file, key, expectation and what was found."""

import socket

import pytest

from sweeps.data.readers import read_source
from sweeps.errors import SweepInputError
from sweeps.tracking.store import check_tracking_uri


def problems(call):
    with pytest.raises(SweepInputError) as caught:
        call()
    return caught.value.problems


def test_sqlite_store_in_a_missing_folder(tmp_path):
    uri = f"sqlite:///{tmp_path}/absent/mlflow.db"
    assert problems(lambda: check_tracking_uri(uri, "F")) == [f"F: `mlflow.tracking_uri` must point into an existing folder, but got '{uri}'"]


def test_unreachable_server_is_refused_without_its_password():
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    found = problems(lambda: check_tracking_uri(f"http://alice:s3cret@127.0.0.1:{port}", "F"))
    assert len(found) == 1
    assert found[0].startswith("F: `mlflow.tracking_uri` must be a reachable MLflow server (")
    assert found[0].endswith(f"but got 'http://***@127.0.0.1:{port}'")
    assert "s3cret" not in found[0]


def test_unknown_store_scheme():
    assert problems(lambda: check_tracking_uri("ftp://host/db", "F")) == [
        "F: `mlflow.tracking_uri` must be sqlite:///…, http(s)://… or another MLflow store URI, but got 'ftp://host/db'"]


def test_folder_that_is_neither_beir_nor_split_files(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    assert problems(lambda: read_source(str(tmp_path), tmp_path, {}, "F")) == [
        f"F: `data.source` must be a BEIR folder (corpus.jsonl[.gz], queries.jsonl, qrels/) or hold train.{{jsonl,csv,parquet}} "
        f"(or files named like *train*, *dev* or *valid*, *test*), "
        f"but got \"{tmp_path} containing ['notes.txt']\""]


def test_beir_folder_without_training_qrels(tmp_path):
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "y"}\n')
    assert problems(lambda: read_source(str(tmp_path), tmp_path, {}, "F")) == [
        f"F: `data.source` a BEIR folder must hold qrels/train.tsv to train on, but got '{tmp_path}'"]


def test_malformed_qrels_line_is_named(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "y"}\n')
    (tmp_path / "qrels/train.tsv").write_text("q1\td1\t1\nq1 d1 1\n")
    assert problems(lambda: read_source(str(tmp_path), tmp_path, {}, "F")) == [
        f"{tmp_path}/qrels/train.tsv: `line 2` must be query-id<TAB>corpus-id<TAB>score, but got 'q1 d1 1'"]


def test_hub_dataset_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    found = problems(lambda: read_source("nobody/no-such-dataset", tmp_path, {}, "F"))
    assert len(found) == 1
    expected = ("F: `data.source` must be a hub dataset reachable from here (offline? set HF_HUB_OFFLINE=0, "
                "or point at a local copy), but got ")
    assert found[0].startswith(expected)
    # the library's own reason follows the id; its quoting depends on that reason's text
    assert found[0][len(expected):].lstrip("'\"").startswith("nobody/no-such-dataset (")


def test_resume_without_an_earlier_sweep_or_its_state_is_refused(tmp_path):
    from sweeps.run import resumable
    from sweeps.sweep_file import load_sweep_file
    from sweeps.tracking.parent_run import SweepRun, resumable_sweep

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with pytest.raises(SweepInputError) as caught:
        resumable_sweep(uri, "demo", "demo", "F")
    assert caught.value.problems == ["F: `name` --resume needs an earlier sweep of this name in experiment 'demo', but got 'demo'"]

    SweepRun(uri, "demo", "demo")  # started, never finished, and its Tune state is not where the sweep file says
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(f"name: demo\ndata: {{source: d.jsonl}}\nparameters: {{base_model: {{value: m}}}}\n"
                          f"mlflow: {{tracking_uri: '{uri}'}}\nstorage_path: {tmp_path / 'elsewhere'}\n")
    with pytest.raises(SweepInputError) as caught:
        resumable(load_sweep_file(sweep_file), "F")
    assert caught.value.problems[0].startswith("F: `storage_path` must hold the interrupted sweep's state (demo-")
