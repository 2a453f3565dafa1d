r"""Interactive figures of lesson 04: Nesterov's look-ahead against plain momentum.

Both optimizers are Keras' ``SGD`` rule (classical momentum, and ``nesterov=True``), so
what the sliders show is what ``keras.optimizers.SGD`` does with the same settings.
Figures are drawn on cached frames (:mod:`lessons_lib.interactive.frames`): the
landscape, axes and legend are rendered once per objective and step range.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..functions import get_objective
from ..optimizers import SGD
from ..plotting import COLORS, draw_path
from ..runner import Trajectory, run
from ..widgets import choice, int_slider, log_slider, slider
from .frames import (
    background,
    frame_gaps,
    frame_landscape,
    frame_legend,
    framed,
    lesson_figure,
    loss_lines,
    nice_limit,
    note,
    path_handles,
    shade,
    star_handle,
    title,
)

__all__ = [
    "INTERACTIVE",
    "OBJECTIVE_CHOICES",
    "contraction",
    "lookahead_picture",
    "overshoot_controls",
    "overshoot_figure",
    "stability_limit",
]

OBJECTIVE_CHOICES = ("quadratic", "rosenbrock", "beale", "saddle", "himmelblau")
STEP_RANGES = (60, 200)  # x ranges of the loss panel (the steps slider goes to 200)


def contraction(eta_lambda: float, momentum: float, nesterov: bool) -> float:
    r"""Per-step contraction factor along one eigen-direction of a quadratic.

    With :math:`a = \eta\lambda` and momentum coefficient :math:`\beta` (``momentum``),
    momentum moves the coordinate by :math:`x_{t+1} = (1+\beta-a)x_t - \beta x_{t-1}` and
    Nesterov by :math:`x_{t+1} = (1+\beta)(1-a)x_t - \beta(1-a)x_{t-1}`; the error shrinks like
    :math:`r^t` with :math:`r` the largest root magnitude of :math:`z^2 - b z + c` (b, c from
    the recursion). :math:`r \ge 1`: no convergence.
    """
    a, beta = float(eta_lambda), float(momentum)
    b, c = ((1 + beta) * (1 - a), beta * (1 - a)) if nesterov else (1 + beta - a, beta)
    return float(np.max(np.abs(np.roots([1.0, -b, c]))))


def stability_limit(momentum: float, nesterov: bool) -> float:
    r"""Largest :math:`\eta\lambda` that still converges: :math:`2(1+\beta)` for momentum,
    :math:`2(1+\beta)/(1+2\beta)` for Nesterov (where its recursion's root reaches -1; below
    gradient descent's 2 for every :math:`\beta > 0`)."""
    beta = float(momentum)
    return 2 * (1 + beta) / (1 + 2 * beta) if nesterov else 2 * (1 + beta)


def _overshoot_frame(objective: str, xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.4, 1))
    obj = get_objective(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson04", objective))
    frame_gaps(ax2, xmax)
    handles = path_handles(("momentum", COLORS["momentum"]), ("Nesterov", COLORS["nesterov"]))
    frame_legend(fig, [star_handle(), *handles])
    return fig, (ax, ax2)


_FRAME_KEYS = [(o, x) for o in OBJECTIVE_CHOICES for x in STEP_RANGES]


def overshoot_figure(
    objective: str = "quadratic",
    learning_rate: float = 0.5,
    momentum: float = 0.9,
    steps: int = 60,
) -> Figure:
    """Momentum and Nesterov (Keras' ``SGD``) from the same start: paths and loss gaps."""
    obj = get_objective(objective)
    steps = int(steps)
    runs = [
        ("momentum", run(SGD(learning_rate, momentum), obj, steps=steps), COLORS["momentum"]),
        (
            "Nesterov",
            run(SGD(learning_rate, momentum, nesterov=True), obj, steps=steps),
            COLORS["nesterov"],
        ),
    ]
    key = (objective, nice_limit(steps, STEP_RANGES))
    fig, (ax, ax2) = framed("lesson04-overshoot", _overshoot_frame, key, _FRAME_KEYS)
    for name, traj, color in runs:
        draw_path(ax, traj, name, color=color)
    title(ax, f"{objective}: η = {learning_rate:.3g}, β = {momentum:.2f}")
    gaps = [(n, Trajectory(t.points, obj.gap(t.losses), t.diverged_at), c) for n, t, c in runs]
    notes = loss_lines(ax2, gaps)
    finals = [f"{n}: f − f* = {t.losses[-1]:.2g}" for n, t, _ in gaps if t.diverged_at < 0]
    note(ax2, notes + finals)
    title(ax2, "distance to the lowest value")
    return fig


def overshoot_controls() -> dict[str, Any]:
    """Objective, learning rate (log), momentum and number of steps."""
    return {
        "objective": choice("objective", OBJECTIVE_CHOICES, "quadratic"),
        "learning_rate": log_slider("learning rate η", 0.5, 1e-4, 2.0),
        "momentum": slider("momentum β", 0.9, 0.0, 0.99, 0.01),
        "steps": int_slider("steps", 60, 5, 200, 5),
    }


def lookahead_picture(
    w: tuple[float, float] = (-2.0, 1.2),
    v: tuple[float, float] = (1.5, -2.6),
    learning_rate: float = 0.6,
    momentum: float = 0.9,
) -> Figure:
    r"""One step from ``w`` with velocity ``v`` on the lesson's bowl, drawn two ways:
    classical momentum adds :math:`-\eta\nabla f(w)` after the momentum step, Nesterov
    adds :math:`-\eta\nabla f(w + \beta v)`, the gradient where momentum is taking it
    (``momentum`` is :math:`\beta`)."""
    obj = get_objective("quadratic")
    w_, v_ = np.array(w), np.array(v)
    ahead = w_ + momentum * v_
    classical = ahead - learning_rate * obj.grad(w_)
    nesterov = ahead - learning_rate * obj.grad(ahead)
    fig, (ax,) = lesson_figure(1, figsize=(12.0, 5.4))
    fig.subplots_adjust(left=0.07, right=0.6)
    background(ax, obj, ("lesson04", "quadratic"), aspect="auto")
    ax.set(xlim=(-5, 3), ylim=(-3, 3))
    arrows = [
        (w_, ahead, "0.3", r"momentum step $\beta v$"),
        (ahead, classical, COLORS["momentum"], r"momentum: $-\eta\nabla f(w)$"),
        (ahead, nesterov, COLORS["nesterov"], r"Nesterov: $-\eta\nabla f(w+\beta v)$"),
    ]
    for start, end, color, label in arrows:
        ax.annotate(
            "",
            xy=end,
            xytext=start,
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 3, "mutation_scale": 22},
        )
        ax.plot([], [], color=color, lw=3, label=label)
    ax.plot(*w_, "o", color="k", markersize=10, label="$w$ (now)")
    ax.plot(*ahead, "o", color="0.3", mfc="white", markersize=10, label=r"look-ahead $w+\beta v$")
    ax.plot(*classical, "s", color=COLORS["momentum"], markersize=10, markeredgecolor="k")
    ax.plot(*nesterov, "s", color=COLORS["nesterov"], markersize=10, markeredgecolor="k")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=13)
    title(ax, "one step, two places to take the gradient")
    return fig


INTERACTIVE = [(overshoot_figure, overshoot_controls)]
