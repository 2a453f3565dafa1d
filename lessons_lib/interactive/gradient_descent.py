r"""Figures for lesson 01, gradient descent :math:`w \leftarrow w - \eta \nabla f(w)`.

Interactive (see ``INTERACTIVE``): ``lr_figure`` (one learning rate on an elongated bowl),
``contraction_figure`` (why :math:`\eta < 2/L`: the factor :math:`|1-\eta\lambda|` per
direction) and ``sgd_figure`` (full-batch and minibatch paths on a small linear regression).
Static: ``intuition_figure``, ``regimes_figure``, ``condition_figure``, ``data_figure``.
The interactive ones draw their data on cached frames (see ``frames``) to stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..functions import Objective, quadratic
from ..optimizers import SGD
from ..plotting import COLORS, draw_path, use_lesson_style
from ..runner import Trajectory, far_limit, run
from ..theory import gd_optimal_lr, gd_optimal_rate, gd_rate, steps_to_tolerance
from ..widgets import choice, int_slider, log_slider, slider
from .frames import (
    STEP_RANGES,
    LessonFigure,
    background,
    frame_landscape,
    frame_legend,
    frame_losses,
    framed,
    handle,
    lesson_figure,
    loss_lines,
    marker_handle,
    nice_limit,
    note,
    path_handles,
    shade,
    star_handle,
    title,
)

__all__ = [
    "INTERACTIVE",
    "condition_figure",
    "contraction_controls",
    "contraction_figure",
    "data_figure",
    "intuition_figure",
    "lr_controls",
    "lr_figure",
    "lr_regime",
    "minibatch_sgd",
    "regimes_figure",
    "regression_data",
    "regression_objective",
    "sgd_controls",
    "sgd_figure",
]

MINIBATCH_COLOR = "#56B4E9"  # a lighter blue: the same method, noisier gradients
BOWL = quadratic(10.0)  # every bowl quadratic(kappa) has these plot bounds


# --------------------------------------------------------------------------- the bowl
def lr_regime(learning_rate: float, mu: float, L: float) -> str:
    """A name for a learning rate on a quadratic with curvatures in ``[mu, L]``."""
    r = learning_rate * L
    if r > 2:
        return "too large: diverges (η > 2/L)"
    if r > 1:
        return "large: zig-zags across the valley"
    if r < 0.1:
        return "too small: crawls"
    return "fine: a smooth slide down"


def _bowl(kappa: float) -> Objective:
    return quadratic(float(kappa))


def _lr_frame(xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.7, 1))
    frame_landscape(ax, BOWL)
    frame_losses(ax2, xmax)
    frame_legend(fig, [star_handle(), *path_handles(("gradient descent", COLORS["gd"]))])
    return fig, (ax, ax2)


def lr_figure(
    learning_rate: float = 0.3,
    steps: int = 30,
    start_x: float = -9.0,
    start_y: float = 2.5,
    kappa: float = 10.0,
) -> Figure:
    """Gradient descent on the bowl ``quadratic(kappa)`` (L = 1): the path and the loss."""
    obj = _bowl(kappa)
    mu, L = obj.notes["eigenvalues"]
    traj = run(SGD(learning_rate), obj, start=(start_x, start_y), steps=int(steps))
    xmax = nice_limit(steps, STEP_RANGES)
    fig, (ax, ax2) = framed("lr", _lr_frame, (xmax,), [(x,) for x in STEP_RANGES])
    shade(ax, obj, ("quadratic", float(kappa)))
    draw_path(ax, traj, "gradient descent", color=COLORS["gd"])
    title(ax, f"η = {learning_rate:.3g}, κ = {kappa:.3g}: {lr_regime(learning_rate, mu, L)}")
    note(ax2, loss_lines(ax2, [("gradient descent", traj, COLORS["gd"])]))
    title(ax2, f"per step: x × {1 - learning_rate * mu:+.2f}, y × {1 - learning_rate * L:+.2f}")
    return fig


def lr_controls() -> dict[str, Any]:
    return {
        "learning_rate": log_slider("learning rate η", 0.3, 1e-3, 10**0.5),
        "steps": int_slider("steps", 30, 1, 200),
        "start_x": slider("start x", -9.0, -10.0, 10.0, 0.5),
        "start_y": slider("start y", 2.5, -4.0, 4.0, 0.25),
        "kappa": log_slider("condition number κ", 10.0, 1.0, 100.0),
    }


def _contraction_frame(top: float):
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.6))
    ax.axvspan(2.0, top, color="#D55E00", alpha=0.12)
    ax.axhline(1.0, color="0.3", linestyle=":")
    for x, text in [(1.0, "1/L"), (2.0, "2/L\nlimit")]:
        ax.axvline(x, color="0.4", linestyle="--", linewidth=1.2)
        ax.text(x, 1.62, text, ha="center", va="top", fontsize=12)
    ax.set(
        xlim=(0, top),
        ylim=(0, 1.75),
        xlabel="learning rate η (L = 1)",
        ylabel="shrink factor per step",
    )
    frame_legend(
        fig,
        [
            handle("flat |1 − ημ|", "#009E73"),
            handle("steep |1 − ηL|", "#CC79A7"),
            handle("rate: the worse", "k", linewidth=4, alpha=0.5),
            handle("best η = 2/(L+μ)", "0.4", linestyle="--", linewidth=1.2),
            marker_handle("your η", COLORS["gd"], "o", 12),
        ],
        bottom=0.2,
    )
    return fig, (ax,)


def contraction_figure(kappa: float = 10.0, learning_rate: float = 0.3) -> Figure:
    r"""The factor :math:`|1-\eta\lambda|` for the flattest and the steepest direction
    against :math:`\eta`; the worse of the two is gradient descent's rate."""
    mu, L = 1.0 / float(kappa), 1.0
    top = nice_limit(1.1 * learning_rate, (2.5, 3.5))
    fig, (ax,) = framed("contraction", _contraction_frame, (top,), [(2.5,), (3.5,)])
    eta = np.linspace(0.0, top, 200)
    ax.plot(eta, np.abs(1 - eta * mu), color="#009E73")
    ax.plot(eta, np.abs(1 - eta * L), color="#CC79A7")
    ax.plot(
        eta,
        np.maximum(np.abs(1 - eta * mu), np.abs(1 - eta * L)),
        color="k",
        linewidth=4,
        alpha=0.5,
    )
    ax.axvline(gd_optimal_lr(mu, L), color="0.4", linestyle="--", linewidth=1.2)
    rate = float(gd_rate(learning_rate, [mu, L]))
    ax.plot(
        learning_rate,
        min(rate, 1.75),
        "o",
        color=COLORS["gd"],
        markersize=14,
        markeredgecolor="k",
        zorder=6,
        clip_on=False,
    )
    steps = steps_to_tolerance(rate, 1e-6)
    verdict = (
        "diverges" if rate >= 1 else f"error × {rate:.3f} per step, ~{steps:.0f} steps to 1e-6"
    )
    title(ax, f"κ = {kappa:.3g}, η = {learning_rate:.3g}: {verdict}")
    return fig


