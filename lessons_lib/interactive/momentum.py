r"""Figures for lesson 03, momentum.

Two ways to write the same method (:mod:`lessons_lib.optimizers`), in the course notation:

* EWMA form: :math:`m \leftarrow \beta m + (1-\beta) g,\; w \leftarrow w - \tilde\eta m`
* classical form (heavy ball, Keras ``SGD(momentum=beta)``):
  :math:`v \leftarrow \beta v - \eta g,\; w \leftarrow w + v`,
  the same iterates when :math:`\eta = \tilde\eta(1-\beta)`.

Interactive (see ``INTERACTIVE``): ``valley_figure`` (gradient descent and momentum on an
elongated bowl, EWMA form), ``damping_figure`` (one direction of the bowl: the roots of the
iteration and damping) and ``sweep_figure`` (a vectorized run over a grid of learning rates
and momenta, with the theory of :mod:`lessons_lib.theory` drawn over it).
Static: ``ball_figure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import contourpy
import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..functions import quadratic
from ..optimizers import ClassicalMomentum, EWMAMomentum
from ..plotting import COLORS, draw_path
from ..runner import Trajectory, run
from ..theory import (
    critical_momentum,
    gd_optimal_lr,
    iteration_matrix,
    measured_rate,
    momentum_optimal,
    momentum_optimal_rate,
    regime,
    roots,
    spectral_radius,
    stable_lr_limit,
    steps_to_tolerance,
)
from ..widgets import int_slider, log_slider, slider
from .frames import (
    STEP_RANGES,
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
    "Sweep",
    "ball_figure",
    "ball_paths",
    "damping_controls",
    "damping_figure",
    "sweep",
    "sweep_controls",
    "sweep_figure",
    "valley_controls",
    "valley_figure",
]

TOL = 1e-3  # the heatmap shows steps to shrink the distance to the minimum by this factor
CONTOUR_STEPS = (10, 30, 100, 300, 1000)
BOWL = quadratic(25.0)  # every bowl quadratic(kappa) has these plot bounds


# --------------------------------------------------------------------------- the valley
def _valley_frame(xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.7, 1))
    frame_landscape(ax, BOWL)
    frame_losses(ax2, xmax)
    frame_legend(
        fig,
        [
            star_handle(),
            *path_handles(("gradient descent", COLORS["gd"]), ("momentum", COLORS["momentum"])),
        ],
    )
    return fig, (ax, ax2)


def valley_figure(
    learning_rate: float = 1.9, beta: float = 0.7, steps: int = 60, kappa: float = 25.0
) -> Figure:
    """Gradient descent and EWMA-form momentum with the same learning rate (GD's step is
    ``learning_rate``; momentum's EWMA-form learning rate eta-tilde is ``learning_rate``) on
    ``quadratic(kappa)`` (L = 1): paths and losses."""
    obj = quadratic(float(kappa))
    # one vectorized run for both: EWMA momentum with beta = 0 is gradient descent
    both = run(EWMAMomentum(learning_rate, np.array([[0.0], [beta]])), obj, steps=int(steps))
    gd, mom = (
        Trajectory(both.points[:, i], both.losses[:, i], both.diverged_at[i]) for i in (0, 1)
    )
    xmax = nice_limit(steps, STEP_RANGES)
    fig, (ax, ax2) = framed("valley", _valley_frame, (xmax,), [(x,) for x in STEP_RANGES])
    shade(ax, obj, ("quadratic", float(kappa)))
    draw_path(ax, gd, "gradient descent", color=COLORS["gd"])
    draw_path(ax, mom, "momentum", color=COLORS["momentum"])
    title(ax, f"η̃ = {learning_rate:.3g}, β = {beta:.2f}, κ = {kappa:.3g} (EWMA form; GD: η = η̃)")
    runs = [("gradient descent", gd, COLORS["gd"]), ("momentum", mom, COLORS["momentum"])]
    note(ax2, loss_lines(ax2, runs))
    mu, L = obj.notes["eigenvalues"]
    rates = [spectral_radius(learning_rate * (1 - b), b, [mu, L]) for b in (0.0, beta)]
    title(ax2, f"theory: rate r = {rates[0]:.3f} (GD) vs {rates[1]:.3f}")
    return fig


def valley_controls() -> dict[str, Any]:
    return {
        "learning_rate": log_slider("learning rate η̃", 1.9, 1e-2, 100.0),
        "beta": slider("β (momentum)", 0.7, 0.0, 0.99, 0.01),
        "steps": int_slider("steps", 60, 1, 200),
        "kappa": log_slider("condition number κ", 25.0, 1.0, 100.0),
    }


# --------------------------------------------------------------------------- one direction
_REGIME_LABELS = {
    "diverges": "diverges: a root on or outside |z| = 1",
    "one step": "one-step convergence: both roots 0",
    "ripples": "underdamped (ripples): |z| = √β = {sqrt_beta:.3f}",
    "monotone": "overdamped: two positive real roots",
    "sign flips": "negative real roots: sign flips",
}


def _damping(lr: float, beta: float) -> str:
    """The regime of one direction of curvature 1 (:func:`lessons_lib.theory.regime`), for the
    roots panel's title; a double root is named critically damped."""
    kind = regime(lr, beta, 1.0, tol=1e-3)
    z = roots(lr, beta, 1.0)
    double = kind in ("monotone", "sign flips") and abs(z[0] - z[1]) < 0.05
    if double:
        return f"critically damped: {'positive' if kind == 'monotone' else 'negative'} double root"
    return _REGIME_LABELS[kind].format(sqrt_beta=np.sqrt(beta))


def _coordinates(lr: float, beta: float, steps: int) -> np.ndarray:
    """x_0..x_steps along one direction of curvature 1, from x_0 = x_-1 = 1."""
    R = iteration_matrix(lr, beta, 1.0)
    state, xs = np.array([1.0, 1.0]), [1.0]
    for _ in range(steps):
        state = R @ state
        xs.append(state[0])
    return np.array(xs)


def _damping_frame(xmax: float, lim: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.6, 1))
    ax.axhline(0, color="0.3", linewidth=1)
    ax.set(xlim=(0, xmax), ylim=(-2.2, 2.2), xlabel="step t", ylabel="coordinate x_t")
    circle = np.linspace(0, 2 * np.pi, 200)
    ax2.plot(np.cos(circle), np.sin(circle), color="0.3", linewidth=1.5)
    ax2.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", xlabel="Re z", ylabel="Im z")
    frame_legend(
        fig,
        [
            handle("gradient descent (β = 0)", COLORS["gd"], marker="o", markersize=4),
            handle("momentum", COLORS["momentum"], marker="o", markersize=4),
            handle("|z| = 1", "0.3", linewidth=1.5),
            marker_handle("GD's factor 1 − ηλ", COLORS["gd"], "o", 10),
            marker_handle("momentum's roots z", COLORS["momentum"], "X", 13),
            handle("|z| = √β", COLORS["momentum"], linestyle="--", linewidth=1.2),
        ],
        bottom=0.26,
        ncol=3,
    )
    return fig, (ax, ax2)


