import pytest
from subprocess_cli import REPO, run_module


@pytest.fixture(scope="session")
def demo_sweep(tmp_path_factory):
    """README's second command, run once: the default sweep on the shipped model and data."""
    workdir = tmp_path_factory.mktemp("demo")
    result = run_module("sweeps.run", REPO / "grid.yaml", cwd=workdir)
    return workdir, result
