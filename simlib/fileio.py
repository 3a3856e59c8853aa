"""Files written so that an interruption never leaves half a file: write beside, then rename.

Every file simlib writes for a user goes through ``replacing`` or ``write_text``: the content
goes to a hidden temporary file in the same folder, is flushed to disk, made readable by the
group (0644; ``tempfile`` would leave it 0600) and renamed over the target in one step. A
reader sees the old file or the new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    On any exception (including KeyboardInterrupt) the temporary file is removed and
    ``path`` is left as it was."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path, data: bytes) -> Path:
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
