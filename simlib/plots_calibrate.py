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


def plot_funnel_fit(observed, fitted, stages, ax=None):
    """Observed stage shares (points) and the fitted engine's mean (lines) per period."""
    ax = ax or plt.subplots(figsize=(7, 4))[1]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, stage in enumerate(stages):
        c = colors[i % len(colors)]
        ax.plot(observed["period"], observed[stage], "o", ms=3, color=c)
        ax.plot(fitted["period"], fitted[stage], "-", color=c, label=stage)
    ax.set_xlabel("period")
    ax.set_ylabel("share of the market")
    ax.set_title("Funnel: observed (points) vs fitted engine (lines)")
    ax.legend(frameon=False, fontsize="small", ncol=2)
    return ax


def save_transaction_plots(calibration, out) -> list[Path]:
    out = Path(out)
    paths = []
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_weekly_tracking(calibration.weekly, ax)
    fig.tight_layout()
    fig.savefig(out / "weekly_tracking.png", dpi=110)
    plt.close(fig)
    paths.append(out / "weekly_tracking.png")
    if calibration.by_frequency is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        plot_by_frequency(calibration.by_frequency, ax)
        fig.tight_layout()
        fig.savefig(out / "holdout_by_frequency.png", dpi=110)
        plt.close(fig)
        paths.append(out / "holdout_by_frequency.png")
    return paths


def save_funnel_plot(observed, fitted, stages, out) -> Path:
    out = Path(out)
    fig, ax = plt.subplots(figsize=(7, 4))
    plot_funnel_fit(observed, fitted, stages, ax)
    fig.tight_layout()
    fig.savefig(out / "funnel_fit.png", dpi=110)
    plt.close(fig)
    return out / "funnel_fit.png"
