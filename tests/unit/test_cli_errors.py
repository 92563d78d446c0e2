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
