"""How much of each role a model's max_seq_length cuts, in that model's own tokens (special tokens counted)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE = 10_000  # texts per role: the share's standard error stays under half a point
WARN_SHARE = 0.10


def model_tokenizer(model_path: str):
    """The fast tokenizer of a SentenceTransformer folder (its Transformer module's tokenizer.json), untruncated;
    None when the folder has none (a hub id, a slow-only tokenizer): the shares are then left out, and said."""
    folder = Path(model_path)
    modules = folder / "modules.json"
    if modules.is_file():
        transformer = next((module for module in json.loads(modules.read_text()) if module.get("type", "").endswith("Transformer")), None)
        if transformer is not None:
            folder = folder / transformer.get("path", "")
    if not (folder / "tokenizer.json").is_file():
        return None
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def model_max_seq_length(model_path: str) -> int | None:
    config = Path(model_path) / "sentence_bert_config.json"
    if config.is_file():
        return json.loads(config.read_text()).get("max_seq_length")
    return None


@dataclass(frozen=True)
class RoleLengths:
    role: str
    texts: int  # measured (a sample of at most SAMPLE)
    tokens: dict[str, int]  # p50, p90, p99, max
    over: dict[int, float]  # max_seq_length -> share of texts longer

    def record(self) -> dict:
        return {"role": self.role, "texts_measured": self.texts, "tokens": self.tokens,
                "share_over_max_seq_length": {str(length): round(share, 4) for length, share in self.over.items()}}


def role_lengths(tokenizer, role: str, texts: list[str], max_seq_lengths: list[int], seed: int) -> RoleLengths:
    unique = sorted(set(texts))
    if len(unique) > SAMPLE:
        unique = random.Random(seed).sample(unique, SAMPLE)
    lengths = np.array([len(encoding.ids) for encoding in tokenizer.encode_batch(unique)]) if unique else np.zeros(0, int)
    tokens = {name: int(np.percentile(lengths, q)) for name, q in (("p50", 50), ("p90", 90), ("p99", 99))} if len(lengths) else {}
    tokens["max"] = int(lengths.max()) if len(lengths) else 0
    return RoleLengths(role, len(unique), tokens, {length: float((lengths > length).mean()) if len(lengths) else 0.0 for length in max_seq_lengths})