def contraction_controls() -> dict[str, Any]:
    return {
        "kappa": log_slider("condition number κ", 10.0, 1.0, 100.0),
        "learning_rate": log_slider("learning rate η", 0.3, 1e-2, 10**0.5),
    }


# --------------------------------------------------------------------------- minibatches
def regression_data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded points on the line y = 1.2 x - 0.5 with Gaussian noise (std 0.4), x in [0, 3]."""
    if int(n) < 2:
        raise ValueError(f"n (number of points) must be >= 2, got {n!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 3.0, int(n))
    return x, 1.2 * x - 0.5 + rng.normal(0.0, 0.4, int(n))


def _batch_grad(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = w[..., :1] * x + w[..., 1:] - y
    return np.stack([np.mean(r * x, axis=-1), np.mean(r, axis=-1)], axis=-1)


def regression_objective(x: np.ndarray, y: np.ndarray) -> Objective:
    r"""Mean squared error :math:`f(a, b) = \frac{1}{2n}\sum_i (a x_i + b - y_i)^2` over the
    slope ``a`` and intercept ``b`` (full batch), minimum at the least-squares line."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    a, b = np.polyfit(x, y, 1)

    def f(p: np.ndarray) -> np.ndarray:
        return 0.5 * np.mean((p[..., :1] * x + p[..., 1:] - y) ** 2, axis=-1)

    return Objective(
        "linear regression",
        f,
        lambda p: _batch_grad(p, x, y),
        minima=((float(a), float(b)),),
        start=(-0.6, 2.2),
        bounds=((a - 2.0, a + 1.6), (b - 2.0, b + 3.0)),
        formula=r"$f(a,b) = \frac{1}{2n}\sum_i (a x_i + b - y_i)^2$",
    )


