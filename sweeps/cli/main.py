"""`sweeps run | promote | evaluate`: the project's one command. Each subcommand is also `python -m sweeps.<name>`."""

from __future__ import annotations

import importlib
import sys

from sweeps.cli.exit_codes import ExitCode
from sweeps.cli.output import print_error
from sweeps.errors import did_you_mean

# Each is the module sweeps.<name>, with main(argv, prog).
COMMANDS = {
    "run": "validate a sweep file, then search, train, evaluate and log (--dry-run, --resume)",
    "promote": "register a sweep's best trial and point the champion alias at it, behind its guards",
    "evaluate": "evaluate any model on a data source or a sweep file's exact split, as JSON",
}
USAGE = "usage: sweeps {run,promote,evaluate} ...\n\n" + "\n".join(
    f"  {name:<9} {summary}" for name, summary in COMMANDS.items()) + "\n\n`sweeps COMMAND --help` gives each command's options."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return ExitCode.OK if argv else ExitCode.BAD_INPUT
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print_error(f"`COMMAND` must be one of {', '.join(COMMANDS)}{did_you_mean(command, COMMANDS)}, but got {command!r}")
        return ExitCode.BAD_INPUT
    module = importlib.import_module(f"{__package__.split('.')[0]}.{command}")  # only the chosen command's imports are paid for
    return module.main(rest, prog=f"sweeps {command}")


def console_main() -> None:
    """The `sweeps` console script."""
    from sweeps.cli.process_exit import exit_process

    exit_process(main())


if __name__ == "__main__":
    console_main()
