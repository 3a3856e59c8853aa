"""Checks every calibration CSV passes before pandas reads it, so a binary or absurd file
ends in a clear message instead of a traceback or a screenful of garbage."""

from __future__ import annotations

from pathlib import Path

from simlib.calibrate._errors import user_error

SNIFF_BYTES = 65536


def check_text_file(path: Path, expected: str) -> None:
    """Refuse a missing file, a folder, an empty file, or one that is not UTF-8 text (a NUL
    byte or undecodable bytes in its first 64 KiB); ``expected`` says what a row holds."""
    source = str(path)
    if not path.exists():
        raise user_error(f"{source}: no such file")
    if path.is_dir():
        raise user_error(f"{source}: is a folder, expected a CSV file")
    if path.stat().st_size == 0:
        raise user_error(f"{source}: the file is empty; expected a header row and {expected}")
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    nul = head.find(b"\x00")
    if nul >= 0:
        raise user_error(f"{source}: a binary file (a NUL byte at byte {nul + 1}), not a CSV; "
                         f"allowed: UTF-8 text with a header row and {expected}")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut by the 64 KiB window
            raise user_error(f"{source}: not UTF-8 text (undecodable byte at byte {exc.start + 1}); "
                             "save the CSV as UTF-8") from None


def show_header(columns, limit: int = 12, width: int = 40) -> str:
    """The header's column names for a message: at most ``limit``, each cut to ``width``."""
    names = [repr(c if len(c) <= width else c[:width] + "...") for c in map(str, columns)]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
