"""Read a sweep file: safe YAML, numbers as people write them, and one line per problem."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from sweeps.data.text_files import read_text
from sweeps.errors import SweepInputError, did_you_mean, problem
from sweeps.sweep_file.schema import SweepConfig
from sweeps.sweep_file.wandb_forms import WANDB_ONLY_KEYS, WANDB_WORDS


class _SweepYamlLoader(yaml.SafeLoader):
    """YAML 1.1 reads `1e-5` (no dot) as a string; people mean a number."""


_SweepYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def read_yaml(path: Path) -> dict:
    source = str(path)
    if not path.is_file():
        raise SweepInputError([problem(source, "", "the sweep file must exist", str(path))])
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=_SweepYamlLoader)
        expanded = expanded_size(root)
        if expanded > MAX_EXPANDED_NODES:  # a "billion laughs" file: aliases of aliases, cheap to write, endless to walk
            raise SweepInputError([problem(source, "", f"its anchors and aliases must expand to at most {MAX_EXPANDED_NODES:,} "
                                           "YAML values", f"{expanded:,} values")])
        duplicates = duplicate_keys(root)
        if duplicates:
            raise SweepInputError([problem(source, key, f"must be given once, but it is on lines {_and(lines)}; YAML would "
                                           "keep the last silently", f"{len(lines)} values") for key, lines in duplicates])
        loaded = yaml.load(text, Loader=_SweepYamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        reason = getattr(error, "problem", None) or str(error)
        raise SweepInputError([problem(source, "", f"must be valid YAML ({reason} at {where})", "malformed YAML")]) from error
    if not isinstance(loaded, dict):
        raise SweepInputError([problem(source, "", "the sweep file must be a YAML mapping", "an empty file" if loaded is None else type(loaded).__name__)])
    return loaded


def _and(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


# A sweep file has a few hundred values; a generous cap still refuses a bomb before anything walks it.
MAX_EXPANDED_NODES = 100_000


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def expanded_size(root) -> int:
    """How many values the document holds once every alias is expanded, counted without expanding: an aliased node is
    one object in the composed graph, so each node's size is computed once (iteratively: no recursion limit)."""
    sizes: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)  # exact: Python's ints don't overflow
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)] if root is not None else 0


def duplicate_keys(node, key: str = "", seen: set[int] | None = None) -> list[tuple[str, list[int]]]:
    """Each mapping key written more than once, by its dotted name, with the lines it is on. An anchored node is walked
    once, under the first name it is reached by."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return []
    seen.add(id(node))
    found = []
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, list[int]] = {}
        for key_node, value_node in node.value:
            name = f"{key}.{key_node.value}" if key else str(key_node.value)
            lines.setdefault(name, []).append(key_node.start_mark.line + 1)
            found += duplicate_keys(value_node, name, seen)
        found += [(name, where) for name, where in lines.items() if len(where) > 1]
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += duplicate_keys(item, f"{key}[{index}]", seen)
    return found


def load_sweep_file(path: str | Path) -> SweepConfig:
    path = Path(path)
    raw = read_yaml(path)
    if "name" not in raw:  # optional, as in W&B: the file's name
        raw["name"] = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-._")[:100] or "sweep"
    try:
        return SweepConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_describe(str(path), detail, raw) for detail in error.errors()]
        raise SweepInputError(problems + _parameter_name_problems(raw, str(path)) + _data_problems(raw, path)) from None


def _parameter_name_problems(raw: dict, source: str) -> list[str]:
    """The parameters' names and the base models, checked beside a schema that failed: the file's other checks need a
    valid file."""
    from sweeps.sweep_file.schema import ParameterSpec
    from sweeps.sweep_file.validation import parameter_name_problem, resolve_references

    parameters = raw.get("parameters")
    names = parameters if isinstance(parameters, dict) else {}
    problems = [found for found in (parameter_name_problem(str(name), source) for name in names) if found]
    try:
        base_model = ParameterSpec.model_validate(names.get("base_model"))
    except ValidationError:
        return problems  # its own lines are among the schema's
    return problems + resolve_references(base_model, source, Path(source).resolve().parent,
                                         allow_custom_code=raw.get("allow_custom_code") is True)[1]


def _data_problems(raw: dict, path: Path) -> list[str]:
    """The data's problems beside a schema that failed elsewhere, when the `data` section itself is valid."""
    from sweeps.data.prepare import data_problems
    from sweeps.sweep_file.schema import DataConfig
    from trainables.contract.tasks import TASKS, infer_task

    try:
        data = DataConfig.model_validate(raw.get("data"))
    except ValidationError:
        return []  # its own lines are among the schema's
    task = raw.get("task") if raw.get("task") in TASKS else infer_task(data.columns)[0]
    seed = raw.get("seed") if isinstance(raw.get("seed"), int) else SweepConfig.model_fields["seed"].default
    return data_problems(data, seed, str(path), path.resolve().parent, task)


