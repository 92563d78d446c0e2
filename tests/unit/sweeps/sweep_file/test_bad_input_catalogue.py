"""The bad-input catalogue: each mistake a user can make in a sweep file, and the one line (or two) it gets.

Every case runs the real CLI entry point, in-process and before any Ray worker could start: exit code 2,
the file and dotted key named, what was expected and what was found, and nothing written to MLflow.
"""

import json
import shutil
from pathlib import Path

import pytest

from sweeps.run import main

REPO = Path(__file__).resolve().parents[4]
BASE = """name: cat
method: grid
data:
  source: pairs.jsonl
  columns: {anchor: query, positive: passage}
parameters:
  base_model: {value: all-MiniLM-L6-v2}
  learning_rate: {values: [1.0e-5, 2.0e-5]}
  per_device_train_batch_size: {value: 16}
"""
STS = """name: cat
data:
  source: scored.csv
  columns: {sentence1: first, sentence2: second, score: similarity}
parameters:
  base_model: {value: all-MiniLM-L6-v2}
"""
LABELLED = """name: cat
task: classification
data:
  source: labelled.csv
parameters:
  base_model: {value: all-MiniLM-L6-v2}
"""


def rep(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new)


CASES = [
    ('malformed yaml', "name: cat\nmethod: [grid\n",
        ["sweep.yaml: must be valid YAML (expected ',' or ']', but got '<stream end>' at line 3, column 1), but got 'malformed YAML'"]),
    ('a YAML bomb: nested anchors with 9**9 leaves', "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi")),
        ["sweep.yaml: its anchors and aliases must expand to at most 100,000 YAML values, but got '490,329,064 values'"]),
    ('a model folder whose weights were cut short', rep("{value: all-MiniLM-L6-v2}", "{value: truncated_model}"),
        ["sweep.yaml: `parameters.base_model` must be a model whose weights load (model.safetensors: Error while deserializing header: "
         "incomplete metadata, file not fully covered; 4,000 bytes, truncated or not safetensors), but got 'truncated_model'"]),
    ('a model folder that brings its own module code', rep("{value: all-MiniLM-L6-v2}", "{value: custom_model}"),
        ["sweep.yaml: `parameters.base_model` must be a model of sentence-transformers' own modules unless the sweep file says "
         "`allow_custom_code: true` (modules.json names ['my_pooling.MyPooling'], code the folder brings), but got 'custom_model'"]),
    ('one cell holding a whole page', rep("source: pairs.jsonl", "source: huge_cell.jsonl"),
        ["sweep.yaml: `data.max_text_chars` must bound every text of the data (100,000 characters; raise it for longer documents, "
         "or split them), but got 'DIR/huge_cell.jsonl: 1 longer, the longest 156,000 characters in train (positive)'"]),
    ('a storage folder nobody can write to', BASE + "storage_path: /sys/sweeps-results\n",
        ["sweep.yaml: `storage_path` must be a folder this user can write to (writing in /sys failed: Permission denied), "
         "but got '/sys/sweeps-results'"]),
    ('training arguments pasted from a notebook that the runner decides', rep("  per_device_train_batch_size: {value: 16}\n",
        "  per_device_train_batch_size: {value: 16}\n  bf16: {value: true}\n  save_steps: {value: 50}\n  per_device_eval_batch_size: {value: 32}\n"
        "  logging_steps: {value: 50}\n"),
        ["sweep.yaml: `parameters.bf16` is decided by the runner (precision is `resources.precision`: auto (bf16 where the GPU has it, "
         "fp16 on older GPUs, fp32 on CPU), bf16, fp16 or fp32); remove it, but got 'bf16'",
         "sweep.yaml: `parameters.save_steps` is decided by the runner (a trial saves its resume checkpoint at each evaluation: set "
         "`evaluations_per_trial`); remove it, but got 'save_steps'",
         "sweep.yaml: `parameters.per_device_eval_batch_size` is decided by the runner (the runner's evaluators encode in batches of "
         "their own (64); the trainer's eval loop does not run); remove it, but got 'per_device_eval_batch_size'",
         "sweep.yaml: `parameters.logging_steps` is decided by the runner (the train loss is logged 4 times per evaluation, so every "
         "evaluation has its loss points and a NaN loss stops the trial within a quarter of an evaluation); remove it, but got 'logging_steps'"]),
    ("an author's nested config: model and training sections", BASE + "model: {name: all-MiniLM-L6-v2}\ntraining: {epochs: 1, lr: 2.0e-5}\n",
        ["sweep.yaml: `model` is a section of another tool's config; here the model is `parameters.base_model` (with `max_seq_length`, "
         "`prompts`): each setting goes under `parameters` as `name: {value: …}` (or `values: […]` to sweep it), but got \"{'name': 'all-MiniLM-L6-v2'}\"",
         "sweep.yaml: `training` is a section of another tool's config; here training settings are SentenceTransformerTrainingArguments "
         "fields: each setting goes under `parameters` as `name: {value: …}` (or `values: […]` to sweep it), but got \"{'epochs': 1, 'lr': 2e-05}\""]),
    ('not a mapping', "- just\n- a list\n",
        ["sweep.yaml: the sweep file must be a YAML mapping, but got 'list'"]),
    ('empty file', "",
        ["sweep.yaml: the sweep file must be a YAML mapping, but got 'an empty file'"]),
    ('unknown top-level key', BASE + "metrc: {name: ndcg@10}\n",
        ["sweep.yaml: `metrc` is not a known key (did you mean `metric`?); expected one of ['allow_custom_code', 'baselines', 'budget', 'callbacks', 'data', 'description', 'early_terminate', 'evaluations_per_trial', 'guard', 'keep_models', 'max_concurrent', 'max_failures', 'method', 'metric', 'mlflow', 'name', 'parameters', 'project', 'promote', 'resources', 'run_cap', 'sampler', 'seed', 'serving', 'soup', 'stop_when', 'storage_path', 'task', 'warm_start'], but got {'name': 'ndcg@10'}"]),
    ('unknown data key', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  eval_fracton: 0.1"),
        ["sweep.yaml: `data.eval_fracton` is not a known key (did you mean `eval_fraction`?); expected one of ['columns', 'delimiter', 'eval_corpus_size', 'eval_fraction', 'group_pairs', 'hard_negatives', 'hub_split', 'leaks', 'max_eval_queries', 'max_test_queries', 'max_text_chars', 'max_train_rows', 'near_duplicate_similarity', 'score_range', 'source', 'test_fraction'], but got 0.1"]),
    ('unknown parameter form key', rep("{values: [1.0e-5, 2.0e-5]}", "{valuez: [1.0e-5]}"),
        ["sweep.yaml: `parameters.learning_rate`: exactly one of `value`, `values`, `distribution` must be given, but got none (unknown keys: ['valuez'])"]),
    ('wrong type', BASE + "max_concurrent: lots\n",
        ["sweep.yaml: `max_concurrent` must be a valid integer, unable to parse string as an integer, but got 'lots'"]),
    ('wrong method', rep("method: grid", "method: bayesian"),
        ["sweep.yaml: `method` must be 'grid', 'random' or 'optuna' (did you mean `optuna`?), but got 'bayesian'"]),
    ("W&B's program to run", BASE + "program: train.py\n",
        ["sweep.yaml: `program` is W&B's way to start a training script; here the trial is built in (SentenceTransformerTrainer on the sweep's `data` and `parameters`): remove it, but got 'train.py'"]),
    ('empty values', rep("{values: [1.0e-5, 2.0e-5]}", "{values: []}"),
        ['sweep.yaml: `parameters.learning_rate`: `values` must hold at least one value, but got []']),
    ('min > max', rep("{values: [1.0e-5, 2.0e-5]}", "{distribution: log_uniform_values, min: 1.0e-3, max: 1.0e-5}"),
        ['sweep.yaml: `parameters.learning_rate`: `min <= max` must hold, but got (min=0.001, max=1e-05)']),
    ('non-positive learning rate', rep("{values: [1.0e-5, 2.0e-5]}", "{values: [0.0, 2.0e-5]}"),
        ['sweep.yaml: `parameters.learning_rate.values` must be > 0, but got 0.0']),
    ('negative learning rate distribution', rep("{values: [1.0e-5, 2.0e-5]}", "{distribution: uniform, min: -1.0, max: 1.0}"),
        ['sweep.yaml: `parameters.learning_rate.min/max` must be > 0, but got -1.0']),
    ('non-positive batch size', rep("{value: 16}", "{value: 0}"),
        ['sweep.yaml: `parameters.per_device_train_batch_size.value` must be > 0, but got 0']),
    ('fractional batch size', rep("{value: 16}", "{value: 2.5}"),
        ['sweep.yaml: `parameters.per_device_train_batch_size.value` must be int, but got 2.5']),
    ('unknown parameter', BASE + "  learnig_rate: {value: 1.0e-5}\n",
        ["sweep.yaml: `parameters.learnig_rate` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `learning_rate`?), but got 'learnig_rate'"]),
    ('unknown loss', BASE + "  loss: {value: MultipleNegativesRankingLos}\n",
        ["sweep.yaml: `parameters.loss` must name a loss in ['AdaptiveLayerLoss', 'AnglELoss', 'BatchAllTripletLoss', 'BatchHardSoftMarginTripletLoss', 'BatchHardTripletLoss', 'BatchSemiHardTripletLoss', 'CachedGISTEmbedLoss', 'CachedMultipleNegativesRankingLoss', 'CoSENTLoss', 'CosineSimilarityLoss', 'GISTEmbedLoss', 'Matryoshka2dLoss', 'MatryoshkaLoss', 'MultipleNegativesRankingLoss', 'MultipleNegativesSymmetricRankingLoss', 'TripletLoss'] (did you mean `MultipleNegativesRankingLoss`?), but got 'MultipleNegativesRankingLos'"]),
    ('loss incompatible with data', BASE + "  loss: {value: TripletLoss}\n",
        ["sweep.yaml: `parameters.loss` must be a loss the data from `data.source` can feed: TripletLoss needs (anchor, positive, negative) triplets, so a `negative` column or a `group` column (negatives drawn from other groups), and the data has columns ['anchor', 'positive'], but got 'TripletLoss'"]),
    ('missing data file', rep("source: pairs.jsonl", "source: nowhere.jsonl"),
        ["sweep.yaml: `data.source` must be an existing file or folder, but got 'DIR/nowhere.jsonl'"]),
    ('missing columns', rep("source: pairs.jsonl", "source: noquery.jsonl"),
        ["sweep.yaml: `data.columns.anchor` must name a column of DIR/noquery.jsonl (the anchor text; columns there: ['passage', 'q']), but got 'query'"]),
    ('empty dataset', rep("source: pairs.jsonl", "source: empty.jsonl"),
        ["sweep.yaml: `data.source` must hold at least one row, but got 'DIR/empty.jsonl with 0 rows'"]),
    ('fractions leave no training data', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  eval_fraction: 0.5\n  test_fraction: 0.5"),
        ['sweep.yaml: `data`: `eval_fraction + test_fraction < 1` must hold, but got (eval_fraction=0.5, test_fraction=0.5)']),
    ('max_eval_queries < 1', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  max_eval_queries: 0"),
        ['sweep.yaml: `data.max_eval_queries` must be greater than or equal to 1, but got 0']),
    ('unknown base model', rep("{value: all-MiniLM-L6-v2}", "{value: no-such-org/no-such-model}"),
        ["sweep.yaml: `parameters.base_model` must be a local model folder, a shipped model ['all-MiniLM-L6-v2', 'sentence-transformers/all-MiniLM-L6-v2'], or a hub id in the local cache while HF_HUB_OFFLINE=1, but got 'no-such-org/no-such-model'"]),
    ('unreadable base model', rep("{value: all-MiniLM-L6-v2}", "{value: ./notamodel}"),
        ["sweep.yaml: `parameters.base_model` must be a model folder holding one of ['modules.json', 'config.json'], but got 'DIR/notamodel'"]),
    ('unreachable mlflow server', BASE + "mlflow: {tracking_uri: 'http://127.0.0.1:9'}\n",
        ["sweep.yaml: `mlflow.tracking_uri` must be a reachable MLflow server (<urlopen error [Errno 111] Connection refused>), but got 'http://127.0.0.1:9'"]),
    ('unknown store scheme', BASE + "mlflow: {tracking_uri: 'ftp://example.org/store'}\n",
        ["sweep.yaml: `mlflow.tracking_uri` must be sqlite:///…, http(s)://… or another MLflow store URI, but got 'ftp://example.org/store'"]),
    ('stopping on noise over a grid', BASE + "stop_when: noise\n",
        ["sweep.yaml: `stop_when` must be used with method random or optuna (a grid's points are fixed, so nothing bounds what "
         "another one could gain), but got 'noise with method grid'"]),
    ('stopping on something else', rep("method: grid", "method: random\nrun_cap: 4\nstop_when: plateau"),
        ["sweep.yaml: `stop_when` must be 'noise', but got 'plateau'"]),
    ('a warm start from a sweep the store does not hold', BASE + "warm_start: {from: last-week}\n",
        ["sweep.yaml: `warm_start.from` must name a finished sweep in this MLflow store (0 there), but got 'last-week'"]),
    ('a budget of no time', BASE + "budget: {trial_hours: 0}\n",
        ['sweep.yaml: `budget.trial_hours` must be greater than 0, but got 0']),
    ('a soup of one trial, blended beyond the base', BASE + "keep_models: 2\nsoup: {top_k: 1, blend_base: [0.5, 1.5]}\n",
        ['sweep.yaml: `soup.top_k` must be greater than or equal to 2, but got 1',
         'sweep.yaml: `soup.blend_base[1]` must be less than or equal to 1, but got 1.5']),
    ('a soup on a sweep that keeps one model', BASE + "soup: {method: uniform, top_k: 2}\n",
        ["sweep.yaml: `keep_models` must be at least soup.top_k (2): the soup averages the kept trials' checkpoints, and every "
         "other one is deleted, but got 1"]),
    ('a soup with no two trials to average', rep("learning_rate: {values: [1.0e-5, 2.0e-5]}", "learning_rate: {value: 1.0e-5}")
        + "keep_models: 2\nsoup: {top_k: 2}\n",
        ["sweep.yaml: `soup` needs two planned trials that share a base model and prompts (weights of different models can't be "
         "averaged), but got '1 grid points, none sharing them'"]),
    ('a serving precision that cannot be scored', BASE + "serving: {dims: [128], precisions: [int8, int4]}\n",
        ["sweep.yaml: `serving.precisions[1]` must be 'float32', 'int8', 'uint8', 'binary' or 'ubinary' (did you mean `int8`?), but got 'int4'"]),
    ('a serving size above the model\'s dimension', BASE + "serving: {dims: [512, 128]}\n",
        ['sweep.yaml: `serving.dims` must be at most the embedding dimension of base model all-MiniLM-L6-v2 (384), but got 512']),
    ('a picking variant the sweep does not score', BASE + "metric: {name: ndcg@10, dim: 64, precision: binary}\nserving: {dims: [128], precisions: [int8]}\n",
        ['sweep.yaml: `metric.dim` must be one of serving.dims [128], but got 64',
         "sweep.yaml: `metric.precision` must be one of serving.precisions ['int8'], but got 'binary'"]),
    ('a picking size with no serving section', BASE + "metric: {name: ndcg@10, dim: 128}\n",
        ['sweep.yaml: `metric.dim` must name a size the sweep scores, which a `serving` section lists (serving: {dims: [...], precisions: [...]}), but got 128']),
    ('a precision without a size', BASE + "metric: {name: ndcg@10, precision: int8}\n",
        ["sweep.yaml: `metric`: `precision` needs `dim` (the size it is served at; the model's own dimension for full size), but got precision='int8' and no dim"]),
    ('an inner loss a per-layer wrapper cannot wrap', BASE + "  loss: {values: [AdaptiveLayerLoss, Matryoshka2dLoss]}\n  inner_loss: {value: CachedMultipleNegativesRankingLoss}\n",
        ["sweep.yaml: `parameters.inner_loss` must be a loss AdaptiveLayerLoss can wrap (any plain loss without a gradient cache: AnglELoss, BatchAllTripletLoss, BatchHardSoftMarginTripletLoss, BatchHardTripletLoss, BatchSemiHardTripletLoss, CoSENTLoss, CosineSimilarityLoss, GISTEmbedLoss, MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss, TripletLoss), but got 'CachedMultipleNegativesRankingLoss'",
         "sweep.yaml: `parameters.inner_loss` must be a loss Matryoshka2dLoss can wrap (any plain loss without a gradient cache: AnglELoss, BatchAllTripletLoss, BatchHardSoftMarginTripletLoss, BatchHardTripletLoss, BatchSemiHardTripletLoss, CoSENTLoss, CosineSimilarityLoss, GISTEmbedLoss, MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss, TripletLoss), but got 'CachedMultipleNegativesRankingLoss'"]),
    ('run_cap < 1', BASE + "run_cap: 0\n",
        ['sweep.yaml: `run_cap` must be greater than or equal to 1, but got 0']),
    ('random without run_cap', rep("method: grid", "method: random"),
        ["sweep.yaml: `run_cap` is required with method='random', but got none"]),
    ('sampler without optuna', BASE + "sampler: tpe\n",
        ["sweep.yaml: `sampler` needs method='optuna', but got method='grid'"]),
    ('grace period too late', BASE + "evaluations_per_trial: 2\nearly_terminate: {type: asha, grace_period: 2}\n",
        ['sweep.yaml: `early_terminate.grace_period < evaluations_per_trial` must hold (a trial is judged before it ends), but got (grace_period=2, evaluations_per_trial=2)']),
    ('missing base_model', rep("  base_model: {value: all-MiniLM-L6-v2}\n", ""),
        ['sweep.yaml: `parameters.base_model` is required, but got none']),
    ('conflicting cpus', BASE + "resources: {cpus_per_trial: 1, cpus_per_worker: 1}\n",
        ['sweep.yaml: `resources`: give one of `cpus_per_trial` and `cpus_per_worker`, but got both (cpus_per_trial=1, cpus_per_worker=1)']),
    ('fractional gpus across ranks', BASE + "resources: {workers_per_trial: 2, gpus_per_worker: 0.5}\n",
        ["sweep.yaml: `resources`: `gpus_per_worker` must be a whole number when workers_per_trial > 1 (NCCL can't put two ranks of one trial on one GPU), but got (workers_per_trial=2, gpus_per_worker=0.5)"]),
    ('an auto batch across DDP ranks', rep("per_device_train_batch_size: {value: 16}", "per_device_train_batch_size: {value: auto}")
        + "resources: {workers_per_trial: 2}\n",
        ["sweep.yaml: `parameters.per_device_train_batch_size` must be a number when resources.workers_per_trial > 1 ('auto' fits the "
         "batch inside one process), but got 'auto with workers_per_trial 2'"]),
    ('a notebook\'s auto_find_batch_size', BASE + "  auto_find_batch_size: {value: true}\n",
        ["sweep.yaml: `parameters.auto_find_batch_size` is decided by the runner (the runner fits the batch itself: "
         "`per_device_train_batch_size: auto`, and an out-of-memory error before the first evaluation halves the batch with twice "
         "the gradient accumulation); remove it, but got 'auto_find_batch_size'"]),
    ('unknown object store', BASE + "storage_path: s4://bucket/x\n",
        ["sweep.yaml: `storage_path`: must be a folder or an object-store URI (s3://, gs://, gcs://, abfs://, abfss://, hdfs://, viewfs://), but got 's4://bucket/x'"]),
    ('bad sweep name', rep("name: cat", "name: 'my sweep!'"),
        ["sweep.yaml: `name`: must be 1-100 letters, digits, '_', '.' or '-' starting with a letter or digit, but got 'my sweep!'"]),
    ('keep_models negative', BASE + "keep_models: -1\n",
        ['sweep.yaml: `keep_models` must be greater than or equal to 0, but got -1']),
    ('when on unknown parameter', BASE + "  margin: {value: 1.0, when: {los: TripletLoss}}\n",
        ["sweep.yaml: `parameters.margin` applies only with loss TripletLoss or BatchSemiHardTripletLoss or BatchAllTripletLoss or BatchHardTripletLoss, so the sweep's `parameters.loss` must include one, but got ['MultipleNegativesRankingLoss']", "sweep.yaml: `parameters.margin.when.los` must name another parameter of the sweep (did you mean `loss`?), but got 'los'"]),
    ('value and values', rep("{value: 16}", "{value: 16, values: [8]}"),
        ["sweep.yaml: `parameters.per_device_train_batch_size`: exactly one of `value`, `values`, `distribution` must be given, but got ['value', 'values']"]),
    ('a credential as a parameter', BASE + "  hub_token: {value: hf_abc}\n",
        ["sweep.yaml: `parameters.hub_token` must not be a credential: parameters are logged to MLflow as params; give it through the environment (e.g. HF_TOKEN) instead, but got 'hub_token'"]),
    ('max_failures negative', BASE + "max_failures: -1\n",
        ['sweep.yaml: `max_failures` must be greater than or equal to 0, but got -1']),
    ('baselines not a boolean', BASE + "baselines: maybe\n",
        ["sweep.yaml: `baselines` must be a valid boolean, unable to interpret input, but got 'maybe'"]),
    ('no evaluation per trial', BASE + "evaluations_per_trial: 0\n",
        ['sweep.yaml: `evaluations_per_trial` must be greater than or equal to 1, but got 0']),
    ('alias with spaces', BASE + "promote: {alias: 'the best!'}\n",
        ["sweep.yaml: `promote.alias` must match pattern '^[A-Za-z0-9_-]{1,100}$', but got 'the best!'"]),
    ('seed in words', BASE + "seed: forty-two\n",
        ["sweep.yaml: `seed` must be a valid integer, unable to parse string as an integer, but got 'forty-two'"]),
    ('callbacks without allow_custom_code', BASE + "callbacks: [transformers.EarlyStoppingCallback]\n",
        ["sweep.yaml: `callbacks` run code from outside the sweep runner, so they need `allow_custom_code: true`, but got allow_custom_code=false"]),
    ('callbacks that are not callbacks', BASE + "allow_custom_code: true\ncallbacks: [nowhere.Callback, transformers.TrainingArguments]\n",
        ["sweep.yaml: `callbacks[0]` must be importable on the Python path of the driver and every worker (No module named 'nowhere'), but got 'nowhere.Callback'",
         "sweep.yaml: `callbacks[1]` must name a transformers.TrainerCallback subclass in transformers, but got 'transformers.TrainingArguments'"]),
    ('allow_custom_code not a boolean', BASE + "allow_custom_code: sometimes\n",
        ["sweep.yaml: `allow_custom_code` must be a valid boolean, unable to interpret input, but got 'sometimes'"]),
    ('prompts not a mapping of roles', BASE + "  prompts: {value: {question: 'q: '}}\n",
        ["sweep.yaml: `parameters.prompts.value` must be null or a mapping of query and/or document to text, e.g. {query: 'query: ', document: 'passage: '}, but got {'question': 'q: '}"]),
    ('an eval corpus smaller than its relevant passages', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  eval_corpus_size: 5"),
        ["sweep.yaml: `data.eval_corpus_size` must hold at least the eval split's relevant passages (60 for 60 queries; every passage of a query's group counts): raise it, or lower data.max_eval_queries, but got 5"]),
    ('negatives in columns the data lacks', rep("columns: {anchor: query, positive: passage}", "columns: {anchor: query, positive: passage, negatives: [wrong_1, wrong_2]}"),
        ["sweep.yaml: `data.columns.negatives` must name columns of DIR/pairs.jsonl (columns there: ['module', 'passage', 'query', 'symbol']), but got ['wrong_1', 'wrong_2']"]),
    ('several columns for one text', rep("columns: {anchor: query, positive: passage}", "columns: {anchor: query, positive: [query, passage]}"),
        ["sweep.yaml: `data.columns`: only `negatives` may name several columns, but got lists for ['positive']"]),
    ('a significance level of 1', BASE + "promote: {alpha: 1}\n",
        ['sweep.yaml: `promote.alpha` must be less than 1, but got 1']),
    ('an unknown task', BASE + "task: regression\n",
        ["sweep.yaml: `task` must be 'retrieval', 'sts' or 'classification', but got 'regression'"]),
    ('a metric the task does not produce', BASE + "task: retrieval\nmetric: {name: spearman_cosine}\n",
        ["sweep.yaml: `metric.name` must be a metric task 'retrieval' produces (ndcg@10, mrr@10, recall@10, map@100, triplet_accuracy, ndcg@k, mrr@k, recall@k, map@k) (spearman_cosine is task 'sts''s: set `task: sts` and map its columns), but got 'spearman_cosine'"]),
    ('a loss that does not fit the task', STS + "  loss: {values: [CoSENTLoss, MultipleNegativesRankingLoss]}\n",
        ["sweep.yaml: `parameters.loss` must be a loss that fits task 'sts' (CoSENTLoss, AnglELoss, CosineSimilarityLoss), but got 'MultipleNegativesRankingLoss'"]),
    ('columns of two tasks', rep("columns: {anchor: query, positive: passage}", "columns: {anchor: query, score: passage}"),
        ["sweep.yaml: `data.columns` must map the roles of one task (retrieval: anchor, positive, negative, negatives, group; sts: sentence1, sentence2, score), or `task` must say which, but got ['anchor', 'score']"]),
    ('a column role of another task', rep("columns: {anchor: query, positive: passage}", "columns: {anchor: query, positive: passage, label: module}") + "task: retrieval\n",
        ["sweep.yaml: `data.columns.label` must be a role of task 'retrieval' (anchor, positive, negative, negatives, group), but got 'label'"]),
    ('a score range outside sts', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  score_range: [0, 5]"),
        ["sweep.yaml: `data.score_range` applies to task 'sts' (scored pairs), but got 'retrieval'"]),
    ('a score range upside down', STS.replace("  source: scored.csv", "  source: scored.csv\n  score_range: [5, 0]"),
        ['sweep.yaml: `data.score_range`: `low < high` must hold, but got (low=5, high=0)']),
    ('sts scores outside 0-1 without their range', STS.replace("scored.csv", "scored_0_5.csv"),
        ["sweep.yaml: `data.score_range` must give the scale of the scores when they fall outside 0-1 (e.g. [0, 5] for STS-B): the losses and the evaluator read scores in 0-1, but got 'none, with scores from 0 to 5 in DIR/scored_0_5.csv'"]),
    ('sts scores outside the given range', STS.replace("scored.csv", "scored_0_5.csv").replace("  source: scored_0_5.csv", "  source: scored_0_5.csv\n  score_range: [0, 4]"),
        ["sweep.yaml: `data.score_range` must hold every score of the data, but got '[0, 4] with scores from 0 to 5 in DIR/scored_0_5.csv'"]),
    ('ranking label names that are integers', LABELLED.replace("labelled.csv", "numbered.csv") + "metric: {name: recall@1}\n",
        ["sweep.yaml: `metric.name` ranks the label names, so the data's labels must be text; with integer labels use triplet_accuracy or knn_accuracy, but got 'recall@1'"]),
    ('a label too rare to be seen in training', LABELLED.replace("labelled.csv", "labelled_dir"),
        ['sweep.yaml: `data.source` must have training rows for every test label (a model can\'t learn a label it never sees), but got "test labels never seen in train: [\'c\']"']),
    ('a guard metric of another task', BASE + "guard:\n  - {name: general, source: pairs.jsonl, columns: {anchor: query, positive: passage}, metric: spearman_cosine, max_drop: 0.02}\n",
        ["sweep.yaml: `guard[0].metric` must be a metric guard task 'retrieval' produces (ndcg@10, mrr@10, recall@10, map@100, ndcg@k, mrr@k, recall@k, map@k), but got 'spearman_cosine'"]),
    ('two guards of one name', BASE + "guard:\n  - {name: general, source: pairs.jsonl, columns: {anchor: query, positive: passage}}\n  - {name: general, source: pairs.jsonl}\n",
        ["sweep.yaml: `guard[0].name` must be unique among the guards (it names their MLflow metrics), but got 'general'"]),
    ('a negative guard limit', BASE + "guard:\n  - {name: general, source: pairs.jsonl, max_drop: -0.1}\n",
        ['sweep.yaml: `guard[0].max_drop` must be greater than or equal to 0, but got -0.1']),
    ('hard negatives for sts rows', STS.replace("  source: scored.csv", "  source: scored.csv\n  hard_negatives: {num_negatives: 3}"),
        ['sweep.yaml: `data.hard_negatives` are mined for retrieval rows (anchor, positive), but got "task \'sts\'"']),
    ('more hard negatives than their rank window', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  hard_negatives: {num_negatives: 5, range_min: 10, range_max: 12}"),
        ['sweep.yaml: `data.hard_negatives`: `range_max - range_min >= num_negatives` must hold, but got (range_min=10, range_max=12, num_negatives=5)']),
    ('a duplicated key', BASE.replace("method: grid", "method: grid\nseed: 1") + "seed: 2\nmethod: optuna\n",
        ["sweep.yaml: `method` must be given once, but it is on lines 2 and 12; YAML would keep the last silently, but got '2 values'",
         "sweep.yaml: `seed` must be given once, but it is on lines 3 and 11; YAML would keep the last silently, but got '2 values'"]),
    ('a duplicated nested key', rep("  columns: {anchor: query, positive: passage}", "  columns: {anchor: query, positive: passage, anchor: passage}"),
        ["sweep.yaml: `data.columns.anchor` must be given once, but it is on lines 5 and 5; YAML would keep the last silently, but got '2 values'"]),
    ('a sweep file that is not UTF-8', BASE.replace("name: cat", "name: caf\xe9").encode("latin-1"),
        ["sweep.yaml: must be UTF-8 text (re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 sweep.yaml > utf8-sweep.yaml`), but got 'byte 0xe9 at offset 9'"]),
    ('a data file that is not UTF-8', rep("pairs.jsonl", "latin1.csv"),
        ["DIR/latin1.csv: must be UTF-8 text (re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 latin1.csv > utf8-latin1.csv`), but got 'byte 0xe9 at offset 27'"]),
    ('a csv row with more fields than its header', rep("pairs.jsonl", "extra_fields.csv"),
        ["DIR/extra_fields.csv: `line 3` must have the header's 2 fields, split by ',' (set `data.delimiter` if that is not the file's), but got '3 fields'"]),
    ('a jsonl line that is not JSON', rep("pairs.jsonl", "broken.jsonl"),
        ["DIR/broken.jsonl: `line 3` must be one JSON object per line, but got 'Expecting property name enclosed in double quotes at column 2'"]),
    ('an unknown delimiter', rep("  source: pairs.jsonl", "  source: pairs.jsonl\n  delimiter: ':'"),
        ["sweep.yaml: `data.delimiter` must be ',', ';', '\\t' or '|', but got ':'"]),
    ('a batch size by its common name', BASE + "  batch_size: {value: 32}\n",
        ["sweep.yaml: `parameters.batch_size` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `per_device_train_batch_size`?), but got 'batch_size'"]),
    ('epochs by their common name', BASE + "  epochs: {value: 2}\n",
        ["sweep.yaml: `parameters.epochs` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `num_train_epochs`?), but got 'epochs'"]),
    ('a goal in British spelling', BASE + "metric: {name: ndcg@10, goal: minimise}\n",
        ["sweep.yaml: `metric.goal` must be 'maximize' or 'minimize' (did you mean `minimize`?), but got 'minimise'"]),
    ('a distribution by a near name', rep("{values: [1.0e-5, 2.0e-5]}", "{distribution: loguniform, min: 1.0e-5, max: 1.0e-3}"),
        ["sweep.yaml: `parameters.learning_rate.distribution` must be 'uniform', 'log_uniform_values', 'int_uniform', 'q_uniform' or 'q_log_uniform_values' (did you mean `log_uniform_values`?), but got 'loguniform'"]),
    ('an unknown early_terminate key', BASE + "early_terminate: {type: asha, grace_period: 1, min_iters: 1}\n",
        ["sweep.yaml: `early_terminate.min_iters` is not a known key (did you mean `min_iter`?); expected one of ['eta', 'grace_period', 'max_iter', 'min_iter', 'min_samples_required', 'reduction_factor', 's', 'type'], but got 1"]),
    ("W&B's s beside min_iter", BASE + "evaluations_per_trial: 4\nearly_terminate: {type: hyperband, min_iter: 1, s: 2}\n",
        ["sweep.yaml: `early_terminate`: `s` goes with `max_iter` (the first band at max_iter / eta^s), but got min_iter=1; with `min_iter` the bands run up to the trial's last evaluation"]),
    ("W&B's max_iter against evaluations_per_trial", BASE + "evaluations_per_trial: 4\nearly_terminate: {type: hyperband, max_iter: 9, s: 2}\n",
        ["sweep.yaml: `early_terminate.max_iter` is the trial's last evaluation, so it must equal `evaluations_per_trial`, but got (max_iter=9, evaluations_per_trial=4)"]),
    ("W&B's project beside mlflow.experiment", BASE + "project: shop\nmlflow: {experiment: store}\n",
        ["sweep.yaml: give one of `project` (W&B's) and `mlflow.experiment`, but got both (project='shop', mlflow.experiment='store')"]),
    ("W&B's entity", BASE + "entity: my-team\n",
        ["sweep.yaml: `entity` is W&B's team or user, which MLflow has no place for: remove it (the experiment is `project` or `mlflow.experiment`), but got 'my-team'"]),
    ('a description that is not text', BASE + "description: [a, b]\n",
        ["sweep.yaml: `description` must be a valid string, but got ['a', 'b']"]),
    ('a run_cap no sweep could reach', rep("method: grid", "method: random").replace("{values: [1.0e-5, 2.0e-5]}", "{min: 1.0e-5, max: 1.0e-3}") + "run_cap: 100000000000\n",
        ["sweep.yaml: `run_cap <= 10000` must hold (Tune keeps every planned trial in memory and in its state), but got run_cap=100000000000"]),
    ('a step with no multiple between the ends', rep("{value: 16}", "{distribution: q_log_uniform_values, min: 9, max: 15, q: 8}"),
        ["sweep.yaml: `parameters.per_device_train_batch_size`: a multiple of `q` must lie between `min` and `max`, but got (min=9.0, max=15.0, q=8.0)"]),
    ('an unknown guard key', BASE + "guard:\n  - {name: general, source: pairs.jsonl, max_dorp: 0.1}\n",
        ["sweep.yaml: `guard[0].max_dorp` is not a known key (did you mean `max_drop`?); expected one of ['columns', 'corpus_size', 'every_evaluation', 'max_drop', 'max_queries', 'metric', 'name', 'score_range', 'source', 'split', 'task'], but got 0.1"]),
    ('a W&B-style file with four mistakes, all in one pass', rep("method: grid", "method: bayesian").replace(
        "  per_device_train_batch_size: {value: 16}", "  batch_size: {value: 16}\n  epochs: {value: 1}") + "metric: {name: ndcg@10, goal: minimise}\n",
        ["sweep.yaml: `method` must be 'grid', 'random' or 'optuna' (did you mean `optuna`?), but got 'bayesian'",
         "sweep.yaml: `metric.goal` must be 'maximize' or 'minimize' (did you mean `minimize`?), but got 'minimise'",
         "sweep.yaml: `parameters.batch_size` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `per_device_train_batch_size`?), but got 'batch_size'",
         "sweep.yaml: `parameters.epochs` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `num_train_epochs`?), but got 'epochs'"]),
    ('mistakes of every stage in one pass: schema, parameter names, base model, data columns',
        "program: train.py\n" + rep("{value: all-MiniLM-L6-v2}", "{value: no-such-model}").replace(
            "  per_device_train_batch_size: {value: 16}", "  batch_size: {value: 16}").replace("anchor: query", "anchor: question"),
        ["sweep.yaml: `program` is W&B's way to start a training script; here the trial is built in (SentenceTransformerTrainer on the "
         "sweep's `data` and `parameters`): remove it, but got 'train.py'",
         "sweep.yaml: `parameters.batch_size` must be base_model, loss, max_seq_length, a loss parameter or a SentenceTransformerTrainingArguments field (did you mean `per_device_train_batch_size`?), but got 'batch_size'",
         "sweep.yaml: `parameters.base_model` must be a local model folder, a shipped model ['all-MiniLM-L6-v2', 'sentence-transformers/all-MiniLM-L6-v2'], or a hub id in the local cache while HF_HUB_OFFLINE=1, but got 'no-such-model'",
         "sweep.yaml: `data.columns.anchor` must name a column of DIR/pairs.jsonl (the anchor text; columns there: ['module', 'passage', 'query', 'symbol']), but got 'question'"]),
    ('a leak policy that is none of the three, and a similarity above 1',
        rep("  columns: {anchor: query, positive: passage}", "  columns: {anchor: query, positive: passage}\n  leaks: delete\n  near_duplicate_similarity: 1.5"),
        ["sweep.yaml: `data.leaks` must be 'drop', 'refuse' or 'warn', but got 'delete'",
         "sweep.yaml: `data.near_duplicate_similarity` must be less than or equal to 1, but got 1.5"]),
    ('training rows that nearly repeat eval and test texts, under leaks: refuse',
        rep("  columns: {anchor: query, positive: passage}", "  columns: {anchor: query, positive: passage}\n  leaks: refuse\n  near_duplicate_similarity: 0.9"),
        ["sweep.yaml: `data.leaks` is refuse, so no split may share a text with another (drop removes what the training split shares from "
         "it), but got 'eval shares 4 queries with train (4 near); eval shares 5 passages with train (5 near); test shares 2 queries with "
         "train (2 near); test shares 3 passages with train (3 near)'"]),
    ('a guard set that is not there', BASE + "guard:\n  - {name: general, source: nowhere.jsonl}\n  - {name: sts, source: scored.csv, task: sts, columns: {score: similarity}}\n",
        ["sweep.yaml: `guard[0].source` must be an existing file or folder, but got 'DIR/nowhere.jsonl'", "sweep.yaml: `guard[1].columns.sentence1` must name a column of DIR/scored.csv (the sentence1; columns there: ['first', 'second', 'similarity']), but got 'sentence1'", "sweep.yaml: `guard[1].columns.sentence2` must name a column of DIR/scored.csv (the sentence2; columns there: ['first', 'second', 'similarity']), but got 'sentence2'"]),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    shutil.copy(REPO / "examples/data/pydocs.jsonl", tmp_path / "pairs.jsonl")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "noquery.jsonl").write_text('{"q": "a", "passage": "b"}\n' * 50)
    scored = ["first,second,similarity"] + [f"sentence {i},other sentence {i},{(i % 6) / 10}" for i in range(40)]
    (tmp_path / "scored.csv").write_text("\n".join(scored) + "\n")
    (tmp_path / "scored_0_5.csv").write_text("\n".join(line.replace(",0.5", ",5.0") for line in scored) + "\n")
    labelled = ["text,label"] + [f"text number {i},{'ab'[i % 2]}" for i in range(40)]
    (tmp_path / "labelled.csv").write_text("\n".join(labelled) + "\n")
    (tmp_path / "numbered.csv").write_text("\n".join(line.replace(",a", ",1").replace(",b", ",2") for line in labelled) + "\n")
    (tmp_path / "labelled_dir").mkdir()
    (tmp_path / "labelled_dir" / "train.csv").write_text("\n".join(labelled) + "\n")
    (tmp_path / "labelled_dir" / "test.csv").write_text("text,label\nsomething new,c\nmore,a\nand more,b\n")
    (tmp_path / "latin1.csv").write_bytes("query,passage\nwhat is a caf\xe9?,a place\n".encode("latin-1"))
    (tmp_path / "extra_fields.csv").write_text("query,passage\nfirst,one\nsecond,two,three\n")
    (tmp_path / "broken.jsonl").write_text('{"query": "a", "passage": "b"}\n\n{not json}\n')
    for folder, module_type in (("truncated_model", "sentence_transformers.base.modules.transformer.Transformer"),
                                ("custom_model", "my_pooling.MyPooling")):
        import numpy
        from safetensors.numpy import save_file

        (tmp_path / folder).mkdir()
        (tmp_path / folder / "config.json").write_text('{"model_type": "bert"}')
        (tmp_path / folder / "modules.json").write_text(f'[{{"idx": 0, "name": "0", "path": "", "type": "{module_type}"}}]')
        save_file({"embeddings": numpy.zeros((64, 32), dtype=numpy.float32)}, str(tmp_path / folder / "model.safetensors"))
    with open(tmp_path / "truncated_model" / "model.safetensors", "r+b") as weights:  # a download cut short
        weights.truncate(4000)
    rows = [json.loads(line) for line in (REPO / "examples/data/pydocs.jsonl").read_text().splitlines()]
    rows[5]["passage"] = "a page dumped in one cell " * 6000
    (tmp_path / "huge_cell.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    (tmp_path / "notamodel").mkdir()
    (tmp_path / "notamodel" / "readme.txt").write_text("not a model")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_catalogue_covers_every_key_of_the_sweep_file():
    """Each top-level key of the schema is named by at least one refusal here: a key added without a bad-input case fails."""
    import re

    from sweeps.sweep_file.schema import SweepConfig

    named = {key for _, _, expected in CASES for line in expected for key in re.findall(r"`([a-z_]+)", line)}
    assert set(SweepConfig.model_fields) - named == set()
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize("name, sweep_text, expected", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_refused_with_its_message_and_nothing_written(workdir, capsys, name, sweep_text, expected):
    if isinstance(sweep_text, bytes):
        (workdir / "sweep.yaml").write_bytes(sweep_text)
    else:
        (workdir / "sweep.yaml").write_text(sweep_text)
    assert main(["sweep.yaml"]) == 2
    shown = [line.removeprefix("error: ").replace(str(workdir), "DIR") for line in capsys.readouterr().err.strip().splitlines()]
    assert shown == expected
    assert not (workdir / "mlflow.db").exists() and not (workdir / "ray_results").exists()
