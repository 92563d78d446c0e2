"""Sweep files for the unit tests of the schema and the pre-flight: a good one, and reading one back."""

import pytest

from sweeps.errors import SweepInputError
from sweeps.sweep_file.loading import load_sweep_file

GOOD = """
name: demo
method: grid
data: {source: data.jsonl}
parameters:
  base_model: {value: all-MiniLM-L6-v2}
  learning_rate: {values: [1e-5, 2.0e-5]}
"""


def load_text(tmp_path, text):
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    return load_sweep_file(path), str(path)


def problems_of(tmp_path, text):
    """The lines a file gets, beside a real data file: what the data itself would add is not this file's mistake."""
    path = tmp_path / "sweep.yaml"
    path.write_text(text)
    if not (tmp_path / "data.jsonl").exists():
        (tmp_path / "data.jsonl").write_text("".join(f'{{"anchor": "query {i}", "positive": "passage {i}"}}\n' for i in range(40)))
    with pytest.raises(SweepInputError) as caught:
        load_sweep_file(path)
    return [line.replace(str(path), "F") for line in caught.value.problems]


