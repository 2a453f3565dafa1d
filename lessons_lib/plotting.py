"""Figures for the lessons: contours with optimizer paths and loss curves.

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
from matplotlib.lines import Line2D

from .functions import Objective
from .runner import Trajectory

__all__ = [
    "COLORS",
    "contours",
    "draw_path",
    "loss_curves",
    "loss_line",
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


def loss_line(
    ax: Axes,
    losses: np.ndarray,
    diverged_at: int = -1,
    *,
    x: np.ndarray | None = None,
    color: str | None = None,
    label: str | None = None,
    style: str = "-",
    floor: float | None = None,
) -> Line2D:
    """One run's loss curve, ``losses[t]`` at step ``x[t]`` (default ``t``), drawn at least at
    ``floor`` (if given: a log axis cannot show 0). A run that diverged at step k
    (``diverged_at`` >= 0; its losses from k on are NaN) ends with an X on its last finite
    loss; on axes with fixed limits the X stays at the top edge instead of leaving the plot.

    The one drawer of a loss curve with a divergence mark: the lesson figures, the frames'
    :func:`lessons_lib.interactive.frames.loss_lines` and :func:`loss_curves` use it."""
    steps = np.arange(len(losses)) if x is None else np.asarray(x)
    shown = np.asarray(losses, dtype=float)
    if floor is not None:
        with np.errstate(invalid="ignore"):
            shown = np.maximum(shown, floor)
    (line,) = ax.plot(steps, shown, style, color=color, label=label)
    k = int(diverged_at)
    if k >= 0:
        top = np.inf if ax.get_autoscaley_on() else ax.get_ylim()[1]
        ax.plot(
            steps[k - 1],
            min(shown[k - 1], top),
            "X",
            color=line.get_color(),
            markersize=14,
            markeredgecolor="k",
            zorder=5,
            clip_on=False,
        )
    return line


def loss_curves(
    ax: Axes,
    runs: Mapping[str, Trajectory],
    colors: Mapping[str, str] | None = None,
    log: bool = True,
) -> None:
    """Loss against step for several single runs; diverged runs end with an X."""
    for name, traj in runs.items():
        loss_line(ax, traj.losses, traj.diverged_at, color=(colors or {}).get(name), label=name)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="loss")
    ax.legend()


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
