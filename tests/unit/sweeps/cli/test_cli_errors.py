"""The promote and evaluate CLIs refuse bad input with one line and exit code 2 (in-process, no Ray)."""

from sweeps import evaluate, promote


def test_promote_without_a_store_names_the_uri(tmp_path, capsys):
    missing = tmp_path / "absent.db"
    assert promote.main(["demo", "--tracking-uri", f"sqlite:///{missing}"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: `--tracking-uri` must point at an existing MLflow store, but got 'sqlite:///{missing}' (no such file)")


def test_evaluate_an_unknown_model_folder_names_it(tmp_path, capsys):
    (tmp_path / "pairs.jsonl").write_text("\n".join(f'{{"anchor": "question {i}", "positive": "answer {i}"}}' for i in range(40)))
    code = evaluate.main([str(tmp_path / "no-model"), str(tmp_path / "pairs.jsonl")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"error: `MODEL` must be a hub id, a model folder, a shipped model or models:/NAME@ALIAS, but got '{tmp_path / 'no-model'}'")


def test_evaluate_missing_data_names_the_source(tmp_path, capsys):
    code = evaluate.main(["all-MiniLM-L6-v2", str(tmp_path / "absent.jsonl")])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"error: DATA: `data.source` must be an existing file or folder, but got '{tmp_path / 'absent.jsonl'}'"


def test_promote_refuses_a_significance_level_outside_zero_and_one(tmp_path, capsys):
    (tmp_path / "mlflow.db").touch()
    assert promote.main(["demo", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}", "--alpha", "1.5"]) == 2
    assert capsys.readouterr().err.strip() == "error: `--alpha` must be > 0 and < 1, but got 1.5"


DEAD_SERVER = "http://alice:s3cret-pass@127.0.0.1:9"  # the discard port: nothing listens there


def _one_clean_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err + captured.out, captured.err
    assert "s3cret-pass" not in captured.err + captured.out
    return lines[0]


def test_promote_with_a_password_uri_and_a_dead_server_is_one_line_without_the_password(monkeypatch, capsys):
    monkeypatch.delenv("MLFLOW_TRACKING_PASSWORD", raising=False)
    for argv, env in ((["demo", "--tracking-uri", DEAD_SERVER], None), (["demo"], DEAD_SERVER)):
        if env:
            monkeypatch.setenv("MLFLOW_TRACKING_URI", env)
        assert promote.main(argv) == 2
        line = _one_clean_line(capsys)
        assert line.startswith("error: `--tracking-uri` must be a reachable MLflow server (") and line.endswith(
            "but got 'http://***@127.0.0.1:9'"), line


def test_evaluate_from_the_registry_of_a_dead_server_is_one_line_without_the_password(monkeypatch, capsys):
    for argv, env in ((["models:/m@champion", "grid.yaml", "--tracking-uri", DEAD_SERVER], None), (["models:/m@champion", "grid.yaml"], DEAD_SERVER)):
        if env:
            monkeypatch.setenv("MLFLOW_TRACKING_URI", env)
        assert evaluate.main(argv) == 2
        line = _one_clean_line(capsys)
        assert "must be a reachable MLflow server" in line and "http://***@127.0.0.1:9" in line, line


def test_two_promotes_at_once_take_turns(tmp_path):
    """The lock: the second waits until the first lets go, so it sees the first one's version."""
    import threading
    import time

    from sweeps.promotion.store_lock import promotion_lock

    held = []

    def promote_later():
        with promotion_lock("sqlite:///x.db"):
            held.append(("second", time.monotonic()))

    with promotion_lock("sqlite:///x.db"):
        other = threading.Thread(target=promote_later)
        other.start()
        time.sleep(0.3)
        held.append(("first done", time.monotonic()))
    other.join(timeout=10)
    assert [who for who, _ in held] == ["first done", "second"]
