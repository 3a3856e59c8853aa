"""Assignment files: who was (or will be) in which arm of a campaign.

A CSV with a header row and a ``customer_id`` column (``customer``, ``member_id``, ``user_id``
and ``id`` are read as it), and optionally an ``arm`` column (``group`` is read as it): an
assignment (``customer_id, arm``: the A/B test's arms) or a plain file of ids (everyone listed
receives it). Every problem names the file, the row as a spreadsheet numbers it (header =
row 1), the column and what is allowed: a missing column, an empty id or arm, a customer
listed twice, a file too large. Read files are kept while they do not change (a scenario
naming one is validated again at every override).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import UserError, short_repr

ID_COLUMN, ARM_COLUMN = "customer_id", "arm"
ALIASES = {"customer": ID_COLUMN, "member_id": ID_COLUMN, "user_id": ID_COLUMN, "id": ID_COLUMN,
           "group": ARM_COLUMN}
MAX_FILE_BYTES = 200_000_000     # ids of a few million customers; a larger file is refused unread
MAX_ARMS = 50
MAX_ID_CHARS = 200
CONTROL_NAMES = ("control", "holdout", "baseline", "control_group")
_CACHE: dict = {}
_CACHE_FILES = 8


@dataclass(frozen=True)
class Assignment:
    """The customers of a file, in file order, with their arm (None for a file of ids)."""

    source: str
    ids: np.ndarray              # str, unique
    arms: np.ndarray | None      # str per id, or None

    @property
    def arm_names(self) -> list[str]:
        return [] if self.arms is None else list(dict.fromkeys(self.arms.tolist()))

    def sizes(self) -> dict[str, int]:
        """Customers per arm, in the order arms first appear."""
        if self.arms is None:
            return {}
        names, counts = np.unique(self.arms, return_counts=True)
        size = dict(zip(names.tolist(), counts.tolist()))
        return {a: int(size[a]) for a in self.arm_names}

    def control(self, given: str | None = None) -> str:
        """The control arm: ``given`` (checked), else the one arm named control, holdout or baseline."""
        arms = self.arm_names
        if given is not None:
            if given not in arms:
                raise UserError(f"{self.source}, column 'arm': no arm {short_repr(given)}; arms: {', '.join(arms)}")
            return given
        found = [a for a in arms if a.lower() in CONTROL_NAMES]
        if len(found) != 1:
            raise UserError(f"{self.source}, column 'arm': cannot tell the control group among {', '.join(arms)}; "
                            f"name it one of {', '.join(CONTROL_NAMES)} or say which it is (--control)")
        return found[0]

    def ids_of(self, arm, key: str = "arm") -> np.ndarray:
        """The ids of ``arm`` or of a list of arms (every id when the file has no arm column and
        ``arm`` is None), in file order."""
        if isinstance(arm, (list, tuple)):
            for a in arm:
                self.ids_of(a, key)
            return self.ids[np.isin(self.arms, list(arm))]
        if self.arms is None:
            if arm is not None:
                raise UserError(f"{key} {short_repr(arm)}: {self.source} has no 'arm' column (a file of ids: every "
                                "customer listed receives it); drop the arm, or give an assignment file "
                                "(customer_id, arm)")
            return self.ids
        if arm is None:
            raise UserError(f"{self.source} assigns customers to arms ({', '.join(self.arm_names)}); say which arm "
                            f"receives it ({key}: NAME)")
        if arm not in self.arm_names:
            from .errors import did_you_mean
            raise UserError(f"{key} {short_repr(arm)}: no such arm in {self.source}."
                            + did_you_mean(arm, self.arm_names) + f" Arms: {', '.join(self.arm_names)}")
        return self.ids[self.arms == arm]


def read_assignment(path) -> Assignment:
    """Read an assignment file or a file of ids (see the module docstring); cached while the
    file is unchanged."""
    path = Path(path)
    try:
        stat = path.stat()
        stamp = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    except OSError:
        stamp = None
    if stamp is not None and stamp in _CACHE:
        return _CACHE[stamp]
    result = _read(path)
    if stamp is not None:
        if len(_CACHE) >= _CACHE_FILES:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[stamp] = result
    return result


def _read(path: Path) -> Assignment:
    from .calibrate.csvfile import read_rows, show_header
    source = str(path)
    frame = read_rows(path, "one row per customer: customer_id (and arm)", MAX_FILE_BYTES,
                      "split the campaign's customers into several files")
    columns = [ALIASES.get(c.lower(), c.lower()) for c in frame.columns]
    for i, column in enumerate(columns):
        if column not in (ID_COLUMN, ARM_COLUMN):
            raise UserError(f"{source}, row 1, column {short_repr(frame.columns[i], 40)}: unknown column; allowed: "
                            f"customer_id and arm (header: {show_header(frame.columns)})")
        if columns.count(column) > 1:
            raise UserError(f"{source}, row 1: two columns are read as {column!r} ({show_header(frame.columns)}); "
                            "keep one")
    frame.columns = columns
    if ID_COLUMN not in columns:
        raise UserError(f"{source}, row 1: no column 'customer_id' (header: {show_header(frame.columns)}); an "
                        "assignment has customer_id and arm, a file of ids customer_id")
    if frame.empty:
        raise UserError(f"{source}: no rows below the header row; expected one row per customer")
    ids = frame[ID_COLUMN].str.strip()
    _no_empty(ids, source, ID_COLUMN)
    long = ids.str.len() > MAX_ID_CHARS
    if long.any():
        row = int(ids.index[long.to_numpy()][0])
        raise UserError(f"{source}, row {row}, column 'customer_id': an id is at most {MAX_ID_CHARS} characters")
    arms = None
    if ARM_COLUMN in columns:
        arms = frame[ARM_COLUMN].str.strip()
        _no_empty(arms, source, ARM_COLUMN)
        names = arms.unique()
        if len(names) > MAX_ARMS:
            raise UserError(f"{source}, column 'arm': {len(names)} different arms; at most {MAX_ARMS}")
        if (arms.str.len() > 60).any():
            row = int(arms.index[(arms.str.len() > 60).to_numpy()][0])
            raise UserError(f"{source}, row {row}, column 'arm': an arm name is at most 60 characters")
    dup = ids.duplicated(keep=False)
    if dup.any():
        rows = [int(r) for r in ids.index[dup.to_numpy()]]
        first = ids.loc[rows[0]]
        same = [r for r in rows if ids.loc[r] == first][:2]
        twice = f"customer {short_repr(first, 40)} is listed twice (rows {same[0]} and {same[1]})"
        if arms is not None and arms.loc[same[0]] != arms.loc[same[1]]:
            twice += f", in arms {short_repr(arms.loc[same[0]], 30)} and {short_repr(arms.loc[same[1]], 30)}"
        raise UserError(f"{source}, column 'customer_id': {twice}; {int(dup.sum()):,} rows repeat an id. Each "
                        "customer is in one arm, once")
    return Assignment(source, ids.to_numpy(dtype=str), None if arms is None else arms.to_numpy(dtype=str))


def _no_empty(values, source: str, column: str) -> None:
    empty = values == ""
    if empty.any():
        row = int(values.index[empty.to_numpy()][0])
        raise UserError(f"{source}, row {row}, column {column!r}: empty; every row names "
                        + ("its customer" if column == ID_COLUMN else "its arm (e.g. control, coupon)"))
