"""A trial's time accounting: exclusive nested sections, the trainer's evaluation and save marks, the sweep's sums."""

from types import SimpleNamespace

import pytest

from sweeps.reports.time_breakdown import time_summary, trial_runs, trial_time_totals
from trainables.callbacks.phase_timer import PhaseTimer
from trainables.trial_clock import CHECKPOINT, EVAL, LOGGING, SERVING_VARIANTS, SETUP, TEST, TRAIN, TrialClock


class FakeTime:
    def __init__(self):
        self.now = 1000.0

    def perf_counter(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def time(monkeypatch):
    """The clock reads a time the test moves, so the figures are exact."""
    fake = FakeTime()
    monkeypatch.setattr("trainables.trial_clock.time", fake)
    return fake


def test_nested_sections_count_once_in_the_innermost(time):
    clock = TrialClock()
    with clock.section(TRAIN):
        time.sleep(0.05)
        with clock.section(EVAL):
            time.sleep(0.05)
            with clock.section(LOGGING):
                time.sleep(0.05)
        time.sleep(0.05)
    spent = clock.metrics()
    assert (spent["time_train_s"], spent["time_eval_s"], spent["time_logging_s"], spent["time_test_s"]) == (0.1, 0.05, 0.05, 0)
    assert spent["peak_rss_mb"] > 10


def test_time_outside_every_section_is_setup_and_leaving_closes_what_never_closed(time):
    clock = TrialClock()
    time.sleep(0.03)
    clock.enter(TRAIN)
    clock.enter(EVAL)  # an evaluation a NaN guard called off: on_evaluate never comes
    time.sleep(0.03)
    clock.leave(TRAIN)
    clock.leave(TEST)  # never opened: no error, nothing charged
    time.sleep(0.03)
    spent = clock.metrics()
    assert (spent["time_setup_s"], spent["time_eval_s"], spent["time_train_s"]) == (0.06, 0.03, 0)


def test_the_phase_timer_charges_evaluations_and_resume_saves(time):
    clock = TrialClock()
    timer = PhaseTimer(clock)
    control = SimpleNamespace(should_evaluate=True, should_save=True)
    with clock.section(TRAIN):
        timer.on_step_end(None, None, control)
        time.sleep(0.04)
        timer.on_evaluate(None, None, control)
        with clock.section(CHECKPOINT):  # the best model saved while the reporter publishes
            time.sleep(0.02)
        time.sleep(0.04)
        timer.on_save(None, None, control)
        timer.on_step_end(None, None, SimpleNamespace(should_evaluate=False, should_save=False))
        time.sleep(0.04)
    spent = clock.metrics()
    assert (spent["time_eval_s"], spent["time_checkpoint_s"], spent["time_train_s"], spent["time_setup_s"]) == (0.04, 0.06, 0.04, 0)


def run(role, **metrics):
    return SimpleNamespace(data=SimpleNamespace(tags={"sweeps.role": role}, metrics=metrics))


def test_the_sweep_sums_its_trials_time_and_says_where_it_went():
    children = [run("trial", time_train_s=60, time_eval_s=10, time_setup_s=5, peak_rss_mb=900),
                run("trial", time_train_s=14, time_eval_s=2, time_checkpoint_s=8, time_setup_s=1, peak_rss_mb=1200),
                run("baseline", time_eval_s=500)]
    trials = trial_runs(children)
    totals = trial_time_totals(trials)
    assert totals["time_train_s"] == 74 and totals["time_eval_s"] == 12 and totals["time_test_s"] == 0
    assert totals["peak_rss_mb"] == 1200 and "peak_gpu_mem_mb" not in totals
    assert time_summary(totals, len(trials)) == (
        "trial time: 74% training, 12% evaluations, 8% checkpoints, 6% setup, 0% test, 0% logging "
        "(100 s over 2 trials; peak memory 1,200 MB)")
    assert time_summary(trial_time_totals([]), 0) is None


def test_the_serving_variants_are_their_own_share_and_shown_only_when_scored():
    clock = TrialClock()
    clock.enter(EVAL)
    with clock.section(SERVING_VARIANTS):  # inside an evaluation, counted apart from it
        pass
    clock.leave(EVAL)
    assert set(clock.metrics()) >= {"time_eval_s", "time_serving_variants_s"}
    totals = trial_time_totals(trial_runs([run("trial", time_train_s=80, time_eval_s=15, time_serving_variants_s=5)]))
    assert time_summary(totals, 1) == ("trial time: 80% training, 15% evaluations, 5% serving variants, 0% setup, 0% checkpoints, "
                                       "0% test, 0% logging (100 s over 1 trial)")


def test_the_soup_step_is_its_own_share_of_the_sweeps_time():
    from sweeps.reports.time_breakdown import soup_seconds

    children = [run("trial", time_train_s=60, time_eval_s=10), run("soup", time_soup_averaging_s=6, time_soup_evaluating_s=24)]
    totals = trial_time_totals(trial_runs(children))
    assert soup_seconds(children) == {"soup_averaging": 6, "soup_evaluating": 24}
    assert time_summary(totals, 1, soup_seconds(children)) == (
        "trial and soup time: 60% training, 24% soup evaluation, 10% evaluations, 6% soup averaging, 0% setup, 0% checkpoints, "
        "0% test, 0% logging (100 s over 1 trial and the soup)")
    assert soup_seconds(children[:1]) == {}


def test_every_phase_has_a_name_in_the_summary():
    from sweeps.reports.time_breakdown import PHASE_WORDS
    from trainables.contract.metrics import TIME_PHASES

    from trainables.contract.metrics import SOUP_TIME_PHASES

    assert set(PHASE_WORDS) == {*TIME_PHASES, *SOUP_TIME_PHASES} and set(TIME_PHASES) == {SETUP, TRAIN, EVAL, CHECKPOINT, TEST, LOGGING, SERVING_VARIANTS}
