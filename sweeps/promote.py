"""`python -m sweeps.promote SWEEP`: register a sweep's best trial (or its soup) and point `champion` at it."""

from __future__ import annotations

import argparse
import os
import sys

from sweeps.cli import ExitCode, add_tracking_uri_option, open_tracking_uri, print_error


def parse_args(argv: list[str] | None, prog: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Pick a sweep's best FINISHED trial (by the sweep's metric on the eval split), register its model "
                    "and point an alias at it, unless its test score does not beat the current holder's.",
    )
    parser.add_argument("sweep", help="a sweep name (its most recent run) or a parent run id")
    add_tracking_uri_option(parser)
    parser.add_argument("--name", help="registered model name (default: the sweep's promote.registered_model)")
    parser.add_argument("--alias", help="alias to point (default: the sweep's promote.alias, 'champion')")
    parser.add_argument("--run", help="promote this run of the sweep (a trial's or the soup's run name or id) instead of the best; "
                                          "every guard still applies")
    parser.add_argument("--force", action="store_true", help="promote even if the test score is not better (recorded on the version)")
    parser.add_argument("--alpha", type=float,
                        help="significance level: the candidate must beat the champion on the same test queries at this level "
                             "(paired randomization test; default: the sweep's promote.alpha, 0.05)")
    parser.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, prog: str = "python -m sweeps.promote") -> int:
    args = parse_args(argv, prog)
    # Promotion and the leaderboard read per-query scores back from MLflow: no download bars between the result lines.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    if args.alpha is not None and not 0 < args.alpha < 1:
        print_error(f"`--alpha` must be > 0 and < 1, but got {args.alpha}")
        return ExitCode.BAD_INPUT
    tracking_uri, unusable = open_tracking_uri(args.tracking_uri)
    if unusable:
        print_error(unusable)
        return ExitCode.BAD_INPUT
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from sweeps.promotion.decision import PromotionError
    from sweeps.promotion.store_lock import promotion_lock
    from sweeps.tracking.store import redact_uri

    client = MlflowClient(tracking_uri)
    try:
        with promotion_lock(tracking_uri):  # decided and applied under one lock: a concurrent promote sees our version
            return _promote(client, args)
    except PromotionError as error:
        print_error(str(error))
        return ExitCode.BAD_INPUT
    except MlflowException as error:  # the store failed mid-way (a server gone): one line, never a traceback
        print_error(f"`--tracking-uri` must be a store that answers, but {redact_uri(tracking_uri)} said: {str(error).splitlines()[0]}")
        return ExitCode.BAD_INPUT


def _promote(client, args) -> int:
    from sweeps.promotion.decision import apply, decide
    from trainables.contract.mlflow_names import VERSION_FORCED

    decision = decide(client, args.sweep, args.name, args.alias, args.force, args.alpha, args.run)
    for line in decision.passed_over:
        print(f"passed over {line}", file=sys.stderr if decision.action == "refuse" else sys.stdout)
    if decision.action == "refuse":
        print(f"refused: {decision.reason}", file=sys.stderr)
        return ExitCode.REFUSED
    if decision.action == "no-op":
        print(f"nothing to do: {decision.reason}")
        return ExitCode.OK
    if args.dry_run:
        reuse = f" (reusing version {decision.existing_version.version})" if decision.existing_version else " (new version)"
        print(f"dry run: {decision.reason}{reuse}; nothing changed")
        return ExitCode.OK
    version = apply(client, decision)
    forced = " (forced)" if VERSION_FORCED in decision.tags else ""
    print(f"promoted{forced}: {decision.reason}: version {version.version}, load it with models:/{decision.name}@{decision.alias}")
    return ExitCode.OK


if __name__ == "__main__":
    from sweeps.cli.process_exit import exit_process

    exit_process(main())
