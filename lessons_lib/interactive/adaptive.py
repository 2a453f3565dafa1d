r"""Interactive figures of lesson 05: AdaGrad and RMSProp, per-coordinate step sizes,
and where epsilon goes.

Keras puts epsilon *inside* the square root of AdaGrad and RMSprop,
:math:`\eta g/\sqrt{s+\epsilon}`; PyTorch puts it *outside*, :math:`\eta g/(\sqrt{s}+\epsilon)`.
:func:`make_adaptive` gives either: PyTorch's placement is the library optimizer's own rule
with ``.variant(epsilon_outside=True)``, so the figures can switch between the conventions.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..ewma import ewma
from ..functions import Objective, get_objective, quadratic, real
from ..optimizers import SGD, Adagrad, Optimizer, RMSprop
from ..plotting import COLORS, draw_path
from ..runner import Trajectory, run
from ..widgets import choice, int_slider, log_slider, slider
from .frames import (
    frame_landscape,
    frame_legend,
    framed,
    handle,
    lesson_figure,
    log_xaxis,
    log_yaxis,
    note,
    path_handles,
    shade,
    star_handle,
    title,
)

__all__ = [
    "BOWL",
    "EPS_PLACES",
    "OBJECTIVE_CHOICES",
    "INTERACTIVE",
    "adaptive_controls",
    "adaptive_figure",
    "effective_step_sizes",
    "epsilon_controls",
    "epsilon_figure",
    "make_adaptive",
    "scaled",
]

#: the lesson's axis-scaled problem: curvature 1 along y, 1/50 along x
BOWL = quadratic(kappa=50.0)
OBJECTIVE_CHOICES = ("stretched bowl", "rosenbrock", "beale", "saddle", "himmelblau")
EPS_PLACES = ("inside √ (Keras)", "outside √ (PyTorch)")


def make_adaptive(
    name: str, learning_rate: float, epsilon: float, inside: bool, rho: float = 0.9
) -> Optimizer:
    """``"adagrad"`` or ``"rmsprop"`` with epsilon inside (Keras) or outside (PyTorch,
    ``.variant(epsilon_outside=True)``) the root. AdaGrad's accumulator starts at 0 as in
    the paper (Keras starts it at 0.1)."""
    if name == "adagrad":
        opt: Optimizer = Adagrad(learning_rate, initial_accumulator_value=0.0, epsilon=epsilon)
    elif name == "rmsprop":
        opt = RMSprop(learning_rate, rho=rho, epsilon=epsilon)
    else:
        raise ValueError(f"name must be 'adagrad' or 'rmsprop', got {name!r}")
    return opt if inside else opt.variant(epsilon_outside=True)


@lru_cache(maxsize=64)
def scaled(objective: str, scale: float = 1.0) -> Objective:
    """The objective called ``objective`` (``"stretched bowl"`` = :data:`BOWL`) with loss
    and gradient multiplied by ``scale``: same minima, same picture, smaller gradients."""
    scale = real("scale", scale, "(0, inf)", "loss multiplier")
    base = BOWL if objective == "stretched bowl" else get_objective(objective)
    if scale == 1.0:
        return base
    return Objective(
        base.name,
        lambda p: scale * base.f(p),
        lambda p: scale * base.grad_f(p),
        base.minima,
        base.start,
        base.bounds,
        base.formula,
        {**base.notes, "scale": scale},
    )


def effective_step_sizes(
    traj: Trajectory,
    objective: Objective,
    name: str,
    learning_rate: float,
    epsilon: float,
    inside: bool,
    rho: float = 0.9,
    initial: float = 0.0,
) -> np.ndarray:
    r"""Per-coordinate step size :math:`\eta/\sqrt{s_t+\epsilon}` (or
    :math:`\eta/(\sqrt{s_t}+\epsilon)`) at steps t = 1..T, rebuilt from the path's
    gradients: AdaGrad :math:`s_t = s_0 + \sum_{i \le t} g_i^2`, RMSProp
    :math:`s_t = \mathrm{EWMA}_\rho(g^2)`. Shape ``(T, 2)``, NaN after a divergence."""
    with np.errstate(all="ignore"):
        g2 = objective.grad(traj.points[:-1]) ** 2
        s = initial + np.cumsum(g2, axis=0) if name == "adagrad" else ewma(g2, rho)
        return learning_rate / (np.sqrt(s + epsilon) if inside else np.sqrt(s) + epsilon)


STEP_AXIS = (1, 200)  # log-scaled step axis of the step-size panels (steps slider max)
SIZE_RANGE = (1e-6, 1e6)  # y range of the step-size panel


def _adaptive_frame(objective: str):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.6), width_ratios=(1.3, 1))
    obj = scaled(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson05", objective))
    log_yaxis(ax2)
    log_xaxis(ax2)
    ax2.set(xlim=STEP_AXIS, ylim=SIZE_RANGE, xlabel="step t", ylabel="step size η/√(s+ε)")
    handles = path_handles(
        ("GD", COLORS["gd"]), ("AdaGrad", COLORS["adagrad"]), ("RMSProp", COLORS["rmsprop"])
    )
    extra = [handle("x coordinate", "0.3"), handle("y coordinate", "0.3", linestyle="--")]
    frame_legend(fig, [star_handle(), *handles, *extra], bottom=0.25, ncol=4)
    return fig, (ax, ax2)


def adaptive_figure(
    objective: str = "stretched bowl",
    learning_rate: float = 0.5,
    rho: float = 0.9,
    epsilon: float = 1e-7,
    eps_place: str = EPS_PLACES[0],
    loss_scale: float = 1.0,
    steps: int = 100,
) -> Figure:
    """GD, AdaGrad and RMSProp paths (left) and their per-coordinate step sizes (right)."""
    obj = scaled(objective, float(loss_scale))
    inside = eps_place == EPS_PLACES[0]
    steps = int(steps)
    runs = {"GD": run(SGD(learning_rate), obj, steps=steps)}
    for name, label in (("adagrad", "AdaGrad"), ("rmsprop", "RMSProp")):
        opt = make_adaptive(name, learning_rate, epsilon, inside, rho)
        runs[label] = run(opt, obj, steps=steps)
    fig, (ax, ax2) = framed(
        "lesson05-adaptive", _adaptive_frame, (objective,), [(o,) for o in OBJECTIVE_CHOICES]
    )
    for label, traj in runs.items():
        draw_path(ax, traj, label, color=COLORS[label.lower()])
    place = "inside" if inside else "outside"
    title(ax, f"η = {learning_rate:.3g}, ρ = {rho:.3g}, ε = {epsilon:.0e} {place} √")
    t = np.arange(1, steps + 1)
    ax2.axhline(learning_rate, color=COLORS["gd"], ls=":", lw=2)
    for name, label in (("adagrad", "AdaGrad"), ("rmsprop", "RMSProp")):
        size = effective_step_sizes(runs[label], obj, name, learning_rate, epsilon, inside, rho)
        size = np.clip(size, *SIZE_RANGE)
        ax2.plot(t, size[:, 0], color=COLORS[name])
        ax2.plot(t, size[:, 1], color=COLORS[name], ls="--")
    scale = "" if loss_scale == 1.0 else f", loss × {loss_scale:.0e}"
    title(ax2, f"dotted: GD's η{scale}")
    note(ax2, [f"{k}: {v.label()}" for k, v in runs.items()])
    return fig


def adaptive_controls() -> dict[str, Any]:
    """Objective, learning rate, rho, epsilon (log) and its place, loss scale (log), steps."""
    return {
        "objective": choice("objective", OBJECTIVE_CHOICES, OBJECTIVE_CHOICES[0]),
        "learning_rate": log_slider("learning rate η", 0.5, 1e-3, 3.0),
        "rho": slider("RMSProp ρ", 0.9, 0.0, 0.999, 0.001),
        "epsilon": log_slider("epsilon ε", 1e-7, 1e-10, 1.0),
        "eps_place": choice("epsilon goes", EPS_PLACES, EPS_PLACES[0]),
        "loss_scale": log_slider("loss scale", 1.0, 1e-8, 100.0, steps_per_decade=2),
        "steps": int_slider("steps", 100, 10, 200, 10),
    }


_GRADIENTS = np.logspace(-10, 1, 240)
_FIRST_STEPS = np.arange(1, 41)


def _epsilon_frame():
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4))
    log_xaxis(ax)
    ax.set(xlim=(1e-10, 10), ylim=(-0.03, 1.08), xlabel="gradient size |g|", ylabel="step / η")
    log_yaxis(ax2)
    ax2.set(xlim=(0, 41), ylim=(1e-4, 1e2), xlabel="step t", ylabel="step / η")
    frame_legend(
        fig,
        [
            handle("ε inside √ (Keras)", COLORS["rmsprop"]),
            handle("ε outside √ (PyTorch)", COLORS["adagrad"], linestyle="--"),
            handle("√ε", "0.35", linestyle=":"),
            handle("ε", "0.7", linestyle=":"),
        ],
    )
    return fig, (ax, ax2)


def epsilon_figure(epsilon: float = 1e-7, rho: float = 0.9) -> Figure:
    r"""Step size relative to :math:`\eta` once RMSProp's average has settled on a constant
    gradient :math:`g` (:math:`s = g^2`): :math:`|g|/\sqrt{g^2+\epsilon}` inside vs
    :math:`|g|/(|g|+\epsilon)` outside, over eleven decades of gradient size (left); the
    first 40 steps from :math:`s = 0` on a gradient of :math:`10^{-4}` (right)."""
    g = _GRADIENTS
    fig, (ax, ax2) = framed("lesson05-epsilon", _epsilon_frame)
    ax.plot(g, g / np.sqrt(g * g + epsilon), color=COLORS["rmsprop"])
    ax.plot(g, g / (g + epsilon), color=COLORS["adagrad"], ls="--")
    ax.axvline(np.sqrt(epsilon), color="0.35", ls=":", lw=2)
    ax.axvline(epsilon, color="0.7", ls=":", lw=2)
    title(ax, f"settled RMSProp: ε = {epsilon:.0e}, √ε = {np.sqrt(epsilon):.1e}")
    s = (1 - rho**_FIRST_STEPS) * 1e-8  # the EWMA of g^2 = 1e-8 after t steps from 0
    ax2.plot(_FIRST_STEPS, 1e-4 / np.sqrt(s + epsilon), color=COLORS["rmsprop"])
    ax2.plot(_FIRST_STEPS, 1e-4 / (np.sqrt(s) + epsilon), color=COLORS["adagrad"], ls="--")
    title(ax2, f"first steps, ρ = {rho:.3g}, gradient 1e-4")
    return fig


def epsilon_controls() -> dict[str, Any]:
    """Epsilon (log) and RMSProp's rho."""
    return {
        "epsilon": log_slider("epsilon ε", 1e-7, 1e-12, 1e-1),
        "rho": slider("RMSProp ρ", 0.9, 0.0, 0.999, 0.001),
    }


INTERACTIVE = [(adaptive_figure, adaptive_controls), (epsilon_figure, epsilon_controls)]
