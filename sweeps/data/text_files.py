"""Data files as people have them: UTF-8 with or without a BOM, csv/tsv with whatever delimiter their
spreadsheet wrote, jsonl with blank lines. Anything else is refused with the file, where, and the fix."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

from sweeps.errors import SweepInputError, problem

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARACTERS = 64 * 1024


def read_text(path: Path) -> str:
    """The file's text; a BOM is dropped. Not UTF-8: refused with the offset of the first bad byte."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bad = raw[error.start:error.start + 1].hex()
        raise SweepInputError([problem(
            str(path), "", f"must be UTF-8 text (re-save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 {path.name} > utf8-{path.name}`)",
            f"byte 0x{bad} at offset {error.start}")]) from None


def sniffed_delimiter(text: str, path: Path) -> str:
    """The delimiter of a csv/tsv file's header and first rows, among , ; tab |; else the one its suffix implies."""
    sample = text[:_SNIFF_CHARACTERS]
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return "\t" if path.name.endswith(".tsv") else ","


def read_delimited(path: Path, delimiter: str | None = None) -> list[dict]:
    text = read_text(path)
    delimiter = delimiter or sniffed_delimiter(text, path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for row in reader:
        if None in row:  # more fields than the header names
            shown = {"\t": "tab"}.get(delimiter, delimiter)
            raise SweepInputError([problem(
                str(path), f"line {reader.line_num}",
                f"must have the header's {len(reader.fieldnames)} fields, split by {shown!r} (set `data.delimiter` if that is not the file's)",
                f"{len(reader.fieldnames) + len(row[None])} fields")])
        rows.append(row)
    return rows


def read_jsonl(path: Path) -> list[dict]:
    """One JSON object per line; blank lines are skipped."""
    return read_jsonl_counting(path)[0]


def read_jsonl_counting(path: Path) -> tuple[list[dict], int]:
    """The rows, and how many blank lines were skipped: said beside the data's origin, not silently."""
    rows, blank = [], 0
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            blank += 1
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise SweepInputError([problem(str(path), f"line {number}", "must be one JSON object per line",
                                           f"{error.msg} at column {error.colno}")]) from None
        if not isinstance(row, dict):
            raise SweepInputError([problem(str(path), f"line {number}", "must be one JSON object per line", type(row).__name__)])
        rows.append(row)
    return rows, blank
