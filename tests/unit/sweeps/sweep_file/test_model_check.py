"""Base model folders opened in the pre-flight: whole weights, and code of its own only with `allow_custom_code`."""

import json

import numpy
from safetensors.numpy import save_file

from sweeps.sweep_file.model_check import model_folder_problems
from sweeps.sweep_file.model_refs import shipped_model_folder


def model_folder(tmp_path, module_type="sentence_transformers.models.Transformer", config=None):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config or {"model_type": "bert"}))
    (folder / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": module_type}]))
    save_file({"weight": numpy.ones((128, 16), dtype=numpy.float32)}, str(folder / "model.safetensors"))
    return folder


def test_the_shipped_model_opens_without_reading_its_tensors():
    assert model_folder_problems(shipped_model_folder("all-MiniLM-L6-v2"), allow_custom_code=False) == []


def test_a_whole_folder_passes_and_a_cut_one_is_named(tmp_path):
    folder = model_folder(tmp_path)
    assert model_folder_problems(folder, False) == []
    size = (folder / "model.safetensors").stat().st_size
    with open(folder / "model.safetensors", "r+b") as weights:
        weights.truncate(size - 10)
    (problem,) = model_folder_problems(folder, False)
    assert problem.startswith("must be a model whose weights load (model.safetensors: ") and "truncated or not safetensors" in problem


def test_a_cut_torch_checkpoint_is_named(tmp_path):
    folder = model_folder(tmp_path)
    (folder / "pytorch_model.bin").write_bytes(b"PK\x03\x04" + b"\x00" * 100)  # a zip's first bytes, and no directory
    assert model_folder_problems(folder, False) == ["must be a model whose weights load (pytorch_model.bin is not a whole torch checkpoint; 104 bytes)"]


def test_code_of_its_own_needs_allow_custom_code(tmp_path):
    custom = model_folder(tmp_path, module_type="my_pooling.MyPooling", config={"model_type": "x", "auto_map": {"AutoModel": "modeling.X"}})
    problems = model_folder_problems(custom, allow_custom_code=False)
    assert len(problems) == 2 and all("`allow_custom_code: true`" in line for line in problems)
    assert "trust_remote_code" not in " ".join(problems)  # a sweep file can't say that; it says allow_custom_code
    assert model_folder_problems(custom, allow_custom_code=True) == []


def test_a_broken_config_is_named(tmp_path):
    folder = model_folder(tmp_path)
    (folder / "config.json").write_text("{not json")
    (problem,) = model_folder_problems(folder, False)
    assert problem.startswith("must be a model whose config.json is valid JSON (")
