"""The libraries' own log lines (Ray's, MLflow's, Optuna's, transformers' and their kin) go to a file, not between
the sweep's lines; `--verbose` leaves them on the screen."""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

LIBRARY_LOGGERS = ("ray", "mlflow", "alembic", "optuna", "transformers", "sentence_transformers", "datasets", "huggingface_hub",
                   "urllib3", "filelock", "py.warnings")


class LibraryLogFile(logging.FileHandler):
    """A log file that, when it can't be written (a full disk), says so once and drops the libraries' lines from then
    on, instead of a traceback for every record (about 4,000 lines on a full disk)."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802  logging's name
        if not self.failed:
            self.failed = True
            error = sys.exc_info()[1]
            print(f"logs: writing {self.baseFilename} failed ({error}); the libraries' log lines are dropped from here on", file=sys.stderr)


def library_log_file(folder: Path, sweep_name: str) -> Path:
    return folder / "logs" / f"{sweep_name}-{time.strftime('%Y%m%d-%H%M%S')}.log"


def send_library_logs_to(path: Path) -> None:
    """The file handler sits on the root logger, and each library's logger hands its records up to it: ray.init
    empties the `ray` logger's own handlers, so a handler there would be gone before Ray's first warning."""
    # Loading weights and writing shards draw progress bars through huggingface_hub's switch, which transformers
    # reads when it is imported: the variable for the workers and later imports, the call for an import already made.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # Mining's encode and datasets' map draw tqdm bars of their own, which broke into the sweep's lines.
    os.environ.setdefault("TQDM_DISABLE", "1")
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    import mlflow  # noqa: F401  each of these puts its own console handler on its logger when imported: removed below
    import ray  # noqa: F401

    path.parent.mkdir(parents=True, exist_ok=True)
    handler = LibraryLogFile(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.INFO)
    # sentence-transformers draws its "Batches" bar on stderr whenever its logger is at INFO (encode's default, which
    # MLflow's signature inference and the evaluators use): its own INFO lines are the price of a clean screen.
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
