"""The sweep file: its schema, reading it, and every check that needs no data."""

from sweeps.sweep_file.loading import load_sweep_file
from sweeps.sweep_file.schema import SweepConfig

__all__ = ["SweepConfig", "load_sweep_file"]
