"""Policies' state kept in rows for the customers who have any (simlib.sparse_state): it reads and
writes like the full array it replaces, through growth, repeats and customers who come back, and
a run gives the regression baseline's numbers even when the rows grow many times."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from simlib import sparse_state
from simlib.population import Population
from simlib.sparse_state import SparseState


def test_a_sparse_field_reads_and_writes_like_the_full_array_through_growth():
    n = 5000
    state = SparseState(n)
    points, seen = state.add("points", np.float32, 0.0), state.add("seen", bool, False)
    due = state.add("due", np.int16, -32768)
    dense_points, dense_seen, dense_due = np.zeros(n, np.float32), np.zeros(n, bool), np.full(n, -32768, np.int16)
    rng = np.random.default_rng(3)
    for day in range(12):                                  # more customers each day than the first rows hold
        idx = rng.integers(0, n, 700)                       # with repeats: numpy keeps the last write
        v = rng.random(idx.size).astype(np.float32)
        points[idx] = v
        dense_points[idx] = v
        rows = points.rows(idx)                             # np.add.at adds in idx order, as on the full array
        np.add.at(points.values, rows, v)
        np.add.at(dense_points, idx, v)
        mask = rng.random(n) < 0.02
        seen[mask] = True
        dense_seen[mask] = True
        some = np.unique(rng.integers(0, n, 50))
        due[some] = day
        dense_due[some] = day
        assert np.array_equal(points[np.arange(n)], dense_points)
        probe = rng.integers(0, n, 300)
        assert np.array_equal(seen[probe], dense_seen[probe])
        assert np.array_equal(np.asarray(seen), dense_seen) and np.array_equal(np.asarray(due), dense_due)
        assert np.array_equal(due.customers_where(due.values >= day - 2), np.flatnonzero(dense_due >= day - 2))
    assert state.capacity > sparse_state.FIRST_ROWS and state.used == np.unique(state.holders()).size < n
    never = int(np.flatnonzero(dense_due == -32768)[0])
    assert points[int(idx[-1])] == dense_points[idx[-1]] and due[never] == -32768
    assert np.array_equal(due > 3, dense_due > 3)


def test_a_customer_keeps_their_row_and_fields_share_the_slots():
    """Rows are never given back: a member who leaves and comes back finds their state; a field
    added later reads its fill for customers other fields gave rows to."""
    state = SparseState(100)
    points = state.add("points", np.float32, 0.0)
    points[[7, 3]] = [5.0, 2.0]
    assert state.slot[7] == 0 and state.slot[3] == 1 and state.slot[5] == -1
    tier = state.add("tier", np.int8, -1)
    assert tier[[7, 3, 5]].tolist() == [-1, -1, -1] and state.used == 2
    tier[[5]] = 2
    points[[3]] += np.float32(1.0)
    assert points[[7, 3, 5]].tolist() == [5.0, 3.0, 0.0] and tier[[3, 5]].tolist() == [-1, 2]
    assert state.slot[5] == 2 and state.holders().tolist() == [7, 3, 5]


def test_a_policy_adds_sparse_fields_that_describe_a_customer(tmp_path):
    from simlib.rng import Keyed
    from simlib.scenario import load_scenario
    data = load_scenario("baseline").data
    pop = Population(data["market"], data["traits"], 50, Keyed([1], block=50), data["behavior"])
    pop.adding_for = "points"
    points = pop.add_sparse("points__points", np.float32, 0.0)
    points[[4]] = 12.5
    assert pop.customer(4)["points__points"] == 12.5 and pop.customer(5)["points__points"] == 0.0
    assert pop.array_owner["points__points"] == "points"
    with pytest.raises(ValueError, match="already has"):
        pop.add_sparse("points__points", np.float32)


def test_a_run_whose_rows_grow_many_times_gives_the_regression_baseline(monkeypatch):
    """all_levers with the rows starting at 4 (grown dozens of times in the run) matches the golden
    files, written when every field was a full array."""
    monkeypatch.setattr(sparse_state, "FIRST_ROWS", 4)
    golden = Path(__file__).resolve().parent / "golden"
    spec = importlib.util.spec_from_file_location("make_golden", golden / "make_golden.py")
    make_golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_golden)
    grown = []
    original = SparseState._grow
    monkeypatch.setattr(SparseState, "_grow", lambda self, size: (grown.append(size), original(self, size))[1])
    fresh = make_golden.render("all_levers")
    assert len(grown) > 10
    for name, text in fresh.items():
        assert text == (golden / "all_levers" / name).read_text(), name
