"""The search report's plots: stopped trials in the optimisation history, importances only from enough trials."""

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from sweeps.reports.search_report import MIN_TRIALS_FOR_IMPORTANCES, STOPPED_LABEL, render_plots


def study_of(finished: int, stopped: int):
    study = optuna.create_study(direction="maximize", study_name="ndcg_at_10")
    space = {"learning_rate": FloatDistribution(1e-5, 1e-3, log=True)}
    for index in range(finished + stopped):
        pruned = index >= finished
        curve = {1: 0.3 + index / 100, 2: 0.4 + index / 100}
        study.add_trial(create_trial(params={"learning_rate": 1e-5 * (index + 1)}, distributions=space, intermediate_values=curve,
                                     state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
                                     value=None if pruned else 0.5 + index / 100))
    return study


def test_stopped_trials_are_in_the_history_and_few_trials_draw_no_importances(tmp_path):
    files, skipped = render_plots(study_of(finished=3, stopped=2), tmp_path)
    page = (tmp_path / "search_report.html").read_text()
    assert STOPPED_LABEL in page
    assert not (tmp_path / "param_importances.png").exists()
    assert f"param_importances (needs {MIN_TRIALS_FOR_IMPORTANCES} finished trials to tell a parameter's effect from noise, got 3)" in skipped
    assert (tmp_path / "optimization_history.png").stat().st_size > 5_000


def test_enough_finished_trials_draw_the_importances(tmp_path):
    files, skipped = render_plots(study_of(finished=MIN_TRIALS_FOR_IMPORTANCES, stopped=0), tmp_path)
    assert (tmp_path / "param_importances.png").exists() and not any(line.startswith("param_importances") for line in skipped)
    assert STOPPED_LABEL not in (tmp_path / "search_report.html").read_text()
