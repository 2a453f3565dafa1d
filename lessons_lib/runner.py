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


def run(
    optimizer: Optimizer,
    objective: Objective,
    start: Any = None,
    steps: int = 100,
    reset: bool = True,
) -> Trajectory:
    """Apply ``optimizer`` to ``objective`` for ``steps`` steps from ``start``.

    ``start`` defaults to the objective's own; shape ``(..., 2)`` runs a batch. With
    ``reset`` (default) the optimizer's state is cleared first.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    w = np.asarray(objective.start if start is None else start, dtype=float)
    if w.ndim == 0 or w.shape[-1] != 2 or not np.all(np.isfinite(w)):
        raise ValueError(f"start must be finite points of shape (..., 2), got {start!r}")
    if reset:
        optimizer.reset()
    (x0, x1), (y0, y1) = objective.bounds
    centre, limit = np.array([(x0 + x1) / 2, (y0 + y1) / 2]), far_limit(objective)
    batch = np.broadcast_shapes(
        w.shape[:-1],
        np.shape(optimizer.learning_rate)[:-1] if np.ndim(optimizer.learning_rate) else (),
    )
    w = np.broadcast_to(w, batch + (2,)).copy()
    points = np.full((steps + 1,) + w.shape, np.nan)
    losses = np.full((steps + 1,) + batch, np.nan)
    diverged_at = np.full(batch, -1)
    with np.errstate(all="ignore"):
        points[0], losses[0] = w, objective(w)
        alive = np.ones(batch, dtype=bool)
        for k in range(1, steps + 1):
            if isinstance(optimizer, LookaheadNesterov):

                def grad(p: np.ndarray, _alive: np.ndarray = alive) -> np.ndarray:
                    return np.where(_alive[..., None], objective.grad(p), 0.0)

                new = optimizer.step(w, grad)
            else:
                g = np.where(alive[..., None], objective.grad(w), 0.0)
                new = optimizer.step(w, np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0))
            loss = objective(new)
            bad = alive & ~(
                np.all(np.isfinite(new), axis=-1)
                & np.isfinite(loss)
                & (np.max(np.abs(new - centre), axis=-1) <= limit)
            )
            diverged_at[bad] = k
            alive &= ~bad
            w = np.where(alive[..., None], new, w)
            points[k] = np.where(alive[..., None], w, np.nan)
            losses[k] = np.where(alive, loss, np.nan)
            if not alive.any():
                break
    return Trajectory(points, losses, diverged_at)
