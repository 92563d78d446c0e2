"""How much storage a sweep holds, in words: measured (trainables/storage.py), printed at the end, so a long
sweep's footprint is never a surprise."""

from __future__ import annotations


def human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"