def _describe(source: str, detail: dict, raw: dict) -> str:
    location = [part for part in detail["loc"] if not str(part).startswith("function-")]
    # pydantic adds the union member's type name to the location; it means nothing to a user
    location = [part for part in location if part not in ("int", "float", "str", "bool", "list[...]", "dict[str,any]")]
    location = [f"[{part}]" if isinstance(part, int) else part for part in location]  # guard[0].max_drop, as validation names it
    key = ".".join(str(part) for part in location).replace(".[", "[")
    kind = detail["type"]
    if kind == "extra_forbidden" and key in WANDB_ONLY_KEYS:
        return problem(source, key, WANDB_ONLY_KEYS[key], detail["input"])
    if kind == "extra_forbidden" and key in FOREIGN_SECTIONS:
        return problem(source, key, f"is a section of another tool's config; here {FOREIGN_SECTIONS[key]}: each setting goes under "
                       "`parameters` as `name: {value: …}` (or `values: […]` to sweep it)", _short(detail["input"]))
    if kind == "extra_forbidden":
        siblings = _allowed_siblings(location)
        return problem(source, key, f"is not a known key{did_you_mean(str(location[-1]), siblings)}; expected one of {sorted(siblings)}", detail["input"])
    if kind == "missing":
        return f"{source}: `{key}` is required, but got nothing"
    message = detail["msg"].removeprefix("Value error, ")
    if kind == "value_error":
        return f"{source}: `{key}`: {message}" if key else f"{source}: {message}"
    message = message.replace("Input should be", "must be").replace("String should", "must")
    if kind == "literal_error" and isinstance(detail.get("input"), str):
        word, field = detail["input"], str(location[-1])
        hint = CHOICE_HINTS.get(field, {}).get(word)
        expected = re.findall(r"'([^']*)'", detail.get("ctx", {}).get("expected", ""))
        message += f" ({hint})" if hint else did_you_mean(word, expected, CHOICE_ALIASES.get(field, {}))
    return problem(source, key, message, detail.get("input"))


# An author's nested config (Hydra's, a notebook's): sections whose settings are parameters here.
FOREIGN_SECTIONS = {
    "model": "the model is `parameters.base_model` (with `max_seq_length`, `prompts`)",
    "training": "training settings are SentenceTransformerTrainingArguments fields",
    "train": "training settings are SentenceTransformerTrainingArguments fields",
    "trainer": "training settings are SentenceTransformerTrainingArguments fields",
    "hyperparameters": "hyperparameters are SentenceTransformerTrainingArguments fields",
    "args": "training settings are SentenceTransformerTrainingArguments fields",
    "optimizer": "the optimizer's settings are SentenceTransformerTrainingArguments fields (learning_rate, weight_decay, optim)",
    "dataset": "the data is the `data` section (`source`, `columns`)",
    "loss": "the loss is `parameters.loss`, its options loss parameters (scale, margin, …)",
}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# W&B's words for our choices, where no spelling is close; and what to use for those we lack.
CHOICE_ALIASES = {"method": {"bayes": "optuna", "bayesian": "optuna", "tpe": "optuna"}, "goal": {"max": "maximize", "min": "minimize"},
                  "distribution": {"loguniform": "log_uniform_values"}}
CHOICE_HINTS = {"distribution": {
    "normal": "none of the normal family here: sample between `min` and `max` with uniform or log_uniform_values",
    "q_normal": "none of the normal family here: q_uniform steps between `min` and `max`",
    "log_normal": "none of the normal family here: log_uniform_values samples between `min` and `max`",
    "categorical": "W&B's categorical takes its choices as `values: [...]`",
    "constant": "W&B's constant takes its one value as `value: ...`",
    "inv_log_uniform": "none of the inverse family here: sample the reciprocal with log_uniform_values",
    "inv_log_uniform_values": "none of the inverse family here: sample the reciprocal with log_uniform_values",
    "beta": "no beta distribution here: uniform samples between `min` and `max`",
    "q_beta": "no beta distribution here: q_uniform steps between `min` and `max`",
    "q_log_normal": "none of the normal family here: q_log_uniform_values steps between `min` and `max` on a log scale",
}}


def _allowed_siblings(location: list) -> list[str]:
    """The keys of the mapping that holds the unknown key: its own scope's, for the hint and the list."""
    from sweeps.sweep_file.schema import (
        DataConfig,
        EarlyTerminateConfig,
        GuardConfig,
        HardNegativesConfig,
        MetricConfig,
        MlflowConfig,
        ParameterSpec,
        PromoteConfig,
        ResourcesConfig,
    )

    models = {"": SweepConfig, "data": DataConfig, "metric": MetricConfig, "mlflow": MlflowConfig, "resources": ResourcesConfig,
              "early_terminate": EarlyTerminateConfig, "promote": PromoteConfig, "data.hard_negatives": HardNegativesConfig}
    parent = ".".join(str(part) for part in location[:-1]).replace(".[", "[")
    if parent.startswith("parameters."):
        model = ParameterSpec
    elif re.fullmatch(r"guard\[\d+\]", parent):
        model = GuardConfig
    else:
        model = models.get(parent, SweepConfig)
    return list(model.model_fields) + WANDB_WORDS.get(parent, [])

