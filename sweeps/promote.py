"""`python -m sweeps.promote SWEEP`: register a sweep's best trial and point `champion` at it."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sweeps.promote",
        description="Pick a sweep's best FINISHED trial (by the sweep's metric on the eval split), register its model "
                    "and point an alias at it, unless its test score does not beat the current holder's.",
    )
    parser.add_argument("sweep", help="a sweep name (its most recent run) or a parent run id")
    parser.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"),
                        help="the MLflow store (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db)")
    parser.add_argument("--name", help="registered model name (default: the sweep's promote.registered_model)")
    parser.add_argument("--alias", help="alias to point (default: the sweep's promote.alias, 'champion')")
    parser.add_argument("--force", action="store_true", help="promote even if the test score is not better (recorded on the version)")
    parser.add_argument("--alpha", type=float,
                        help="significance level: the candidate must beat the champion on the same test queries at this level "
                             "(paired randomization test; default: the sweep's promote.alpha, 0.05)")
    parser.add_argument("--dry-run", action="store_true", help="say what would happen; change nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Promotion and the leaderboard read per-query scores back from MLflow: no download bars between the result lines.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from sweeps.tracking.store import redact_uri

    if args.tracking_uri.startswith("sqlite:///") and not Path(args.tracking_uri.removeprefix("sqlite:///")).exists():
        print(f"error: `--tracking-uri` must point at an existing MLflow store, but got {redact_uri(args.tracking_uri)!r} (no such file)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.alpha is not None and not 0 < args.alpha < 1:
        print(f"error: `--alpha` must be > 0 and < 1, but got {args.alpha}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from mlflow.tracking import MlflowClient

    from sweeps.promotion.decision import PromotionError, apply, decide
    from trainables.mlflow_names import VERSION_FORCED

    client = MlflowClient(args.tracking_uri)
    try:
        decision = decide(client, args.sweep, args.name, args.alias, args.force, args.alpha)
    except PromotionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in decision.passed_over:
        print(f"passed over {line}", file=sys.stderr if decision.action == "refuse" else sys.stdout)
    if decision.action == "refuse":
        print(f"refused: {decision.reason}", file=sys.stderr)
        return EXIT_REFUSED
    if decision.action == "no-op":
        print(f"nothing to do: {decision.reason}")
        return 0
    if args.dry_run:
        reuse = f" (reusing version {decision.existing_version.version})" if decision.existing_version else " (new version)"
        print(f"dry run: {decision.reason}{reuse}; nothing changed")
        return 0
    version = apply(client, decision)
    forced = " (forced)" if VERSION_FORCED in decision.tags else ""
    print(f"promoted{forced}: {decision.reason}: version {version.version}, load it with models:/{decision.name}@{decision.alias}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
