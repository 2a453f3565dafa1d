"""Run an optimizer on a 2-D objective and keep the whole path.

One call runs one start point or thousands: ``start`` of shape ``(..., 2)`` gives
paths of shape ``(steps + 1, ..., 2)``. A run that diverges (a non-finite value, or a
point far outside the objective's plot bounds) is stopped there: its later points are
NaN and ``diverged_at`` holds the step. No overflow warnings escape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .functions import Objective
from .optimizers import LookaheadNesterov, Optimizer

__all__ = ["Trajectory", "run", "far_limit"]


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
