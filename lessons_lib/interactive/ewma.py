r"""Figures for lesson 02, the exponentially weighted moving average (EWMA)
:math:`m_t = \beta m_{t-1} + (1-\beta) x_t` and its bias correction :math:`m_t/(1-\beta^t)`.

Interactive (see ``INTERACTIVE``): ``ewma_figure`` (a noisy series averaged with and
without bias correction, and the weights the last average gives to each point).
Static: ``weights_figure`` (the window of about :math:`1/(1-\beta)` steps) and
``bias_figure`` (how fast :math:`1-\beta^t` reaches 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..ewma import bias_correction, effective_window, ewma, ewma_weights
from ..plotting import COLORS
from ..widgets import int_slider, slider
from .frames import frame_legend, framed, handle, lesson_figure, log_yaxis, nice_limit, title

__all__ = [
    "INTERACTIVE",
    "bias_figure",
    "ewma_controls",
    "ewma_figure",
    "noisy_series",
    "signal",
    "weights_figure",
]

RAW_COLOR = "0.55"
PLAIN_COLOR = "#D55E00"  # the uncorrected average
CORRECTED_COLOR = COLORS["gd"]  # the bias-corrected average
MAX_POINTS = 300


def signal(t: np.ndarray) -> np.ndarray:
    """The smooth curve under the noise: a slow wave around 20 (far from 0 on purpose)."""
    return 20.0 + 6.0 * np.sin(2 * np.pi * np.asarray(t, dtype=float) / 120.0)


def noisy_series(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Steps ``t = 1..n`` and seeded noisy readings ``signal(t) + N(0, 3^2)``."""
    if int(n) < 1:
        raise ValueError(f"n (number of points) must be >= 1, got {n!r}")
    t = np.arange(1, int(n) + 1)
    return t, signal(t) + np.random.default_rng(seed).normal(0.0, 3.0, int(n))


_T, _X = noisy_series(MAX_POINTS)


def _ewma_frame(xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.6, 1))
    ax.set(xlim=(0, xmax + 0.5), ylim=(-2, 34), xlabel="step t", ylabel="value")
    log_yaxis(ax2)
    ax2.set(
        xlim=(0.5, xmax + 0.5),
        ylim=(1e-4, 2.0),
        xlabel="reading i",
        ylabel="weight in m_t (log scale)",
    )
    frame_legend(
        fig,
        [
            handle("readings x_t", RAW_COLOR, linestyle="", marker="o", markersize=6),
            handle("true signal", "0.25", linestyle="--", linewidth=1.5),
            handle("EWMA m_t", PLAIN_COLOR),
            handle("corrected m_t / (1 − β^t)", CORRECTED_COLOR),
            handle("weights", PLAIN_COLOR, linewidth=8, alpha=0.8),
            handle("last 1/(1−β) steps", CORRECTED_COLOR, linewidth=8, alpha=0.15),
        ],
    )
    return fig, (ax, ax2)


def ewma_figure(beta: float = 0.9, n_points: int = 60) -> Figure:
    """The first ``n_points`` readings with their EWMA, plain and bias-corrected (left),
    and the weight the last average gives to each reading (right, log scale)."""
    n = int(n_points)
    t, x = _T[:n], _X[:n]
    plain, corrected = ewma(x, beta), ewma(x, beta, bias_correction=True)
    ranges = (20, 50, 100, MAX_POINTS)
    xmax = nice_limit(n, ranges)
    fig, (ax, ax2) = framed("ewma", _ewma_frame, (xmax,), [(x,) for x in ranges])
    ax.plot(t, x, "o", color=RAW_COLOR, markersize=5)
    ax.plot(t, signal(t), "--", color="0.25", linewidth=1.5)
    ax.plot(t, plain, color=PLAIN_COLOR)
    ax.plot(t, corrected, color=CORRECTED_COLOR)
    title(ax, f"β = {beta:.3g}: first average m_1 = {plain[0]:.1f}, corrected {corrected[0]:.1f}")
    window = float(effective_window(beta))
    ax2.axvspan(max(n - window, 0.5), n + 0.5, color=CORRECTED_COLOR, alpha=0.15)
    ax2.stairs(
        np.maximum(ewma_weights(beta, n), 1e-12),
        np.arange(n + 1) + 0.5,
        fill=True,
        baseline=1e-12,
        color=PLAIN_COLOR,
        alpha=0.8,
    )
    title(ax2, f"weights sum to 1 − β^t = {float(bias_correction(beta, n)):.3f}")
    return fig


def ewma_controls() -> dict[str, Any]:
    return {
        "beta": slider("β (beta)", 0.9, 0.0, 0.99, 0.01),
        "n_points": int_slider("number of points", 60, 1, MAX_POINTS),
    }


INTERACTIVE = [(ewma_figure, ewma_controls)]


def weights_figure(betas: Sequence[float] = (0.5, 0.9, 0.98), t: int = 100) -> Figure:
    """The weights :math:`(1-\\beta)\\beta^{t-i}` for several betas, each with its window."""
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 4.6))
    colors = ("#CC79A7", PLAIN_COLOR, CORRECTED_COLOR)
    ago = np.arange(t)  # how many steps ago: t - i
    for beta, color in zip(betas, colors, strict=False):
        w = ewma_weights(beta, t)[::-1]
        window = float(effective_window(beta))
        ax.plot(ago, w, color=color, label=f"β = {beta}: window ≈ {window:.0f} steps")
        ax.axvline(window, color=color, linestyle="--", linewidth=1.5)
    ax.set(xlim=(-1, t), xlabel="steps ago (t − i)", ylabel="weight (1−β) β^(t−i)")
    ax.legend(loc="upper right")
    title(ax, "the weights decay by β per step; at 1/(1−β) steps ago they are down to ~1/e")
    return fig


def bias_figure(betas: Sequence[float] = (0.5, 0.9, 0.99, 0.999), steps: int = 3000) -> Figure:
    """The total weight :math:`1-\\beta^t` against t: the plain average is this fraction of
    the data's level, until t is several windows long."""
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 4.6))
    t = np.arange(1, steps + 1)
    colors = ("#CC79A7", PLAIN_COLOR, CORRECTED_COLOR, "#009E73")
    for beta, color in zip(betas, colors, strict=False):
        ax.plot(t, bias_correction(beta, t), color=color, label=f"β = {beta}")
    ax.set_xscale("log")
    ax.set(ylim=(0, 1.05), xlabel="step t (log scale)", ylabel="1 − β^t")
    ax.legend(loc="upper left")
    title(ax, "how much of the level a plain EWMA shows at step t")
    return fig
