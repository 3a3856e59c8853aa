"""Experiment figures draw what the tables say."""
import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from simlib.experiment import plots as pe  # noqa: E402

TABLE = pd.DataFrame({
    "outcome": ["p"] * 3, "direction": ["maximize"] * 3, "arm": ["ref", "a", "b"],
    "mean": [10.0, 12.0, 7.0], "diff": [0.0, 2.0, -3.0], "diff_low": [0.0, 1.0, -5.0],
    "diff_high": [0.0, 3.0, -1.0], "p_better": [np.nan, 0.99, 0.01]})


def test_forest_plot_places_each_arm_at_its_difference():
    fig = pe.forest_plot(TABLE, "p")
    ax = fig.axes[0]
    points = ax.collections[-1].get_offsets()
    assert sorted(points[:, 0].tolist()) == [-3.0, 2.0]  # the reference is not drawn
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any(lab.startswith("a ") for lab in labels) and not any(lab.startswith("ref") for lab in labels)


def test_sensitivity_bars_have_index_lengths_sorted_by_total():
    t = pd.DataFrame({"arm": "x", "outcome": "y", "parameter": ["u", "v"], "label": ["u", "v"],
                      "first": [0.5, 0.1], "total": [0.6, 0.3], "first_low": [0.4, 0.0],
                      "first_high": [0.6, 0.2], "total_low": [0.5, 0.2], "total_high": [0.7, 0.4]})
    fig = pe.sensitivity_bars(t, "y")
    widths = sorted(round(p.get_width(), 6) for p in fig.axes[0].patches)
    assert widths == [0.1, 0.3, 0.5, 0.6]
    assert [lab.get_text() for lab in fig.axes[0].get_yticklabels()] == ["v", "u"]  # largest on top


def test_fan_chart_median_line_per_arm():
    daily = pd.DataFrame({"arm": ["a"] * 6, "replication": [0, 0, 1, 1, 2, 2], "day": [0, 1] * 3,
                          "loyal": [1.0, 2.0, 3.0, 4.0, 5.0, 9.0]})
    fig = pe.fan_chart(daily, "loyal")
    line = fig.axes[0].lines[0]
    assert line.get_ydata().tolist() == [3.0, 4.0]


def test_difference_plot_follows_the_sweep():
    diff = pd.DataFrame({"k": [2.0, 0.0, 1.0], "diff": [3.0, -1.0, 1.0],
                         "diff_low": [2.0, -2.0, 0.0], "diff_high": [4.0, 0.0, 2.0]})
    fig = pe.difference_plot(diff, "k", "profit")
    line = fig.axes[0].lines[0]
    assert line.get_xdata().tolist() == [0.0, 1.0, 2.0] and line.get_ydata().tolist() == [-1.0, 1.0, 3.0]
