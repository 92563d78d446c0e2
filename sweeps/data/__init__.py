from sweeps.data.prepare import data_summary, prepare_data

__all__ = ["data_summary", "prepare_data"]
