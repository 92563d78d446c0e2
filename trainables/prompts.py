"""Prompts: the text a model expects before a query or a passage (multilingual-e5's `query: ` and `passage: `,
bge's query instruction). A model's own come from its config_sentence_transformers.json; the sweep's `prompts`
parameter sets or overrides them (`null`: none). Training, every evaluator and the baseline use the same ones."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

PROMPTS_PARAMETER = "prompts"
# How models name their passage prompt in config_sentence_transformers.json
DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus", "doc")
MODEL_CONFIG = "config_sentence_transformers.json"


@dataclass(frozen=True)
class Prompts:
    query: str | None = None
    document: str | None = None

    @classmethod
    def from_model_config(cls, prompts: dict[str, str] | None) -> Prompts:
        prompts = prompts or {}
        document = next((prompts[name] for name in DOCUMENT_PROMPT_NAMES if prompts.get(name)), None)
        return cls(prompts.get("query") or None, document)

    @classmethod
    def from_parameter(cls, value: dict | None) -> Prompts:
        return cls(**(value or {}))

    def for_columns(self, columns, symmetric: bool = False) -> dict[str, str] | None:
        """SentenceTransformerTrainingArguments.prompts. Retrieval rows: the anchor (or a scored pair's first text) is a
        query; positives, negatives and a scored pair's second text are documents. Rows of one kind of text (an STS or
        classification task, `symmetric`) take the query prompt for every text. Sentences labelled by a retrieval
        row's group mix queries and documents, so they train without prompts. The score and label take none."""
        if symmetric:
            by_column = {"sentence1": self.query, "sentence2": self.query, "sentence": self.query}
        else:
            by_column = {"anchor": self.query, "positive": self.document, "sentence1": self.query, "sentence2": self.document}
        chosen = {column: by_column.get(column, self.document if column.startswith("negative") and not symmetric else None)
                  for column in columns}
        return {column: prompt for column, prompt in chosen.items() if prompt} or None

    def as_model_config(self) -> dict[str, str]:
        """The `prompts` of config_sentence_transformers.json that `from_model_config` reads back as these."""
        return {name: text for name, text in (("query", self.query), ("document", self.document)) if text}

    def describe(self) -> str:
        shown = [f"{role} {text!r}" for role, text in (("query", self.query), ("document", self.document)) if text]
        return ", ".join(shown) or "none"


def trial_prompts(config: dict, model_prompts: dict[str, str] | None) -> Prompts:
    """The sweep's `prompts` when it sets them, else the model's own."""
    if PROMPTS_PARAMETER in config:
        return Prompts.from_parameter(config[PROMPTS_PARAMETER])
    return Prompts.from_model_config(model_prompts)


def prompts_in_model_folder(path: str) -> dict[str, str]:
    """The prompts a model folder declares, read without loading the model (for --dry-run and the baselines' names)."""
    config_file = os.path.join(path, MODEL_CONFIG)
    if not os.path.isfile(config_file):
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(path, MODEL_CONFIG) if not os.path.isdir(path) else None
        config_file = cached if isinstance(cached, str) else None
    if config_file is None:
        return {}
    with open(config_file, encoding="utf-8") as handle:
        return json.load(handle).get("prompts") or {}
