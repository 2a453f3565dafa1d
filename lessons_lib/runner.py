"""Run an optimizer and keep the whole path: the one home of the lessons' runners.

* :func:`run`: an optimizer on a 2-D objective. One call runs one start point or
  thousands: ``start`` of shape ``(..., 2)`` gives paths of shape ``(steps + 1, ..., 2)``.
  A run that diverges (a non-finite value, or a point far outside the objective's plot
  bounds) is stopped there: its later points are NaN and ``diverged_at`` holds the step.
* :func:`run_step_rule` and its two shapes :func:`run_adam_rule` /
  :func:`run_accumulator_rule`: a step function written as in the exercises (or a
  deliberately wrong one of :mod:`lessons_lib.pitfalls`) on any gradient function, and
  :func:`run_optimizer`, an optimizer the same way, for right-vs-wrong comparisons.

No overflow warnings escape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .functions import Objective
from .optimizers import LookaheadNesterov, Optimizer

__all__ = [
    "RuleRun",
    "Trajectory",
    "far_limit",
    "run",
    "run_accumulator_rule",
    "run_adam_rule",
    "run_optimizer",
    "run_step_rule",
]


@dataclass(frozen=True)
class Trajectory:
    """Points ``(steps+1, ..., 2)``, losses ``(steps+1, ...)`` and, per run, the step at
    which it diverged (``-1`` if it did not). After divergence points and losses are NaN."""

    points: np.ndarray
    losses: np.ndarray
    diverged_at: np.ndarray

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0

    @property
    def final(self) -> np.ndarray:
        """Last point of each run (NaN for diverged runs)."""
        return self.points[-1]

    def label(self) -> str:
        """``"diverged at step k"`` for a single diverged run, else the final loss."""
        if self.diverged_at.ndim == 0 and self.diverged_at >= 0:
            return f"diverged at step {int(self.diverged_at)}"
        return f"final loss {float(np.nanmin(self.losses[-1:])):.3g}"


def far_limit(objective: Objective, factor: float = 10.0) -> float:
    """Distance from the plot centre beyond which a run counts as diverged."""
    (x0, x1), (y0, y1) = objective.bounds
    return factor * max(x1 - x0, y1 - y0)


def _batch_shape(optimizer: Optimizer, start: np.ndarray) -> tuple[int, ...]:
    """Shape of the batch of runs: start points and array hyperparameters broadcast
    together (a hyperparameter's last axis pairs with the coordinate axis)."""
    shapes = [start.shape[:-1]]
    for value in vars(optimizer).values():
        if isinstance(value, np.ndarray) and value.ndim:
            shapes.append(value.shape[:-1])
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(
            f"start points {start.shape} and the optimizer's array hyperparameters "
            f"{shapes[1:]} (without their last axis) must broadcast together"
        ) from None


def run(
    optimizer: Optimizer,
    objective: Objective,
    start: Any = None,
    steps: int = 100,
    reset: bool = True,
) -> Trajectory:
    """Apply ``optimizer`` to ``objective`` for ``steps`` steps from ``start``.

    ``start`` defaults to the objective's own; shape ``(..., 2)`` runs a batch, and so do
    array hyperparameters (shape ``(n, 1)`` for ``n`` runs). With ``reset`` (default) the
    optimizer's state is cleared first. A run stops at the first step whose point is
    non-finite or farther than :func:`far_limit` from the plot centre, or whose gradient
    overflows; that step is its ``diverged_at``.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    w = np.asarray(objective.start if start is None else start, dtype=float)
    if w.ndim == 0 or w.shape[-1] != 2 or not np.all(np.isfinite(w)):
        raise ValueError(f"start must be finite points of shape (..., 2), got {start!r}")
    if reset:
        optimizer.reset()
    (x0, x1), (y0, y1) = objective.bounds
    centre, limit = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), far_limit(objective)
    batch = _batch_shape(optimizer, w)
    w = np.broadcast_to(w, batch + (2,)).copy()
    points = np.full((steps + 1,) + w.shape, np.nan)
    losses = np.full((steps + 1,) + batch, np.nan)
    diverged_at = np.full(batch, -1)
    alive = np.ones(batch, dtype=bool)
    bad_grad = np.zeros(batch, dtype=bool)

    def grad(p: np.ndarray) -> np.ndarray:
        """The objective's gradient for live runs with a finite one, 0 for the rest."""
        g = objective.grad(p)
        ok = alive & np.isfinite(g[..., 0]) & np.isfinite(g[..., 1])
        bad_grad[...] = alive & ~ok
        if not ok.all():
            g = g.copy()
            g[~ok] = 0.0
        return g

    # Per-coordinate code below ([..., 0], [..., 1]) and boolean indexing instead of
    # np.where: numpy is slow at broadcasting against a length-2 last axis.
    lookahead = isinstance(optimizer, LookaheadNesterov)
    with np.errstate(all="ignore"):
        points[0], losses[0] = w, objective(w)
        for k in range(1, steps + 1):
            new = optimizer.step(w, grad) if lookahead else optimizer.step(w, grad(w))
            loss = objective(new)
            inside = (np.abs(new[..., 0] - centre[0]) <= limit) & (
                np.abs(new[..., 1] - centre[1]) <= limit
            )  # False for NaN too
            bad = alive & (bad_grad | ~np.isfinite(loss) | ~inside)
            diverged_at[bad] = k
            alive &= ~bad
            if not alive.all():  # stopped runs stay at their last good point, shown as NaN
                dead = ~alive
                new = new.copy()
                new[dead] = w[dead]
                points[k] = new
                points[k][dead] = np.nan
            else:
                points[k] = new
            losses[k] = np.where(alive, loss, np.nan)
            w = new
            if not alive.any():
                break
    return Trajectory(points, losses, diverged_at)


# --------------------------------------------------------------------------- step functions
class RuleRun:
    """Path of a step rule: ``points`` (steps+1, n) and ``broke_at`` (first step whose
    parameters were not finite, -1 if none). The run stops there: ``points[broke_at]``
    holds the broken parameters, later rows are NaN."""

    def __init__(self, points: np.ndarray, broke_at: int):
        self.points, self.broke_at = points, broke_at

    def step_lengths(self) -> np.ndarray:
        """:math:`\\|w_t - w_{t-1}\\|` for t = 1..steps (NaN once broken)."""
        return np.linalg.norm(np.diff(self.points, axis=0), axis=-1)


GradFn = Callable[[np.ndarray], np.ndarray]


def run_step_rule(
    step: Callable[..., tuple],
    grad_fn: GradFn,
    w0: Any,
    steps: int,
    n_state: int = 0,
    with_t: bool = False,
    **hyper: Any,
) -> RuleRun:
    """Run ``step(w, *state, g[, t], **hyper) -> (w, *state)`` from ``w0`` (a 1-D array),
    its ``n_state`` state arrays starting at 0; ``t`` (1 at the first step) is passed
    when ``with_t``. Stops at the first step whose parameters are not finite."""
    w = np.asarray(w0, dtype=float)
    if w.ndim != 1:
        raise ValueError(f"w0 must be a 1-D array of parameters, got shape {w.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number >= 1, got {steps!r}")
    state = [np.zeros_like(w) for _ in range(n_state)]
    points = np.full((steps + 1, w.size), np.nan)
    points[0] = w
    with np.errstate(all="ignore"):
        for t in range(1, steps + 1):
            args = (w, *state, grad_fn(w)) + ((t,) if with_t else ())
            w, *state = step(*args, **hyper)
            points[t] = w
            if not np.all(np.isfinite(w)):
                return RuleRun(points, t)
    return RuleRun(points, -1)


def run_adam_rule(
    step: Callable[..., tuple], grad_fn: GradFn, w0: Any, steps: int, **hyper: Any
) -> RuleRun:
    """Run an Adam-shaped ``step(w, m, v, g, t, **hyper)`` from ``w0`` (moments start at 0)."""
    return run_step_rule(step, grad_fn, w0, steps, n_state=2, with_t=True, **hyper)


def run_accumulator_rule(
    step: Callable[..., tuple], grad_fn: GradFn, w0: Any, steps: int, **hyper: Any
) -> RuleRun:
    """Run an AdaGrad/RMSProp-shaped ``step(w, s, g, **hyper)`` from ``w0`` (s starts at 0)."""
    return run_step_rule(step, grad_fn, w0, steps, n_state=1, **hyper)


def run_optimizer(optimizer: Optimizer, grad_fn: GradFn, w0: Any, steps: int) -> RuleRun:
    """Run a :mod:`lessons_lib.optimizers` optimizer the same way, for a right-vs-wrong
    comparison on the same problem (its state is reset first)."""
    optimizer.reset()

    def step(w: np.ndarray, g: np.ndarray) -> tuple[np.ndarray]:
        return (optimizer.step(w, np.nan_to_num(g)),)

    return run_step_rule(step, grad_fn, w0, steps)
