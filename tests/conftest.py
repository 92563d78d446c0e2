import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

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

