"""After the default sweep: promote, load the champion, evaluate it, refuse a worse sweep, and see it
all in the MLflow UI in a real (headless) browser."""

import json

import pytest
import yaml
from mlflow.tracking import MlflowClient
from browser import page_text, screenshot
from loopback_cluster import mlflow_server
from subprocess_cli import REPO, run_module

MODEL = "pydocs-minilm"


@pytest.fixture(scope="module")
def promoted(demo_sweep):
    workdir, result = demo_sweep
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    first = run_module("sweeps.promote", "demo", cwd=workdir)
    return workdir, first


@pytest.mark.real_model
def test_promote_registers_the_best_trial_and_is_idempotent(promoted):
    workdir, first = promoted
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("promoted: demo-") and f"models:/{MODEL}@champion" in first.stdout
    assert "already exists" not in first.stdout + first.stderr  # MLflow's line about the model the promote itself made

    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    champion = client.get_model_version_by_alias(MODEL, "champion")
    trial = client.get_run(champion.run_id)
    siblings = client.search_runs([trial.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{trial.data.tags['mlflow.parentRunId']}' and tags.`sweeps.role` = 'trial'")
    assert trial.info.status == "FINISHED"
    assert trial.data.metrics["best_ndcg_at_10"] == max(run.data.metrics["best_ndcg_at_10"] for run in siblings)
    for key in ("sweeps.sweep", "sweeps.trial", "sweeps.base_model", "sweeps.loss", "sweeps.hyperparameters",
                "sweeps.data_fingerprint", "metric.best_ndcg_at_10", "metric.test_ndcg_at_10"):
        assert champion.tags.get(key), key
    assert json.loads(champion.tags["sweeps.hyperparameters"])["learning_rate"] == trial.data.params["learning_rate"]

    again = run_module("sweeps.promote", "demo", cwd=workdir)
    assert again.returncode == 0 and again.stdout.startswith("nothing to do:")
    assert len(client.search_model_versions(f"name = '{MODEL}'")) == 1


@pytest.mark.real_model
def test_the_champion_loads_by_alias_and_reproduces_its_test_score(promoted):
    import mlflow
    import mlflow.sentence_transformers

    workdir, _ = promoted
    mlflow.set_tracking_uri(f"sqlite:///{workdir}/mlflow.db")
    model = mlflow.sentence_transformers.load_model(f"models:/{MODEL}@champion")
    embeddings = model.encode(["open a file for reading", "sort a list in place"])
    assert embeddings.shape == (2, 384)

    evaluated = run_module("sweeps.evaluate", f"models:/{MODEL}@champion", REPO / "grid.yaml", "--split", "test", cwd=workdir)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    report = json.loads(evaluated.stdout)
    champion = MlflowClient(f"sqlite:///{workdir}/mlflow.db").get_model_version_by_alias(MODEL, "champion")
    assert report["data_fingerprint"] == champion.tags["sweeps.data_fingerprint"]
    assert report["metrics"]["ndcg_at_10"] == pytest.approx(float(champion.tags["metric.test_ndcg_at_10"]), abs=1e-4)
    # The test score comes with its 95% interval over the test queries.
    low, high = (float(champion.tags[f"metric.test_ndcg_at_10_ci_{end}"]) for end in ("low", "high"))
    assert low < float(champion.tags["metric.test_ndcg_at_10"]) < high and high - low < 0.2


@pytest.mark.real_model
def test_the_baseline_is_measured_at_the_trials_settings(promoted):
    """grid.yaml trains at max_seq_length 64 (MiniLM's own is 256): its untrained baseline is evaluated at 64 too."""
    workdir, _ = promoted
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    experiment = client.get_experiment_by_name("demo").experiment_id
    baseline = client.search_runs([experiment], "tags.`sweeps.role` = 'baseline' and attributes.run_name = 'baseline-all-MiniLM-L6-v2'")[0]
    trial = client.search_runs([experiment], "tags.`sweeps.role` = 'trial'")[0]
    assert baseline.data.params["max_seq_length"] == trial.data.params["max_seq_length"] == "64"
    assert baseline.data.tags["sweeps.encoding"] == trial.data.tags["sweeps.encoding"]
    evaluated = run_module("sweeps.evaluate", "all-MiniLM-L6-v2", REPO / "grid.yaml", "--split", "test", "--max-seq-length", "64", cwd=workdir)
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    report = json.loads(evaluated.stdout)
    assert report["metrics"]["ndcg_at_10"] == pytest.approx(baseline.data.metrics["test_ndcg_at_10"], abs=1e-6)
    assert report["intervals_95"]["ndcg_at_10_ci_low"] == pytest.approx(baseline.data.metrics["test_ndcg_at_10_ci_low"], abs=1e-6)


@pytest.mark.real_model
def test_a_sweep_worse_than_the_champion_is_refused(promoted, tiny_model_dir):
    workdir, _ = promoted
    # Same data section and seed as grid.yaml (so the same test split), a tiny untrained-ish model.
    demo = yaml.safe_load((REPO / "grid.yaml").read_text())
    demo["data"]["source"] = str(REPO / "examples" / demo["data"]["source"].removeprefix("examples/"))
    worse = {
        "name": "worse", "seed": demo["seed"], "data": demo["data"], "baselines": False,
        "parameters": {"base_model": {"value": str(tiny_model_dir)}, "max_steps": {"value": 2}},
        "mlflow": {"tracking_uri": "sqlite:///mlflow.db", "experiment": "demo"},
        "promote": {"registered_model": MODEL},
    }
    (workdir / "worse.yaml").write_text(yaml.safe_dump(worse))
    swept = run_module("sweeps.run", "worse.yaml", cwd=workdir)
    assert swept.returncode == 0, swept.stdout[-3000:] + swept.stderr[-3000:]

    refused = run_module("sweeps.promote", "worse", cwd=workdir)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("refused: worse-") and "is not better than the champion's (version 1)" in lines[0]
    assert "(p=" in lines[0] and "paired randomization test over the same 91 test queries" in lines[0]
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"

    forced = run_module("sweeps.promote", "worse", "--dry-run", "--force", cwd=workdir)
    assert forced.returncode == 0 and forced.stdout.startswith("dry run:")
    assert len(client.search_model_versions(f"name = '{MODEL}'")) == 1


@pytest.mark.real_model
def test_a_sweep_that_only_hurts_the_model_says_so_and_is_not_promoted(promoted):
    """Six steps at learning rates that wreck MiniLM: at 1e-2 it collapses (every text one vector: FAILED, never ranked,
    whatever its tie-order scores), at 2e-3 it trains but ends below its untrained baseline."""
    workdir, _ = promoted
    demo = yaml.safe_load((REPO / "grid.yaml").read_text())
    demo["data"]["source"] = str(REPO / "examples" / demo["data"]["source"].removeprefix("examples/"))
    hurt = {
        # One evaluation, at the end, where the collapse is caught as at any; 40 eval and test queries show a wrecked model.
        "name": "hurt", "seed": demo["seed"], "evaluations_per_trial": 1,
        "data": {**demo["data"], "max_eval_queries": 40, "max_test_queries": 40, "eval_corpus_size": 100},
        "parameters": {"base_model": {"value": "all-MiniLM-L6-v2"}, "max_seq_length": {"value": 64},
                       "learning_rate": {"values": [1e-2, 2e-3]}, "max_steps": {"value": 6}, "per_device_train_batch_size": {"value": 16}},
        "mlflow": {"tracking_uri": "sqlite:///mlflow.db", "experiment": "hurt"}, "promote": {"registered_model": "hurt-model"},
    }
    (workdir / "hurt.yaml").write_text(yaml.safe_dump(hurt))
    swept = run_module("sweeps.run", "hurt.yaml", cwd=workdir)
    assert swept.returncode == 0, swept.stdout[-3000:] + swept.stderr[-3000:]
    assert "warning: no trial beats its untrained baseline on eval ndcg_at_10: the best, hurt-" in swept.stdout
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    trials = {run.data.params["learning_rate"]: run for run in client.search_runs(
        [client.get_experiment_by_name("hurt").experiment_id], "tags.`sweeps.role` = 'trial'")}
    collapsed = trials["0.01"]
    assert collapsed.info.status == "FAILED" and collapsed.data.tags["sweeps.outcome"] == "collapsed", collapsed.data.tags
    assert "every text embeds to nearly the same vector" in collapsed.data.tags["sweeps.error"]
    assert trials["0.002"].info.status == "FINISHED"

    refused = run_module("sweeps.promote", "hurt", cwd=workdir)
    lines = refused.stderr.strip().splitlines()
    assert refused.returncode == 1 and len(lines) == 1, refused.stdout + refused.stderr
    assert "does not beat its untrained baseline (baseline-all-MiniLM-L6-v2)" in lines[0] and lines[0].endswith("--force to promote anyway")


@pytest.mark.browser
def test_the_mlflow_ui_shows_the_sweep_and_the_champion_in_a_browser(promoted, tmp_path, browser):
    browser.set_window_size(1500, 950)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    workdir, _ = promoted
    client = MlflowClient(f"sqlite:///{workdir}/mlflow.db")
    experiment = client.get_experiment_by_name("demo")
    champion = client.get_model_version_by_alias(MODEL, "champion")
    with mlflow_server(workdir, db=workdir / "mlflow.db") as base:
        browser.get(f"{base}/#/experiments/{experiment.experiment_id}/runs")
        WebDriverWait(browser, 60).until(lambda _: "demo" in page_text(browser) and "matching runs" in page_text(browser))
        expander = ("//div[contains(concat(' ', normalize-space(@class), ' '), ' ag-row ')][.//*[normalize-space(text())='demo']]"
                    "//button[contains(@data-component-id, 'runnamecellrenderer')]")
        browser.find_element(By.XPATH, expander).click()  # the parent run's row unfolds its children
        trial_names = [run.info.run_name for run in client.search_runs([experiment.experiment_id], filter_string="tags.`sweeps.role` = 'trial' and tags.`sweeps.sweep` = 'demo'")]
        WebDriverWait(browser, 60).until(lambda _: all(name in page_text(browser) for name in trial_names))
        assert "baseline-all-MiniLM-L6-v2" in page_text(browser)
        runs = screenshot(browser, tmp_path, "runs.png")

        trial = client.get_run(champion.run_id)
        browser.get(f"{base}/#/experiments/{experiment.experiment_id}/runs/{trial.info.run_id}")
        WebDriverWait(browser, 60).until(lambda _: "ndcg_at_10" in page_text(browser))
        assert trial.info.run_name in page_text(browser) and str(trial.data.metrics["curves/ndcg_at_10"])[:6] in page_text(browser)

        browser.get(f"{base}/#/models/{MODEL}")
        WebDriverWait(browser, 60).until(lambda _: "champion" in page_text(browser))
        assert f"Version {champion.version}" in page_text(browser) and trial.info.run_name in page_text(browser)
        screenshot(browser, tmp_path, "model.png")
        assert runs.stat().st_size > 10_000
