import pytest
from subprocess_cli import REPO, run_module


@pytest.fixture(scope="session")
def demo_sweep(tmp_path_factory):
    """README's second command, run once: the default sweep on the shipped model and data. Promotion, the UI check and
    the metric-name checks all read this one sweep."""
    workdir = tmp_path_factory.mktemp("demo")
    result = run_module("sweeps.run", REPO / "grid.yaml", cwd=workdir)
    return workdir, result


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every UI check of the session (its start is the slow part); each test sizes its window."""
    from browser import chromium_browser

    with chromium_browser() as shared:
        yield shared
