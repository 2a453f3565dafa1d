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

from .rules._base import check_value

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
    "Regression",
    "regression_problem",
    "real",
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

    @property
    def f_star(self) -> float:
        r""":math:`f^\star`, the value at the lowest of the minima."""
        return min(float(self(np.array(m, dtype=float))) for m in self.minima)

    def gap(self, losses: Any, floor: float = 1e-16) -> np.ndarray:
        r""":math:`f(w_t) - f^\star` for the given losses, floored at ``floor`` (so that a
        log scale can draw a run that reached the minimum); NaN (a stopped run) stays NaN."""
        with np.errstate(invalid="ignore"):
            return np.maximum(np.asarray(losses, dtype=float) - self.f_star, floor)

    def grid(self, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``X, Y, Z`` on an ``n x n`` grid over the bounds, ready for ``contour``."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"n (grid points per axis) must be a whole number >= 2, got {n!r}")
        (x0, x1), (y0, y1) = self.bounds
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        return X, Y, self(np.stack([X, Y], axis=-1))


def real(name: str, value: Any, spec: str, what: str) -> float:
    """``value`` as one float in the interval ``spec`` (e.g. ``"(0, inf)"``), checked by the
    library's one validator (:func:`lessons_lib.rules.check_value`); the error names
    ``what`` the number is."""
    checked = check_value(f"{name} ({what})", value, spec)
    if isinstance(checked, np.ndarray):
        raise ValueError(f"{name} ({what}) must be one number, got an array of shape "
                         f"{checked.shape}")  # fmt: skip
    return checked


def _points(p: Any) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2) for (x, y), got shape {p.shape}")
    return p


def _pair(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Stack x- and y-components on a new last axis (like ``np.stack(..., axis=-1)``,
    but about 4x faster for large batches, which the runner's benchmark notices)."""
    out = np.empty(np.broadcast_shapes(np.shape(gx), np.shape(gy)) + (2,))
    out[..., 0], out[..., 1] = gx, gy
    return out


def quadratic(kappa: float = 10.0, L: float = 1.0) -> Objective:
    r"""Elongated bowl :math:`f = \tfrac12(\lambda_1 x^2 + \lambda_2 y^2)` with
    :math:`\lambda_2 = L` (steepest) and :math:`\lambda_1 = L/\kappa`; condition number
    :math:`\kappa`. Gradient descent is stable for :math:`\eta < 2/L`."""
    kappa = real("kappa", kappa, "[1, inf)", "condition number")
    L = real("L", L, "(0, inf)", "largest curvature")
    lam = np.array([L / kappa, L])
    return Objective(
        name="quadratic",
        f=lambda p: 0.5 * (lam[0] * p[..., 0] ** 2 + lam[1] * p[..., 1] ** 2),
        grad_f=lambda p: _pair(lam[0] * p[..., 0], lam[1] * p[..., 1]),
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
    return _pair(-2 * (a - x) - 4 * b * x * (y - x * x), 2 * b * (y - x * x))


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
    return _pair(gx, gy)


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
        return _pair(2 * x, y**3 - y)

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
        return _pair(4 * x * a + 2 * b, 2 * a + 4 * y * b)

    minima = (
        (3.0, 2.0),
        (-2.805118086953, 3.131312518251),
        (-3.779310253378, -3.283185991286),
        (3.584428340330, -1.848126526964),
    )
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
    sigma = real("sigma", sigma, "[0, inf)", "gradient noise std")
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


# --------------------------------------------------------------------------- a regression
@dataclass(frozen=True)
class Regression:
    r"""Least squares :math:`L(w) = \frac{s}{2n}\|Xw - y\|^2` on a small made-up dataset
    (``s`` = ``scale``: a smaller scale means smaller gradients, the same minimum)."""

    X: np.ndarray
    y: np.ndarray
    scale: float = 1.0

    @property
    def w0(self) -> np.ndarray:
        return np.zeros(self.X.shape[1])

    def loss(self, w: Any) -> np.ndarray:
        r = np.asarray(w, dtype=float) @ self.X.T - self.y
        return 0.5 * self.scale * np.mean(r * r, axis=-1)

    def grad(self, w: Any) -> np.ndarray:
        r = np.asarray(w, dtype=float) @ self.X.T - self.y
        return self.scale * (r @ self.X) / len(self.y)


def regression_problem(
    n: int = 64, dead_feature: bool = True, scale: float = 1.0, seed: int = 0
) -> Regression:
    """Two informative features and, with ``dead_feature``, a third that is 0 in every
    example (like a border pixel that is black in every image): its gradient is always 0.
    ``scale`` multiplies the loss and so every gradient."""
    scale = real("scale", scale, "(0, inf)", "loss multiplier")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([1.0, 0.3, 0.0])
    y = X[:, :2] @ np.array([2.0, -3.0]) + 0.1 * rng.normal(size=n)
    return Regression(X if dead_feature else X[:, :2], y, float(scale))
