"""The data check: leaks across splits and guard sets, duplicates, truncation and in-batch false negatives, found
on the driver before any trial is paid for, and the data card that records them."""

from sweeps.data_check.data_card import DataCard
from sweeps.data_check.data_check import DataCheck, check_data

__all__ = ["DataCard", "DataCheck", "check_data"]
