"""The exit codes every `sweeps` command keeps, so a script or a CI job can tell the outcomes apart."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1  # the input was fine and the answer is no: a promotion refused, a sweep where no trial finished
    BAD_INPUT = 2  # one line per problem, nothing started, nothing written to MLflow
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it
    HUNG_UP = 129  # SIGHUP: a closed terminal; an interruption too
    TERMINATED = 143  # SIGTERM: Kubernetes, Slurm, `ray job stop`; an interruption too