def damping_figure(learning_rate: float = 0.2, beta: float = 0.5, steps: int = 40) -> Figure:
    """Heavy ball (classical form, step ``learning_rate`` = eta) along one direction of
    curvature 1: the coordinate against the step, and the two roots of the iteration matrix."""
    lr, beta, steps = float(learning_rate), float(beta), int(steps)
    roots = np.roots([1.0, -(1 + beta - lr), beta])
    lims, ranges = (1.3, 3.5), (20, 50, 100)
    lim = nice_limit(max(float(np.abs(roots).max()), abs(1 - lr)) * 1.1, lims)
    xmax = nice_limit(steps, ranges)
    every = [(x, m) for x in ranges for m in lims]
    fig, (ax, ax2) = framed("damping", _damping_frame, (xmax, lim), every)
    for b, color in ((0.0, COLORS["gd"]), (beta, COLORS["momentum"])):
        ax.plot(np.clip(_coordinates(lr, b, steps), -3, 3), "o-", color=color, markersize=4)
    critical = float(critical_momentum(lr, 1.0))
    crit = f"critical β = {critical:.3f}" if critical < 1 else "no critical β < 1"
    title(ax, f"η·λ = {lr:.3g}, β = {beta:.2f}: {crit}")
    circle = np.linspace(0, 2 * np.pi, 100)
    ax2.plot(
        np.sqrt(beta) * np.cos(circle),
        np.sqrt(beta) * np.sin(circle),
        "--",
        color=COLORS["momentum"],
        linewidth=1.2,
    )
    ax2.plot(
        roots.real, roots.imag, "X", color=COLORS["momentum"], markersize=15, markeredgecolor="k"
    )
    ax2.plot([1 - lr], [0], "o", color=COLORS["gd"], markersize=10, markeredgecolor="k")
    title(ax2, _damping(lr, beta), fontsize=12)
    return fig


