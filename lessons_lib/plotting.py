"""Figures for the lessons: contours with optimizer paths, loss curves, heatmaps.

Sized and styled for a projector (large fonts, thick lines). Call
:func:`use_lesson_style` once at the top of a notebook.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from .functions import Objective
from .runner import Trajectory

__all__ = [
    "COLORS",
    "contours",
    "draw_path",
    "heatmap",
    "loss_curves",
    "new_figure",
    "png_bytes",
    "use_lesson_style",
]

#: one colour per optimizer, the same in every lesson (colour-blind safe palette)
COLORS = {
    "gd": "#0072B2",
    "sgd": "#0072B2",
    "momentum": "#D55E00",
    "nesterov": "#009E73",
    "adagrad": "#CC79A7",
    "rmsprop": "#E69F00",
    "adam": "#000000",
    "adamw": "#56B4E9",
}


def use_lesson_style() -> None:
    """Large, projector-friendly defaults; PNG output at a fixed size for stable notebooks."""
    mpl.rcParams.update(
        {
            "figure.figsize": (11, 5.5),
            "figure.dpi": 80,
            "savefig.dpi": 80,
            "font.size": 14,
            "axes.titlesize": 16,
            "axes.labelsize": 15,
            "legend.fontsize": 13,
            "lines.linewidth": 2.5,
            "lines.markersize": 8,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.constrained_layout.use": True,
        }
    )


def contours(
    ax: Axes, objective: Objective, n: int = 160, levels: int = 30, log: bool = True
) -> None:
    """Filled contours of ``objective`` over its bounds, with its minima starred."""
    X, Y, Z = objective.grid(n)
    if log:
        Z = Z - Z.min() + 1e-3  # log scale needs positive values; keep the shape
        lv = np.geomspace(Z.min(), Z.max(), levels)
        ax.contourf(X, Y, Z, levels=lv, norm=LogNorm(), cmap="Blues_r", alpha=0.75)
        ax.contour(X, Y, Z, levels=lv, norm=LogNorm(), colors="k", linewidths=0.4, alpha=0.4)
    else:
        ax.contourf(X, Y, Z, levels=levels, cmap="Blues_r", alpha=0.75)
        ax.contour(X, Y, Z, levels=levels, colors="k", linewidths=0.4, alpha=0.4)
    mins = np.array(objective.minima)
    ax.plot(
        mins[:, 0],
        mins[:, 1],
        "*",
        color="gold",
        markeredgecolor="k",
        markersize=18,
        zorder=5,
        label="minimum" if len(mins) == 1 else "minima",
    )
    (x0, x1), (y0, y1) = objective.bounds
    ax.set(xlim=(x0, x1), ylim=(y0, y1), xlabel="$x$", ylabel="$y$")
    ax.grid(False)


def draw_path(
    ax: Axes, traj: Trajectory, label: str, color: str | None = None, marker: str = "o"
) -> None:
    """One run's path (``traj`` of a single start); a diverged run is labelled so."""
    pts = traj.points
    if pts.ndim != 2:
        raise ValueError("draw_path draws one run; index a batch first, e.g. points[:, i]")
    k = int(traj.diverged_at)
    if k >= 0:
        label = f"{label}: diverged at step {k}"
    (line,) = ax.plot(
        pts[:, 0], pts[:, 1], "-", marker=marker, markersize=3, color=color, label=label, alpha=0.9
    )
    ax.plot(*pts[0], "o", color=line.get_color(), markersize=10, markeredgecolor="k")
    last = pts[~np.isnan(pts[:, 0])][-1]
    ax.plot(
        *last, "X" if k >= 0 else "s", color=line.get_color(), markersize=12, markeredgecolor="k"
    )


def loss_curves(
    ax: Axes,
    runs: Mapping[str, Trajectory],
    colors: Mapping[str, str] | None = None,
    log: bool = True,
) -> None:
    """Loss against step for several single runs; diverged runs end with an X."""
    for name, traj in runs.items():
        color = (colors or {}).get(name)
        (line,) = ax.plot(traj.losses, label=name, color=color)
        if int(traj.diverged_at) >= 0:
            k = int(traj.diverged_at) - 1
            ax.plot(k, traj.losses[k], "X", color=line.get_color(), markersize=12)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="loss")
    ax.legend()


def heatmap(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    xlabel: str,
    ylabel: str,
    cbar_label: str,
    log_x: bool = False,
    fig: Figure | None = None,
    cmap: str = "viridis",
) -> None:
    """``z[i, j]`` at ``(x[j], y[i])`` as a colour map; NaN (diverged) cells drawn grey."""
    mesh = ax.pcolormesh(x, y, np.ma.masked_invalid(z), cmap=cmap, shading="nearest")
    ax.set_facecolor("0.6")
    if log_x:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel)
    (fig or ax.figure).colorbar(mesh, ax=ax, label=cbar_label)


def png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG the way the notebook does (used by the speed benchmarks)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def new_figure(
    ncols: int = 1, figsize: tuple[float, float] | None = None
) -> tuple[Figure, np.ndarray]:
    """A figure not registered with pyplot (so it is never shown twice) and its axes."""
    fig = Figure(
        figsize=figsize or mpl.rcParams["figure.figsize"],
        dpi=mpl.rcParams["figure.dpi"],
        layout="constrained",
    )
    axes = np.atleast_1d(fig.subplots(1, ncols))
    return fig, axes
