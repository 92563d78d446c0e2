"""Reading a data source, splitting it without leaks, and shaping it for the losses and evaluators."""

from sweeps.data.prepare import PreparedData, prepare_data

__all__ = ["PreparedData", "prepare_data"]