def damping_controls() -> dict[str, Any]:
    return {
        "learning_rate": log_slider("η·λ (classical step × curvature)", 0.2, 1e-2, 10**0.6),
        "beta": slider("β (momentum)", 0.5, 0.0, 0.99, 0.01),
        "steps": int_slider("steps", 40, 5, 100),
    }


# --------------------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class Sweep:
    """Measured and predicted rates on a grid: ``rate[i, j]`` for ``beta[i]``, ``lr[j]``
    (classical-form learning rates eta); NaN where the run diverged; ``steps`` per run."""

    kappa: float
    steps: int
    lr: np.ndarray
    beta: np.ndarray
    rate: np.ndarray
    theory: np.ndarray
    best_beta_rate: np.ndarray  # measured along beta = beta*, one value per lr


def _grid(n_lr: int, n_beta: int, L: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Classical-form learning rates in (0, 4/L] and momenta in [0, 0.98]."""
    return np.linspace(4.0 / L / n_lr, 4.0 / L, n_lr), np.linspace(0.0, 0.98, n_beta)


def sweep(kappa: float, n_lr: int = 36, n_beta: int = 28, steps: int = 100) -> Sweep:
    """Run heavy ball on ``quadratic(kappa)`` for every (lr, beta) of a grid at once
    (array hyperparameters), plus the row beta = beta*; measure and predict the rates."""
    obj = quadratic(float(kappa))
    mu, L = obj.notes["eigenvalues"]
    lr, beta = _grid(n_lr, n_beta, L)
    _, best_beta = momentum_optimal(mu, L)
    rows = np.append(beta, best_beta)[:, None]
    traj = run(ClassicalMomentum(lr[None, :, None], rows[..., None]), obj, steps=steps)
    rate = measured_rate(traj.points)
    theory = spectral_radius(lr[None, :], beta[:, None], [mu, L])
    return Sweep(float(kappa), int(steps), lr, beta, rate[:-1], theory, rate[-1])


def _theory_contours(ax: Any, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> None:
    """Dashed white contours of ``z`` at 10, 30, ... steps, each labelled once (at the
    leftmost point of its longest piece, off the bottom row): cheaper than ``contour`` and
    ``clabel``."""
    gen = contourpy.contour_generator(x, y, np.nan_to_num(z, nan=1e9))
    for level in CONTOUR_STEPS:
        pieces = [p for p in gen.lines(level) if len(p) > 1]
        if not pieces:
            continue
        ax.add_collection(LineCollection(pieces, colors="white", linewidths=1.5, linestyles="--"))
        longest = max(pieces, key=len)
        above = longest[longest[:, 1] > 0.08]  # keep the bottom row free for GD's marker
        candidates = above if len(above) else longest
        px, py = candidates[np.argmin(candidates[:, 0])]  # the leftmost point
        ax.text(
            px,
            py,
            f"{level}",
            color="white",
            fontsize=11,
            ha="center",
            va="center",
            bbox={
                "boxstyle": "round,pad=0.1",
                "facecolor": "0.35",
                "edgecolor": "none",
                "alpha": 0.7,
            },
        )


def _steps(rate: np.ndarray) -> np.ndarray:
    """Steps to shrink the error by TOL, clipped to [1, 1e4]; NaN (diverged) stays NaN."""
    steps = steps_to_tolerance(np.nan_to_num(rate, nan=2.0), TOL)
    return np.where(np.isnan(rate), np.nan, np.clip(steps, 1, 1e4))


_CMAP, _NORM = "viridis_r", LogNorm(vmin=1, vmax=1e4)
_STAR_COLOR = "white"  # the optimum's star, plotted and in the legend (gold is the fast colour)


def _sweep_frame(n_lr: int, n_beta: int):
    lr, beta = _grid(n_lr, n_beta)
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 6.0), width_ratios=(1.35, 1))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.27, wspace=0.3)
    dl, db = lr[1] - lr[0], beta[1] - beta[0]
    ax.set_facecolor("0.75")  # diverged cells (NaN) show this grey
    cbar = fig.colorbar(ScalarMappable(_NORM, _CMAP), ax=ax, pad=0.02)
    cbar.set_label("steps to shrink error 1000× (measured)")
    cbar.ax.yaxis.set_major_formatter("{x:.0f}")
    cbar.ax.minorticks_off()  # 30 minor ticks would cost more than the heatmap
    for level in CONTOUR_STEPS:  # the levels of the theory's contours, on the colour scale
        cbar.ax.axhline(level, color="white", linestyle="--", linewidth=1.5)
    ax.set(
        xlim=(0, lr[-1] + dl / 2),
        ylim=(beta[0] - db / 2, beta[-1] + db / 2),
        xlabel="learning rate η (classical form = Keras'), L = 1",
        ylabel="momentum β",
    )
    ax.legend(
        handles=[
            handle("critical damping, flattest direction", "#CC79A7", linewidth=2),
            handle("critical damping, steepest direction", "#E69F00", linewidth=2),
            handle("stability limit η = 2(1+β)/L", "k", linestyle=":", linewidth=2),
            handle("theory: steps (contours)", "white", linestyle="--", linewidth=1.5),
            marker_handle("theory's optimum (η*, β*)", _STAR_COLOR, "*", 18),
            marker_handle("GD's best step 2/(L+μ)", COLORS["gd"], "D", 10),
        ],
        loc="upper center",
        bbox_to_anchor=(0.55, -0.13),
        ncol=2,
        fontsize=11,
        facecolor="0.85",
    )
    ax2.set(xlim=(0, lr[-1]), ylim=(0, 1.1), xlabel="learning rate η", ylabel="rate r per step")
    ax2.legend(
        handles=[
            handle("theory, β = 0 (GD)", COLORS["gd"]),
            marker_handle("measured, β = 0", COLORS["gd"], "o", 6),
            handle("theory, β = β*", COLORS["momentum"]),
            marker_handle("measured, β = β*", COLORS["momentum"], "o", 6),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
        ncol=2,
        fontsize=11,
    )
    return fig, (ax, ax2)


def sweep_figure(kappa: float = 30.0, resolution: int = 30) -> Figure:
    """Left: steps to shrink the error 1000x, measured on a (lr, beta) grid (colour), with
    the theory's contours, optimum and critical-damping curves drawn over it. Right: the
    rate along beta = 0 and beta = beta*, measured (dots) and predicted (lines)."""
    s = sweep(kappa, n_lr=int(resolution), n_beta=max(int(resolution * 0.78), 4))
    mu, L = 1.0 / s.kappa, 1.0
    lr_star, beta_star = momentum_optimal(mu, L)
    fig, (ax, ax2) = framed("sweep", _sweep_frame, (len(s.lr), len(s.beta)))
    dl, db = s.lr[1] - s.lr[0], s.beta[1] - s.beta[0]
    ax.imshow(
        _steps(s.rate),
        origin="lower",
        aspect="auto",
        cmap=_CMAP,
        norm=_NORM,
        interpolation="nearest",
        extent=(s.lr[0] - dl / 2, s.lr[-1] + dl / 2, s.beta[0] - db / 2, s.beta[-1] + db / 2),
    )
    fine_lr = np.linspace(s.lr[0], s.lr[-1], 100)
    fine_beta = np.linspace(0.0, s.beta[-1], 70)
    predicted = _steps(spectral_radius(fine_lr[None, :], fine_beta[:, None], [mu, L]))
    _theory_contours(ax, fine_lr, fine_beta, predicted)
    # the theory's curves on the data axes, above the heatmap (the frame lies beneath it)
    ax.plot(fine_lr, critical_momentum(fine_lr, mu), color="#CC79A7", linewidth=2, zorder=3)
    steep = np.linspace(1.0, s.lr[-1], 60)  # steepest direction (L = 1): a negative double root
    ax.plot(steep, critical_momentum(steep, L), color="#E69F00", linewidth=2, zorder=3)
    ax.plot(stable_lr_limit(fine_beta, L), fine_beta, ":", color="k", linewidth=2, zorder=3)
    ax.plot(
        lr_star, beta_star, "*", color=_STAR_COLOR, markeredgecolor="k", markersize=24, zorder=4
    )
    ax.plot(
        gd_optimal_lr(mu, L),
        0.0,
        "D",
        color=COLORS["gd"],
        markeredgecolor="k",
        markersize=11,
        clip_on=False,
        zorder=4,
    )
    title(ax, f"κ = {s.kappa:.4g}: measured (colour) vs theory (lines)", fontsize=15)
    for row, b, color in (
        (s.rate[0], 0.0, COLORS["gd"]),
        (s.best_beta_rate, beta_star, COLORS["momentum"]),
    ):
        ax2.plot(fine_lr, spectral_radius(fine_lr, b, [mu, L]), color=color)
        ax2.plot(s.lr, row, "o", color=color, markersize=6, markeredgecolor="k")
    ax2.axvline(lr_star, color="0.4", linestyle="--", linewidth=1.2)
    title(
        ax2,
        f"β* = {beta_star:.2f}; best rates: GD {(s.kappa - 1) / (s.kappa + 1):.3f}, "
        f"momentum {momentum_optimal_rate(s.kappa):.3f}",
        fontsize=13,
    )
    return fig


def sweep_controls() -> dict[str, Any]:
    return {"kappa": log_slider("condition number κ", 30.0, 1.0, 1000.0)}


INTERACTIVE = [
    (valley_figure, valley_controls),
    (damping_figure, damping_controls),
    (sweep_figure, sweep_controls),
]


# --------------------------------------------------------------------------- static
def ball_paths(
    curvature: float = 0.02, learning_rate: float = 1.0, beta: float = 0.8, steps: int = 80
) -> tuple[np.ndarray, np.ndarray]:
    """Positions x_0..x_steps on the 1-D bowl :math:`f = \\lambda x^2/2` from x = -10 at
    rest, for gradient descent and heavy ball (classical form, the same learning rate)."""
    paths = []
    for b in (0.0, beta):
        R = iteration_matrix(learning_rate * curvature, b, 1.0)
        state, xs = np.array([-10.0, -10.0]), [-10.0]
        for _ in range(steps):
            state = R @ state
            xs.append(state[0])
        paths.append(np.array(xs))
    return paths[0], paths[1]


def ball_figure(
    curvature: float = 0.02, learning_rate: float = 1.0, beta: float = 0.8, steps: int = 80
) -> Figure:
    """A ball on a gentle 1-D bowl :math:`f = \\lambda x^2/2`: position and step length for
    gradient descent and heavy ball (classical form, same learning rate)."""
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 4.6))
    longest = []
    paths = ball_paths(curvature, learning_rate, beta, steps)
    names = ("gradient descent", f"momentum β = {beta}")
    for xs, color, name in zip(paths, (COLORS["gd"], COLORS["momentum"]), names, strict=True):
        ax.plot(xs, color=color, label=name)
        ax2.plot(np.abs(np.diff(xs)), color=color, label=name)
        longest.append(np.abs(np.diff(xs)).max())
    ax.axhline(0, color="0.3", linewidth=1)
    ax.set(xlabel="step t", ylabel="position x")
    ax.legend(loc="lower right")
    title(ax, "the ball overshoots, swings back and settles")
    ax2.set(xlabel="step t", ylabel="length of step t")
    ax2.legend(loc="upper right")
    title(ax2, f"speed builds up: longest step {longest[1] / longest[0]:.1f}× GD's")
    return fig
