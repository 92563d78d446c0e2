"""The driver: the CLIs, the sweep file, data, planning, running on Ray Tune, tracking in MLflow, reports, promotion."""

from sweeps.errors import SweepInputError
from sweeps.sweep_file import SweepConfig, load_sweep_file

__all__ = ["SweepConfig", "SweepInputError", "load_sweep_file"]
