"""Errors as every command prints them: `error: ` and one line each on stderr, a password in a URI never shown."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

# user:password@ in any URI a message quotes (an MLflow server, an object store endpoint).
_PASSWORD_IN_URI = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^/@:\s'\"]*):[^/@\s'\"]*@")


def scrub(text: str) -> str:
    return _PASSWORD_IN_URI.sub(r"\g<scheme>\g<user>:***@", text)


def print_error(line: str) -> None:
    print(f"error: {scrub(line)}", file=sys.stderr)


def print_errors(lines: Iterable[str]) -> None:
    for line in lines:
        print_error(line)
