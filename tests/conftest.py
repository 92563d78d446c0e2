import os
from pathlib import Path

import pytest
from tiers import SHARED_DATA, TIERS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Refuse a test without its tier, or with two: `-m unit` must mean what it says."""
    wrong = [f"{item.nodeid}: {[tier for tier in TIERS if item.get_closest_marker(tier)] or 'none'}"
             for item in items if sum(item.get_closest_marker(tier) is not None for tier in TIERS) != 1]
    if wrong:
        raise pytest.UsageError("each test must carry exactly one tier marker of " + ", ".join(TIERS) + ", but got:\n  "
                                + "\n  ".join(wrong))


def pytest_runtest_setup(item):
    """`@pytest.mark.shared("norquad", ...)`: read from ../shared/data, never copied; a fresh clone has none and skips."""
    marker = item.get_closest_marker("shared")
    if marker is None:
        return
    missing = [folder for folder in marker.args if not (SHARED_DATA / folder).exists()]
    if missing or not marker.args:
        pytest.skip(f"needs ../shared/data/{', ../shared/data/'.join(missing or ['<folder>'])}")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer BERT (hidden 32) with MiniLM's tokenizer: trains in seconds, still a real model."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from sweeps.sweep_file.model_refs import shipped_model_folder

    hf_dir = tmp_path_factory.mktemp("tiny-bert-hf")
    tokenizer = BertTokenizerFast.from_pretrained(str(shipped_model_folder("all-MiniLM-L6-v2")))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)  # the same weights in every run: tests that compare trials (early stopping) see the same scores
    BertModel(config).save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    out = tmp_path_factory.mktemp("tiny-bert-st")
    model = SentenceTransformer(str(hf_dir), device="cpu")
    model.max_seq_length = 64
    model.save(str(out))
    return out

