"""Rebuild examples/data/pydocs.jsonl, the default sweep's offline dataset.

Every Python ships its standard library's docstrings, so this data needs no network and
no ../shared. Each row pairs a function's one-line summary (the query a developer would
type) with the rest of its documentation and its signature (the passage to retrieve):
a small code-search task on which an English embedding model has room to improve.

Run with the interpreter whose stdlib you want (the committed file came from 3.11):
    python scripts/build_pydocs_dataset.py examples/data/pydocs.jsonl
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import warnings

MODULES = [
    "argparse", "asyncio", "base64", "bisect", "calendar", "collections", "concurrent.futures",
    "configparser", "contextlib", "copy", "csv", "datetime", "decimal", "difflib", "email.utils",
    "enum", "fnmatch", "fractions", "ftplib", "functools", "glob", "gzip", "hashlib", "heapq",
    "hmac", "html", "http.client", "http.cookies", "imaplib", "inspect", "ipaddress", "itertools",
    "json", "logging", "mailbox", "math", "mimetypes", "operator", "os", "os.path", "pathlib",
    "pickle", "platform", "poplib", "pprint", "queue", "random", "re", "sched", "secrets",
    "selectors", "shlex", "shutil", "smtplib", "socket", "sqlite3", "ssl", "statistics", "string",
    "struct", "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit", "tokenize",
    "traceback", "typing", "unittest", "urllib.parse", "urllib.request", "uuid", "warnings",
    "weakref", "xml.dom.minidom", "xml.etree.ElementTree", "zipfile", "zoneinfo",
]
MIN_SUMMARY_WORDS = 4
MIN_BODY_CHARS = 60
MAX_BODY_CHARS = 480


def split_docstring(doc: str) -> tuple[str, str] | None:
    doc = inspect.cleandoc(doc)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", doc) if p.strip()]
    if len(paragraphs) < 2:
        return None
    summary = " ".join(paragraphs[0].split())
    body = " ".join(" ".join(paragraphs[1:]).split())
    if len(summary.split()) < MIN_SUMMARY_WORDS or len(body) < MIN_BODY_CHARS:
        return None
    if len(body) > MAX_BODY_CHARS:
        body = body[:MAX_BODY_CHARS].rsplit(" ", 1)[0] + " ..."
    return summary, body


def signature_of(obj) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(...)"


def documented_callables(module):
    for name, obj in sorted(vars(module).items()):
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isclass(obj):
            yield f"{module.__name__}.{name}", obj
            for member_name, member in sorted(vars(obj).items()):
                if not member_name.startswith("_") and inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{member_name}", member
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
            yield f"{module.__name__}.{name}", obj


def main(out_path: str) -> None:
    warnings.simplefilter("ignore")
    rows, seen_summaries = [], set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for qualname, obj in documented_callables(module):
            parts = split_docstring(obj.__doc__ or "")
            if parts is None or parts[0].lower() in seen_summaries:
                continue
            summary, body = parts
            seen_summaries.add(summary.lower())
            short_name = qualname.rsplit(".", 1)[-1]
            rows.append({
                "query": summary,
                "passage": f"{short_name}{signature_of(obj)}: {body}",
                "module": module.__name__,
                "symbol": qualname,
            })
    with open(out_path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} rows from {len(MODULES)} modules to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1])
