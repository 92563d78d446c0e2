"""What the three commands share: exit codes, how an error is printed, where the MLflow store is by default.

Light on purpose: every command imports this before it decides whether it needs Ray, torch or MLflow.
"""

from sweeps.cli.exit_codes import ExitCode
from sweeps.cli.output import print_error, print_errors
from sweeps.cli.tracking_uri import DEFAULT_TRACKING_URI, add_tracking_uri_option, default_tracking_uri, open_tracking_uri

__all__ = ["DEFAULT_TRACKING_URI", "ExitCode", "add_tracking_uri_option", "default_tracking_uri", "open_tracking_uri", "print_error", "print_errors"]
