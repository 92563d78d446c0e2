"""`python -m sweeps.evaluate MODEL DATA`: evaluate any model on a dataset with the trials' evaluators.

MODEL: a hub id, a local folder, a shipped model name, or `models:/NAME@ALIAS` from the MLflow registry.
DATA: a data source (as `data.source` in a sweep file), or a sweep file, whose data section and seed
are used so the split is exactly the one its trials were tested on. Prints the metrics as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sweeps.cli import ExitCode, add_tracking_uri_option, open_tracking_uri, print_error, print_errors

REGISTRY_SCHEMES = ("models:/", "runs:/")


def parse_args(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("model", help="hub id, folder, shipped model name, or models:/NAME@ALIAS")
    parser.add_argument("data", help="a data source (BEIR folder, table file, ...) or a sweep .yaml")
    parser.add_argument("--split", choices=("test", "eval"), default="test")
    parser.add_argument("--task", choices=("retrieval", "sts", "classification"), default="retrieval",
                        help="what a bare DATA source holds, with its roles' default column names (a sweep file says its own)")
    parser.add_argument("--seed", type=int, default=42, help="split seed when DATA is not a sweep file and has no such split of its own")
    parser.add_argument("--max-seq-length", type=int, help="override the model's max_seq_length")
    parser.add_argument("--batch-size", type=int, default=64)
    add_tracking_uri_option(parser)
    return parser.parse_args(argv)


def evaluation_set(data: str, split: str, seed: int, task: str = "retrieval") -> tuple[dict, str, str]:
    """(the evaluation set, the data's origin, its fingerprint). From a sweep file: exactly the split its trials were
    tested on, with the sweep's fingerprint. From a bare source: its own split (a BEIR folder may hold test qrels
    only), or one carved from its training rows with the default fractions and `seed`."""
    from sweeps.data.prepare import prepare_data, prepare_evaluation
    from sweeps.sweep_file.schema import DataConfig

    if data.endswith((".yaml", ".yml")):
        from sweeps.prepared_sweep import prepare_sweep
        from sweeps.sweep_file.loading import load_sweep_file

        config = load_sweep_file(data)
        # The sweep's fingerprint is that of the rows its trials trained on: after the data check's drops, and
        # with their mined negatives (from the cache).
        sweep = prepare_sweep(config, data)
        if config.data.hard_negatives is not None:
            sweep = sweep.with_hard_negatives(lambda line: print(line, file=sys.stderr))
        prepared = sweep.data
        return getattr(prepared, split), prepared.origin, prepared.fingerprint
    if Path(data).is_file() and task in ("retrieval", "sts"):  # a file that is itself a test set: judged whole, never carved
        from sweeps.data.whole_file import whole_file_evaluation

        evaluation, origin, fingerprint = whole_file_evaluation(DataConfig(source=data), task, "DATA", Path.cwd())
        return evaluation, f"{origin} (one file: judged whole, no split carved from it)", fingerprint
    if task != "retrieval":
        prepared = prepare_data(DataConfig(source=data), seed, "DATA", Path.cwd(), task)
        return getattr(prepared, split), prepared.origin, prepared.fingerprint
    return prepare_evaluation(DataConfig(source=data), split, seed, "DATA", Path.cwd())


def load_model(reference: str, tracking_uri: str):
    if reference.startswith(REGISTRY_SCHEMES):
        import mlflow
        import mlflow.sentence_transformers

        mlflow.set_tracking_uri(tracking_uri)
        return mlflow.sentence_transformers.load_model(reference)
    from sentence_transformers import SentenceTransformer

    from sweeps.sweep_file.model_refs import resolve_model

    return SentenceTransformer(resolve_model(reference, Path.cwd()), device="cpu")


def main(argv: list[str] | None = None, prog: str = "python -m sweeps.evaluate") -> int:
    args = parse_args(argv, prog)
    if args.model.startswith(REGISTRY_SCHEMES):  # checked first: MLflow's own retries of a dead server take minutes
        args.tracking_uri, unusable = open_tracking_uri(args.tracking_uri)
        if unusable:
            print_error(unusable)
            return ExitCode.BAD_INPUT
    from sweeps.errors import SweepInputError
    from sweeps.sweep_file.model_refs import ModelReferenceError
    from trainables.evaluation.item_keeping_evaluator import confidence_intervals, evaluate_in_detail
    from trainables.prompts import Prompts

    try:
        split, origin, fingerprint = evaluation_set(args.data, args.split, args.seed, args.task)
        model = load_model(args.model, args.tracking_uri)
    except SweepInputError as error:
        print_errors(error.problems)
        return ExitCode.BAD_INPUT
    except (ModelReferenceError, OSError) as error:
        print_error(f"`MODEL` must be a hub id, a model folder, a shipped model or models:/NAME@ALIAS, but got {args.model!r} ({error})")
        return ExitCode.BAD_INPUT
    except Exception as error:  # an MLflow registry lookup: unknown name or alias
        print_error(f"`MODEL` could not be loaded from {args.model!r}: {str(error).splitlines()[0]}")
        return ExitCode.BAD_INPUT
    if args.max_seq_length:
        model.max_seq_length = args.max_seq_length
    prompts = Prompts.from_model_config(getattr(model, "prompts", None))  # as the model's trials and baseline use them
    metrics, per_item = evaluate_in_detail(model, split, prompts, batch_size=args.batch_size)
    print(json.dumps({
        "model": args.model, "data": origin, "split": args.split, "data_fingerprint": fingerprint,
        **set_size(split), "max_seq_length": model.max_seq_length, "prompts": prompts.describe(),
        "metrics": metrics, "intervals_95": confidence_intervals(per_item),
    }, indent=2))
    return ExitCode.OK


def set_size(split) -> dict[str, int]:
    if split.task == "retrieval":
        return {"queries": len(split.queries), "corpus": len(split.corpus)}
    return {"pairs": len(split.score)} if split.task == "sts" else {"texts": len(split.texts)}


if __name__ == "__main__":
    from sweeps.cli.process_exit import exit_process

    exit_process(main())
