"""Figures for calibration: the model's predictions beside the data it was fitted to."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt


def plot_weekly_tracking(weekly, ax=None):
    """Cumulative repeat purchases by week: actual, model, and the conditional forecast."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    ax.plot(weekly["week"], weekly["actual_cumulative"], color="black", label="actual")
    ax.plot(weekly["week"], weekly["predicted_cumulative"], color="tab:blue", ls="--", label="model (from first purchase)")
    if "predicted_conditional" in weekly:
        ax.plot(weekly["week"], weekly["predicted_conditional"], color="tab:orange", ls=":",
                label="forecast given calibration history")
        hold = weekly[weekly["period"] == "holdout"]
        if len(hold):
            ax.axvline(hold["week"].iloc[0] - 0.5, color="grey", lw=0.8)
            ax.text(hold["week"].iloc[0], ax.get_ylim()[0], " holdout", va="bottom", color="grey")
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Repeat purchases: actual vs fitted model")
    ax.legend(frameon=False)
    return ax


def plot_by_frequency(by_freq, ax=None):
    """Holdout purchases per customer, grouped by calibration-period frequency."""
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    pos = range(len(by_freq))
    ax.plot(pos, by_freq["actual"], marker="o", color="black", label="actual")
    ax.plot(pos, by_freq["predicted"], marker="s", color="tab:blue", ls="--", label="predicted")
    ax.set_xticks(list(pos), by_freq["frequency"])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("holdout purchases per customer")
    ax.set_title("Holdout: conditional expectations")
    ax.legend(frameon=False)
    return ax


def plot_funnel_fit(observed, fitted, columns):
    """One small panel per column: observed share per period (points), fitted engine (line).

    Each panel has its own scale, so small stages (dormant, lost) are as readable as large ones.
    Returns the figure.
    """
    cols = min(4, len(columns))
    rows = -(-len(columns) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), squeeze=False, sharex=True)
    for ax, column in zip(axes.ravel(), columns):
        ax.plot(observed["period"], observed[column] * 100, "o", ms=3, color="black", label="observed")
        ax.plot(fitted["period"], fitted[column] * 100, "-", color="tab:blue", label="fitted engine")
        ax.set_title(column, fontsize="medium")
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of market")
    for ax in axes[-1, :]:
        ax.set_xlabel("period")
    axes[0, 0].legend(frameon=False, fontsize="small")
    fig.suptitle("Funnel: observed counts vs the fitted engine")
    fig.tight_layout()
    return fig


def plot_process_comparison(comparison):
    """Every candidate process beside the actuals: holdout purchases per customer by
    calibration frequency (left, when there is a holdout) and weekly cumulative repeat
    purchases (right; the holdout weeks are each model's forecast given the calibration)."""
    by_freq, weekly = comparison["by_frequency"], comparison["weekly"]
    panels = 2 if by_freq is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 4.2), squeeze=False)
    names = list(comparison["summary"]["process"])
    chosen = comparison["summary"].set_index("process")["chosen"]
    ax = axes[0, -1]
    first = weekly[weekly["process"] == names[0]]
    ax.plot(first["week"], first["actual_cumulative"], color="black", lw=2, label="actual")
    for name in names:
        w = weekly[weekly["process"] == name]
        curve = w["predicted_conditional"].fillna(w["predicted_cumulative"]) if "predicted_conditional" in w else \
            w["predicted_cumulative"]
        ax.plot(w["week"], curve, lw=2 if chosen[name] else 1, ls="-" if chosen[name] else "--", label=name)
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat purchases")
    ax.set_title("Weekly cumulative: actual vs each process")
    ax.legend(frameon=False, fontsize="small")
    if by_freq is not None:
        ax = axes[0, 0]
        one = by_freq[by_freq["process"] == names[0]]
        pos = range(len(one))
        ax.plot(pos, one["actual"], marker="o", color="black", lw=2, label="actual")
        for name in names:
            g = by_freq[by_freq["process"] == name]
            ax.plot(pos, g["predicted"], marker=".", lw=2 if chosen[name] else 1,
                    ls="-" if chosen[name] else "--", label=name)
        ax.set_xticks(list(pos), one["frequency"])
        ax.set_xlabel("repeat purchases in the calibration period")
        ax.set_ylabel("holdout purchases per customer")
        ax.set_title("Holdout by calibration frequency")
    fig.tight_layout()
    return fig


def _save(fig, path: Path) -> Path:
    from simlib.fileio import replacing
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def save_transaction_plots(calibration, out) -> list[Path]:
    out = Path(out)
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_weekly_tracking(calibration.weekly, ax)
    fig.tight_layout()
    paths = [_save(fig, out / "weekly_tracking.png")]
    if calibration.by_frequency is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_by_frequency(calibration.by_frequency, ax)
        fig.tight_layout()
        paths.append(_save(fig, out / "holdout_by_frequency.png"))
    if calibration.comparison is not None:
        paths.append(_save(plot_process_comparison(calibration.comparison), out / "process_comparison.png"))
    return paths


def save_funnel_plot(observed, fitted, columns, out) -> Path:
    return _save(plot_funnel_fit(observed, fitted, columns), Path(out) / "funnel_fit.png")
