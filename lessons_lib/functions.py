"""Two-dimensional test objectives with analytic gradients, for drawing optimizer paths.

Every objective takes points of shape ``(..., 2)`` (last axis = ``(x, y)``) and returns
values of shape ``(...)`` and gradients of shape ``(..., 2)``, so a whole grid of
points or a batch of runs is one call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Objective",
    "quadratic",
    "rosenbrock",
    "beale",
    "saddle",
    "himmelblau",
    "noisy",
    "OBJECTIVES",
    "get_objective",
]

Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Objective:
    """A 2-D function, its gradient, where its minima are, where to start and what to plot."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad_f: Callable[[np.ndarray], np.ndarray]
    minima: tuple[tuple[float, float], ...]
    start: tuple[float, float]
    bounds: Bounds
    formula: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    def __call__(self, p: Any) -> np.ndarray:
        return self.f(_points(p))

    def grad(self, p: Any) -> np.ndarray:
        return self.grad_f(_points(p))

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z`` on an ``n x n`` grid over the bounds, ready for ``contour``."""
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self(np.stack([X, Y], axis=-1))


def _points(p: Any) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2) for (x, y), got shape {p.shape}")
    return p


def quadratic(kappa: float = 10.0, L: float = 1.0) -> Objective:
    r"""Elongated bowl :math:`f = \tfrac12(\lambda_1 x^2 + \lambda_2 y^2)` with
    :math:`\lambda_2 = L` (steepest) and :math:`\lambda_1 = L/\kappa`; condition number
    :math:`\kappa`. Gradient descent is stable for :math:`\eta < 2/L`."""
    if not (np.isfinite(kappa) and kappa >= 1):
        raise ValueError(f"kappa (condition number) must be >= 1, got {kappa!r}")
    if not (np.isfinite(L) and L > 0):
        raise ValueError(f"L (largest curvature) must be > 0, got {L!r}")
    lam = np.array([L / kappa, L])
    return Objective(
        name="quadratic",
        f=lambda p: 0.5 * np.sum(lam * p * p, axis=-1),
        grad_f=lambda p: lam * p,
        minima=((0.0, 0.0),),
        start=(-9.0, 2.5),
        bounds=((-10.0, 10.0), (-4.0, 4.0)),
        formula=rf"$f = \frac{{1}}{{2}}({L / kappa:g}\,x^2 + {L:g}\,y^2)$",
        notes={"kappa": float(kappa), "L": float(L), "eigenvalues": tuple(lam)},
    )


def _rosenbrock_f(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    return (a - x) ** 2 + b * (y - x * x) ** 2


def _rosenbrock_grad(p: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x)], axis=-1)


def rosenbrock() -> Objective:
    r"""Rosenbrock's banana valley :math:`(1-x)^2 + 100(y-x^2)^2`, minimum at (1, 1)."""
    return Objective(
        "rosenbrock",
        _rosenbrock_f,
        _rosenbrock_grad,
        ((1.0, 1.0),),
        start=(-1.5, 2.0),
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
        formula=r"$f = (1-x)^2 + 100\,(y-x^2)^2$",
    )


_BEALE_C = (1.5, 2.25, 2.625)


def _beale_f(p: np.ndarray) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    return sum((c - x + x * y**k) ** 2 for k, c in enumerate(_BEALE_C, start=1))


def _beale_grad(p: np.ndarray) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    gx = np.zeros_like(x)
    gy = np.zeros_like(y)
    for k, c in enumerate(_BEALE_C, start=1):
        r = c - x + x * y**k
        gx = gx + 2 * r * (y**k - 1)
        gy = gy + 2 * r * k * x * y ** (k - 1)
    return np.stack([gx, gy], axis=-1)


def beale() -> Objective:
    r"""Beale's function, flat plateaus and a curved valley; minimum at (3, 0.5)."""
    return Objective(
        "beale",
        _beale_f,
        _beale_grad,
        ((3.0, 0.5),),
        start=(1.0, 1.4),
        bounds=((-4.5, 4.5), (-4.5, 4.5)),
        formula=r"$f = \sum_{k=1}^{3} (c_k - x + x y^k)^2,\ c = (1.5, 2.25, 2.625)$",
    )


def saddle() -> Objective:
    r"""A saddle at (0, 0) between two minima at (0, +-1):
    :math:`f = x^2 + \tfrac14 y^4 - \tfrac12 y^2`. Started near :math:`y = 0`, plain
    gradient descent crawls past the saddle; momentum escapes sooner."""

    def f(p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return x * x + 0.25 * y**4 - 0.5 * y * y

    def grad(p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return np.stack([2 * x, y**3 - y], axis=-1)

    return Objective(
        "saddle",
        f,
        grad,
        ((0.0, 1.0), (0.0, -1.0)),
        start=(-1.5, 1e-3),
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
        formula=r"$f = x^2 + \frac{1}{4}y^4 - \frac{1}{2}y^2$",
        notes={"saddle_point": (0.0, 0.0)},
    )


def himmelblau() -> Objective:
    r"""Himmelblau's function :math:`(x^2+y-11)^2 + (x+y^2-7)^2`, four minima (f = 0)."""

    def f(p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        a, b = x * x + y - 11, x + y * y - 7
        return np.stack([4 * x * a + 2 * b, 2 * a + 4 * y * b], axis=-1)

    minima = ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126))
    return Objective(
        "himmelblau",
        f,
        grad,
        minima,
        start=(-0.5, -0.5),
        bounds=((-5.0, 5.0), (-5.0, 5.0)),
        formula=r"$f = (x^2+y-11)^2 + (x+y^2-7)^2$",
    )


def noisy(base: Objective, sigma: float = 1.0, seed: int = 0) -> Objective:
    """``base`` with Gaussian noise of std ``sigma`` added to every gradient (a stand-in
    for minibatch noise in SGD). The noise stream is seeded: the same seed, the same run."""
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma (gradient noise std) must be >= 0, got {sigma!r}")
    rng = np.random.default_rng(seed)

    def grad(p: np.ndarray) -> np.ndarray:
        return base.grad_f(p) + sigma * rng.standard_normal(p.shape)

    return Objective(
        f"noisy {base.name}",
        base.f,
        grad,
        base.minima,
        base.start,
        base.bounds,
        base.formula,
        {**base.notes, "sigma": sigma, "seed": seed},
    )


OBJECTIVES: dict[str, Callable[[], Objective]] = {
    "quadratic": quadratic,
    "rosenbrock": rosenbrock,
    "beale": beale,
    "saddle": saddle,
    "himmelblau": himmelblau,
}


def get_objective(name: str) -> Objective:
    """The objective called ``name`` with its default settings."""
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; choose one of {sorted(OBJECTIVES)}")
    return OBJECTIVES[name]()
