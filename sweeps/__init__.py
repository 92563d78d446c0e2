from sweeps.config import SweepConfig
from sweeps.errors import SweepInputError
from sweeps.sweep_file import load_sweep_file

__all__ = ["SweepConfig", "SweepInputError", "load_sweep_file"]