def minibatch_sgd(
    x: np.ndarray,
    y: np.ndarray,
    learning_rate: float,
    batch_size: int,
    epochs: int,
    start: Sequence[float] = (-0.6, 2.2),
    seed: int = 0,
) -> Trajectory:
    r"""SGD on :func:`regression_objective`: each epoch visits the points in a new seeded
    order, ``batch_size`` at a time (the last batch may be smaller), and steps
    :math:`w \leftarrow w - \eta\, g_B(w)` with the batch gradient
    :math:`g_B = \big(a\,\overline{x^2} + b\,\bar x - \overline{xy},\;
    a\,\bar x + b - \bar y\big)` (bars: means over the batch). The batch means are computed
    up front, so a thousand steps take about a millisecond. Losses are full-data losses; a
    run that leaves the plot far behind stops as diverged."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n, size, epochs = len(x), int(batch_size), int(epochs)
    if not 1 <= size <= n:
        raise ValueError(f"batch_size must be between 1 and {n} (the number of points)")
    obj = regression_objective(x, y)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(n) for _ in range(epochs)]).astype(int)
    starts = np.array([e * n + i for e in range(epochs) for i in range(0, n, size)], dtype=int)
    counts = np.diff(np.append(starts, epochs * n))
    xs, ys = x[order], y[order]
    mx, mxx, mxy, my = (np.add.reduceat(v, starts) / counts for v in (xs, xs * xs, xs * ys, ys))
    (x0, x1), (y0, y1) = obj.bounds
    cx, cy, limit = (x0 + x1) / 2, (y0 + y1) / 2, far_limit(obj)
    lr = float(learning_rate)
    points = np.full((len(starts) + 1, 2), np.nan)
    a, b = (float(v) for v in start)
    points[0] = a, b
    diverged = -1
    batches = zip(mx.tolist(), mxx.tolist(), mxy.tolist(), my.tolist(), strict=True)
    for k, (sx, sxx, sxy, sy) in enumerate(batches, start=1):
        a, b = a - lr * (a * sxx + b * sx - sxy), b - lr * (a * sx + b - sy)
        if not (abs(a - cx) <= limit and abs(b - cy) <= limit):  # also catches NaN
            diverged = k
            break
        points[k] = a, b
    with np.errstate(all="ignore"):
        losses = obj(points)
    return Trajectory(points, losses, np.array(diverged))


_DATA = regression_data()
_DATA_OBJECTIVE = regression_objective(*_DATA)


def _sgd_frame(xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.1, 1))
    frame_landscape(ax, _DATA_OBJECTIVE, aspect="auto")
    ax.set(xlabel="slope a", ylabel="intercept b")
    frame_losses(
        ax2, xmax, ylim=(1e-6, 1e3), ylabel="f(w) − f(w*)", xlabel="epochs (passes over the data)"
    )
    frame_legend(
        fig,
        [
            star_handle("least squares"),
            *path_handles(("minibatch SGD", MINIBATCH_COLOR), ("full batch", COLORS["gd"])),
        ],
    )
    return fig, (ax, ax2)


def sgd_figure(
    learning_rate: float = 0.1, batch_size: int = 4, epochs: int = 10, seed: int = 0
) -> Figure:
    """Full-batch gradient descent and minibatch SGD on the same data, same learning rate:
    paths over the loss contours, and the excess loss per epoch."""
    x, y = _DATA
    obj = _DATA_OBJECTIVE
    best = obj(np.array(obj.minima[0]))
    full = run(SGD(learning_rate), obj, steps=int(epochs))
    mini = minibatch_sgd(x, y, learning_rate, int(batch_size), int(epochs), obj.start, seed)
    per_epoch = -(-len(x) // int(batch_size))
    xmax = nice_limit(epochs, (5, 10, 20))
    fig, (ax, ax2) = framed("sgd", _sgd_frame, (xmax,), [(5,), (10,), (20,)])
    shade(ax, obj, ("regression", len(x)))
    draw_path(ax, mini, "minibatch", color=MINIBATCH_COLOR, marker=".")
    draw_path(ax, full, "full batch", color=COLORS["gd"])
    title(
        ax,
        f"η = {learning_rate:.3g}, batches of {int(batch_size)}: {per_epoch * int(epochs)} steps",
    )
    excess = [Trajectory(t.points, t.losses - best, t.diverged_at) for t in (mini, full)]
    notes = loss_lines(
        ax2,
        [("minibatch", excess[0], MINIBATCH_COLOR), ("full batch", excess[1], COLORS["gd"])],
        x=[np.arange(len(excess[0].losses)) / per_epoch, np.arange(int(epochs) + 1)],
    )
    note(ax2, notes)
    title(ax2, f"{len(x)} points, {per_epoch} steps per epoch")
    return fig


def sgd_controls() -> dict[str, Any]:
    return {
        "learning_rate": log_slider("learning rate η", 0.1, 1e-3, 1.0),
        "batch_size": choice("batch size", [1, 2, 4, 8, 20, 40], 4),
        "epochs": int_slider("epochs", 10, 1, 20),
        "seed": int_slider("shuffle seed", 0, 0, 9),
    }


INTERACTIVE = [
    (lr_figure, lr_controls),
    (contraction_figure, contraction_controls),
    (sgd_figure, sgd_controls),
]


# --------------------------------------------------------------------------- static figures
def intuition_figure(learning_rate: float = 0.3, start: float = -2.6, steps: int = 6) -> Figure:
    """Gradient descent on :math:`f(w) = w^2/2` in one dimension: each step goes downhill by
    :math:`\\eta` times the slope."""
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 4.6))
    w = np.linspace(-3, 3, 200)
    ax.plot(w, w**2 / 2, color="0.3")
    pts = [start]
    for _ in range(steps):
        pts.append(pts[-1] - learning_rate * pts[-1])
    pts = np.array(pts)
    for a, b in zip(pts[:-1], pts[1:], strict=True):
        ax.annotate(
            "",
            xy=(b, b * b / 2),
            xytext=(a, a * a / 2),
            arrowprops={"arrowstyle": "->", "color": COLORS["gd"], "lw": 2.5},
        )
    ax.plot(pts, pts**2 / 2, "o", color=COLORS["gd"], markersize=10, markeredgecolor="k")
    a = pts[0]
    ax.plot(
        [a - 0.6, a + 0.6],
        [a * a / 2 - 0.6 * a, a * a / 2 + 0.6 * a],
        color="#D55E00",
        label=f"slope $f'(w_0) = {a:.1f}$",
    )
    ax.set(xlabel="parameter $w$", ylabel="loss $f(w) = w^2/2$", ylim=(-0.2, 4.6))
    title(ax, f"η = {learning_rate}: each step moves $-η f'(w)$, shorter as the slope flattens")
    ax.legend(loc="upper center")
    return fig


def regimes_figure(kappa: float = 10.0, steps: int = 25) -> Figure:
    """Four learning rates on the same bowl: too small, fine, large, too large."""
    obj = _bowl(kappa)
    mu, L = obj.notes["eigenvalues"]
    fig, axes = lesson_figure(2, figsize=(12.0, 6.6), nrows=2)
    for ax, lr in zip(axes.ravel(), (0.05, 0.9, 1.9, 2.05), strict=True):
        traj = run(SGD(lr), obj, steps=steps)
        background(ax, obj, ("quadratic", float(kappa)))
        draw_path(ax, traj, f"η = {lr}", color=COLORS["gd"])
        title(ax, f"η = {lr}: {lr_regime(lr, mu, L)}", fontsize=14)
        ax.set(xlabel="", ylabel="")
        ax.legend(loc="lower right", fontsize=11)
    fig.subplots_adjust(left=0.04, right=0.99, top=0.93, bottom=0.04, hspace=0.3, wspace=0.08)
    return fig


def condition_figure(kappas: Sequence[float] = (1.5, 3, 10, 30, 100)) -> Figure:
    """At its best learning rate, gradient descent needs about :math:`\\kappa/2 \\ln(1/tol)`
    steps: paths for a round and an elongated bowl, and steps against the condition number."""
    use_lesson_style()
    fig = LessonFigure(figsize=(12.0, 6.0), dpi=80, layout="none")
    panels = fig.subplot_mosaic([["round", "steps"], ["narrow", "steps"]], width_ratios=(1.45, 1))
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.1, top=0.93, wspace=0.2, hspace=0.35)
    tol = 1e-6
    for ax, kappa in zip((panels["round"], panels["narrow"]), (2.0, 25.0), strict=True):
        obj = _bowl(kappa)
        traj = run(SGD(gd_optimal_lr(*obj.notes["eigenvalues"])), obj, steps=60)
        background(ax, obj, ("quadratic", kappa))
        draw_path(ax, traj, "η = 2/(L+μ)", color=COLORS["gd"])
        title(ax, f"κ = {kappa:g}: best η = {gd_optimal_lr(*obj.notes['eigenvalues']):.2f}")
        ax.set(xlabel="")
    measured = []
    for kappa in kappas:
        obj = _bowl(kappa)
        predicted = steps_to_tolerance(gd_optimal_rate(kappa), tol)
        traj = run(SGD(gd_optimal_lr(*obj.notes["eigenvalues"])), obj, steps=int(1.5 * predicted))
        dist = np.linalg.norm(traj.points, axis=-1)
        measured.append(int(np.argmax(dist <= tol * dist[0])))
    grid = np.geomspace(min(kappas), max(kappas), 50)
    ax = panels["steps"]
    ax.loglog(
        grid,
        steps_to_tolerance(gd_optimal_rate(grid), tol),
        color="0.3",
        label="theory $\\ln(tol)/\\ln\\frac{κ-1}{κ+1}$",
    )
    ax.loglog(kappas, measured, "o", color=COLORS["gd"], markersize=10, label="measured")
    ax.set(xlabel="condition number κ", ylabel="steps to shrink error 1e6×")
    ax.legend(loc="upper left", fontsize=12)
    return fig


def data_figure(x: np.ndarray, y: np.ndarray) -> Figure:
    """The regression data with its least-squares line."""
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 4.4))
    a, b = np.polyfit(x, y, 1)
    ax.plot(x, y, "o", color="0.35", markersize=8, label=f"{len(x)} data points")
    grid = np.array([0.0, 3.0])
    ax.plot(grid, a * grid + b, color=COLORS["gd"], label=f"best line: y = {a:.2f} x {b:+.2f}")
    ax.set(xlabel="$x$", ylabel="$y$")
    ax.legend(loc="upper left")
    return fig
