r"""Interactive figures of lesson 06: Adam, its bias correction, and the pitfalls.

The slider figures are drawn on cached frames (:mod:`lessons_lib.interactive.frames`).

"Adam" here is :class:`lessons_lib.optimizers.Adam`, the rule Keras applies (epsilon is
Keras' :math:`\hat\epsilon`, added to the uncorrected :math:`\sqrt{v}`). "No bias
correction" is the same rule with both corrections left out,
``Adam(...).variant(bias_correction=False)``: a mistake kept for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..ewma import ewma
from ..functions import get_objective
from ..optimizers import Adam
from ..pitfalls import RuleRun
from ..plotting import COLORS, draw_path, loss_line
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
    "adam_controls",
    "adam_figure",
    "amsgrad_steps",
    "compare_losses",
    "first_steps_controls",
    "first_steps_figure",
    "step_ratio",
]

OBJECTIVE_CHOICES = ("quadratic", "rosenbrock", "beale", "saddle", "himmelblau")
_NO_BC = "0.45"  # colour of the uncorrected variant


STEP_AXIS = (1, 200)  # log-scaled step axis (the steps slider goes to 200)
LENGTH_RANGE = (1e-8, 1e3)  # y range of the step-length panel
RATIO_RANGE = (5e-3, 2e2)  # y range of the step / eta panels
FIRST_STEPS = (10, 20, 50, 100)  # x ranges of the first-steps panel


def _step_lengths(traj: Trajectory) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.linalg.norm(np.diff(traj.points, axis=0), axis=-1)


def _adam_frame(objective: str):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4), width_ratios=(1.3, 1))
    obj = get_objective(objective)
    frame_landscape(ax, obj, aspect="auto")
    shade(ax, obj, ("lesson06", objective))
    log_yaxis(ax2)
    log_xaxis(ax2)
    ax2.set(xlim=STEP_AXIS, ylim=LENGTH_RANGE, xlabel="step t", ylabel="step length ‖Δw‖")
    handles = path_handles(("Adam", COLORS["adam"]), ("no bias correction", _NO_BC))
    frame_legend(fig, [star_handle(), *handles, handle("η", COLORS["gd"], linestyle=":")])
    return fig, (ax, ax2)


def adam_figure(
    objective: str = "quadratic",
    learning_rate: float = 0.3,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
    steps: int = 100,
) -> Figure:
    """Adam with and without bias correction: paths (left), step lengths (right)."""
    obj = get_objective(objective)
    steps = int(steps)
    hyper = {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon}
    adam = Adam(learning_rate, **hyper)
    runs = {
        "Adam": run(adam, obj, steps=steps),
        "no bias correction": run(adam.variant(bias_correction=False), obj, steps=steps),
    }
    colors = {"Adam": COLORS["adam"], "no bias correction": _NO_BC}
    every = [(o,) for o in OBJECTIVE_CHOICES]
    fig, (ax, ax2) = framed("lesson06-adam", _adam_frame, (objective,), every)
    t = np.arange(1, steps + 1)
    for name, traj in runs.items():
        draw_path(ax, traj, name, color=colors[name])
        lengths = np.clip(_step_lengths(traj), *LENGTH_RANGE)
        ax2.plot(t, lengths, "-" if name == "Adam" else "--", color=colors[name])
    ax2.axhline(learning_rate, color=COLORS["gd"], ls=":", lw=2)
    title(ax, f"η {learning_rate:.3g}, β₁ {beta_1:.3g}, β₂ {beta_2:.4g}, ε̂ {epsilon:.0e}")
    title(ax2, "how far each step goes")
    note(ax2, [f"{k}: {v.label()}" for k, v in runs.items()])
    return fig


def adam_controls() -> dict[str, Any]:
    """Objective, learning rate (log), both betas, epsilon (log), steps."""
    return {
        "objective": choice("objective", OBJECTIVE_CHOICES, "quadratic"),
        "learning_rate": log_slider("learning rate η", 0.3, 1e-4, 3.0),
        "beta_1": slider("β₁", 0.9, 0.0, 0.99, 0.01),
        "beta_2": slider("β₂", 0.999, 0.8, 0.9999, 0.0001),
        "epsilon": log_slider("epsilon ε̂", 1e-7, 1e-10, 1.0),
        "steps": int_slider("steps", 100, 10, 200, 10),
    }


def amsgrad_steps(
    grads: Any, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
) -> dict[str, np.ndarray]:
    r"""Step length over :math:`\eta` at t = 1..T for one coordinate's gradients ``grads``,
    three ways (:math:`m_t, v_t` the EWMAs of :math:`g` and :math:`g^2` from zero,
    :math:`\tilde v_t = \max_{i \le t} v_i`):

    * ``"Adam"`` (Keras' form): :math:`\sqrt{1-\beta_2^t}/(1-\beta_1^t)\cdot
      |m_t|/(\sqrt{v_t}+\hat\epsilon)`;
    * ``"AMSGrad, Keras/PyTorch"``: the same with :math:`\tilde v_t` for :math:`v_t`: the
      maximum is taken over the *uncorrected* :math:`v`, and the bias correction still
      divides it by :math:`1-\beta_2^t`, which keeps shrinking;
    * ``"AMSGrad, Reddi et al."`` (Algorithm 2 of the paper, constant step size, no bias
      correction): :math:`|m_t|/(\sqrt{\tilde v_t}+\hat\epsilon)`.
    """
    g = np.asarray(grads, dtype=float)
    t = np.arange(1, len(g) + 1)
    m, v = np.abs(ewma(g, beta_1)), ewma(g * g, beta_2)
    v_max = np.maximum.accumulate(v)
    correction = np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return {
        "Adam": correction * m / (np.sqrt(v) + epsilon),
        "AMSGrad, Keras/PyTorch": correction * m / (np.sqrt(v_max) + epsilon),
        "AMSGrad, Reddi et al.": m / (np.sqrt(v_max) + epsilon),
    }


def step_ratio(t: Any, beta_1: float, beta_2: float, correct_m: bool, correct_v: bool):
    r"""Step length over :math:`\eta` at step t for a constant gradient (epsilon = 0):
    :math:`m_t = (1-\beta_1^t)g`, :math:`v_t = (1-\beta_2^t)g^2`, so each missing
    correction leaves its factor: :math:`(1-\beta_1^t)` on top, :math:`\sqrt{1-\beta_2^t}`
    below."""
    t = np.asarray(t, dtype=float)
    top = 1.0 if correct_m else 1 - beta_1**t
    bottom = 1.0 if correct_v else np.sqrt(1 - beta_2**t)
    return top / bottom * np.ones_like(t)


_VARIANTS = (
    ("Adam (both corrected)", True, True, COLORS["adam"], "-"),
    ("no correction", False, False, _NO_BC, "--"),
    ("only m corrected", True, False, COLORS["momentum"], "-."),
    ("only v corrected", False, True, COLORS["rmsprop"], ":"),
)
_LONG_RUN = np.unique(np.geomspace(1, 20000, 200).round())


def _first_steps_frame(xmax: float):
    fig, (ax, ax2) = lesson_figure(2, figsize=(12.0, 5.4))
    for a in (ax, ax2):
        log_yaxis(a)
        a.set(ylim=RATIO_RANGE, ylabel="step / η")
    ax.set(xlim=(0, xmax + 1), xlabel="step t")
    log_xaxis(ax2)
    ax2.set(xlim=(1, 20000), xlabel="step t (log scale)")
    handles = [handle(label, color, linestyle=ls) for label, _, _, color, ls in _VARIANTS]
    frame_legend(fig, [*handles, handle("1/(1 − β₂)", "0.5", lw=1.5)])
    return fig, (ax, ax2)


def first_steps_figure(beta_1: float = 0.9, beta_2: float = 0.999, steps: int = 20) -> Figure:
    """Step length / learning rate under a constant gradient: the first ``steps`` (left)
    and the long run (right), with and without each bias correction."""
    steps = int(steps)
    xmax = nice_limit(steps, FIRST_STEPS)
    fig, (ax, ax2) = framed(
        "lesson06-first-steps", _first_steps_frame, (xmax,), [(x,) for x in FIRST_STEPS]
    )
    t = np.arange(1, steps + 1)
    for _label, cm, cv, color, ls in _VARIANTS:
        ax.plot(
            t,
            np.clip(step_ratio(t, beta_1, beta_2, cm, cv), *RATIO_RANGE),
            ls,
            marker="o",
            markersize=5,
            color=color,
        )
        ax2.plot(
            _LONG_RUN,
            np.clip(step_ratio(_LONG_RUN, beta_1, beta_2, cm, cv), *RATIO_RANGE),
            ls,
            color=color,
        )
    ax2.axvline(1 / (1 - beta_2), color="0.5", lw=1.5)
    title(ax, f"first {steps} steps, β₁ = {beta_1:.3g}, β₂ = {beta_2:.4g}")
    title(ax2, f"the long run: 1/(1 − β₂) = {1 / (1 - beta_2):.0f} steps")
    return fig


def first_steps_controls() -> dict[str, Any]:
    """Both betas and the number of first steps shown."""
    return {
        "beta_1": slider("β₁", 0.9, 0.0, 0.99, 0.01),
        "beta_2": slider("β₂", 0.999, 0.8, 0.9999, 0.0001),
        "steps": int_slider("steps", 20, 5, 100, 5),
    }


def compare_losses(
    panels: Sequence[tuple[str, object, Mapping[str, RuleRun]]],
    figsize: tuple[float, float] = (12.0, 5.0),
) -> Figure:
    """One panel per ``(title, problem, {label: run})``: loss relative to the start
    (log scale) for each run of :mod:`lessons_lib.pitfalls`; a run that produced NaN
    ends with an X and "NaN at step k" in its label. ``problem`` has ``loss(w)``."""
    fig, axes = lesson_figure(len(panels), figsize=figsize)
    styles = ["-", "--", "-.", ":"]
    for ax, (heading, problem, runs) in zip(axes, panels, strict=True):
        for i, (label, rule_run) in enumerate(runs.items()):
            with np.errstate(all="ignore"):
                loss = problem.loss(rule_run.points)
                rel = loss / loss[0]
            k = rule_run.broke_at
            text = f"{label}: NaN at step {k}" if k >= 0 else label
            loss_line(ax, rel, k, color=f"C{i}", label=text, style=styles[i % 4], floor=1e-16)
        log_yaxis(ax)
        ax.set(xlabel="step t", ylabel="loss / initial loss")
        title(ax, heading, fontsize=14)
        broken = any(r.broke_at >= 0 for r in runs.values())  # keep their X markers visible
        ax.legend(loc="lower left" if broken else "best", fontsize=11)
    return fig


INTERACTIVE = [(adam_figure, adam_controls), (first_steps_figure, first_steps_controls)]
