"""Checks every calibration CSV passes before pandas reads it, so a binary or absurd file
ends in a clear message instead of a traceback or a screenful of garbage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

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


def read_rows(path: Path, expected: str, max_bytes: int | None = None, too_big: str = "") -> pd.DataFrame:
    """A calibration CSV after ``check_text_file``: every cell as text, column names stripped,
    indexed by spreadsheet row (the header is row 1), blank lines dropped. ``max_bytes`` refuses a
    larger file before pandas reads it (``too_big`` says what to do instead)."""
    source = str(path)
    check_text_file(path, expected)
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise user_error(f"{source}: {size:,} bytes; at most {max_bytes:,}" + (f" ({too_big})" if too_big else ""))
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise user_error(f"{source}: the file is empty; expected a header row and {expected}") from None
    except pd.errors.ParserError as exc:
        raise user_error(f"{source}: not a readable CSV ({str(exc)[:200]})") from None
    except UnicodeDecodeError:
        raise user_error(f"{source}: not UTF-8 text; save the CSV as UTF-8") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = np.arange(2, len(frame) + 2)
    blank = (frame.apply(lambda col: col.str.strip()) == "").all(axis=1)
    return frame.loc[~blank]


def show_header(columns, limit: int = 12, width: int = 40) -> str:
    """The header's column names for a message: at most ``limit``, each cut to ``width``."""
    names = [repr(c if len(c) <= width else c[:width] + "...") for c in map(str, columns)]
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
