"""`sweeps run | promote | evaluate`: one command over the three, with their exit codes, errors and store defaults."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sweeps.cli import DEFAULT_TRACKING_URI, ExitCode, default_tracking_uri
from sweeps.cli.main import main
from sweeps.cli.output import scrub

REPO = Path(__file__).resolve().parents[4]


def test_the_exit_codes_are_the_documented_ones():
    assert sorted(int(code) for code in ExitCode) == [0, 1, 2, 129, 130, 143]
    readme = (REPO / "README.md").read_text()
    assert "0 done, 1\nrefused" in readme or "0 done, 1 refused" in readme.replace("\n", " ")


def test_an_unknown_subcommand_is_one_line_with_a_hint(capsys):
    assert main(["promot", "demo"]) == ExitCode.BAD_INPUT
    assert capsys.readouterr().err.strip() == (
        "error: `COMMAND` must be one of run, promote, evaluate (did you mean `promote`?), but got 'promot'")


def test_no_subcommand_prints_the_usage_and_exits_2(capsys):
    assert main([]) == ExitCode.BAD_INPUT
    assert "sweeps {run,promote,evaluate}" in capsys.readouterr().out
    assert main(["--help"]) == ExitCode.OK


def test_each_subcommand_names_itself_in_its_help(capsys):
    for command in ("run", "promote", "evaluate"):
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"])
        assert exited.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: sweeps {command} ") and "--tracking-uri" in out


def test_the_subcommands_share_the_store_default(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert default_tracking_uri() == DEFAULT_TRACKING_URI == "sqlite:///mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert default_tracking_uri() == "http://127.0.0.1:5000"


def test_a_password_in_a_quoted_uri_is_never_printed(capsys):
    from sweeps.cli import print_error

    print_error("`--tracking-uri` must reach a store, but got 'http://alice:s3cret@mlflow.internal:5000'")
    err = capsys.readouterr().err
    assert "s3cret" not in err and "http://alice:***@mlflow.internal:5000" in err
    assert scrub("s3://bucket/sweeps and file:///tmp/a:b") == "s3://bucket/sweeps and file:///tmp/a:b"


def test_a_bad_sweep_file_exits_2_through_the_one_command(tmp_path, capsys):
    grid = (REPO / "grid.yaml").read_text().replace("examples/data/", f"{REPO}/examples/data/")
    (tmp_path / "grid.yaml").write_text(grid.replace("learning_rate", "learnig_rate"))
    assert main(["run", str(tmp_path / "grid.yaml"), "--dry-run"]) == ExitCode.BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "`parameters.learnig_rate`" in err[0] and "(did you mean `learning_rate`?)" in err[0]


def test_the_run_store_flag_overrides_the_files(tmp_path, capsys):
    """`sweeps run --tracking-uri`: checked as the file's would be, before anything starts."""
    code = main(["run", str(REPO / "grid.yaml"), "--dry-run", "--tracking-uri", "ftp://alice:s3cret@host/store"])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT and "mlflow.tracking_uri" in err and "s3cret" not in err


@pytest.mark.skipif(shutil.which("sweeps", path=str(Path(sys.executable).parent)) is None, reason="the project is not installed")
def test_the_console_script_is_installed_and_dry_runs_the_default_sweep():
    script = shutil.which("sweeps", path=str(Path(sys.executable).parent))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true"}
    done = subprocess.run([script, "run", "grid.yaml", "--dry-run"], cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "grid points: 2" in done.stdout and "dry run: nothing mined, trained or logged" in done.stdout


def test_sigterm_and_sighup_are_interruptions_with_their_own_exit_codes():
    import signal

    from sweeps.cli import termination
    from sweeps.cli.termination import Terminated, exit_code, interrupt_on_termination

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGHUP)}
    try:
        interrupt_on_termination()
        for signum, code in ((signal.SIGTERM, ExitCode.TERMINATED), (signal.SIGHUP, ExitCode.HUNG_UP)):
            with pytest.raises(KeyboardInterrupt) as caught:  # every `except KeyboardInterrupt` of the driver sees it
                os.kill(os.getpid(), signum)
            assert isinstance(caught.value, Terminated) and exit_code(caught.value) == code
        assert exit_code(KeyboardInterrupt()) == ExitCode.HUNG_UP  # a library's own KeyboardInterrupt: the signal received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        termination._received.clear()
    assert exit_code(KeyboardInterrupt()) == ExitCode.INTERRUPTED
