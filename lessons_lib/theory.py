r"""Convergence theory of gradient descent and momentum on a quadratic (lesson 03).

On :math:`f(w) = \tfrac12 w^\top A w` with eigenvalues :math:`\mu = \lambda_{min}`,
:math:`L = \lambda_{max}` and condition number :math:`\kappa = L/\mu`, each eigen-direction
evolves on its own. Heavy-ball momentum in the classical form (Keras ``SGD(momentum=beta)``,
learning rate :math:`\eta`),

.. math:: w_{t+1} = w_t - \eta \nabla f(w_t) + \beta (w_t - w_{t-1}),

moves the coordinate :math:`x` along an eigenvector of eigenvalue :math:`\lambda` by

.. math:: \begin{pmatrix} x_{t+1} \\ x_t \end{pmatrix}
          = \underbrace{\begin{pmatrix} 1+\beta-\eta\lambda & -\beta \\ 1 & 0 \end{pmatrix}}_{R}
          \begin{pmatrix} x_t \\ x_{t-1} \end{pmatrix},

so the error shrinks like :math:`r^t` with :math:`r` the largest spectral radius of
:math:`R` over the eigenvalues (``beta = 0`` is plain gradient descent, :math:`r =
\max|1-\eta\lambda|`). Learning rates here are the classical form's :math:`\eta` (Keras'
``learning_rate``); the EWMA form (``EWMAMomentum``) with learning rate :math:`\tilde\eta` is
the same method with :math:`\eta = \tilde\eta(1-\beta)`. Most functions broadcast over array
arguments; :func:`regime` names the behaviour of one direction (numpy only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "REGIMES",
    "critical_momentum",
    "gd_optimal_lr",
    "gd_optimal_rate",
    "gd_rate",
    "iteration_matrix",
    "measured_rate",
    "momentum_optimal",
    "momentum_optimal_rate",
    "regime",
    "roots",
    "spectral_radius",
    "stable_lr_limit",
    "steps_to_tolerance",
]


def _positive(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")
    return arr


def _momentum(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr >= 1)):
        raise ValueError(f"beta (momentum) must be in [0, 1), got {value!r}")
    return arr


def _kappa(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 1):
        raise ValueError(f"kappa (condition number L/mu) must be >= 1, got {value!r}")
    return arr


def _mu_L(mu: Any, L: Any) -> tuple[np.ndarray, np.ndarray]:
    m, big = _positive("mu", mu), _positive("L", L)
    if np.any(m > big):
        raise ValueError(f"mu (smallest eigenvalue) must be <= L (largest), got {mu!r} > {L!r}")
    return m, big


def _scalar(x: np.ndarray) -> Any:
    return x[()] if isinstance(x, np.ndarray) and x.ndim == 0 else x


def gd_optimal_lr(mu: Any, L: Any) -> Any:
    r"""The step size that minimises gradient descent's rate: :math:`\eta^* = 2/(L+\mu)`."""
    m, big = _mu_L(mu, L)
    return _scalar(2 / (big + m))


def gd_rate(lr: Any, eigenvalues: Any) -> Any:
    r"""Gradient descent's rate :math:`r = \max_i |1-\eta\lambda_i|` (< 1 means convergence).

    ``eigenvalues`` lists the curvatures along its last axis; ``lr`` broadcasts against the
    other axes.
    """
    return spectral_radius(lr, 0.0, eigenvalues)


def gd_optimal_rate(kappa: Any) -> Any:
    r"""Gradient descent's best rate :math:`(\kappa-1)/(\kappa+1)`, reached at :math:`\eta^*`."""
    k = _kappa(kappa)
    return _scalar((k - 1) / (k + 1))


def stable_lr_limit(beta: Any, L: Any) -> Any:
    r"""Largest stable step for heavy ball: :math:`\eta < 2(1+\beta)/L` (``beta=0``: 2/L)."""
    return _scalar(2 * (1 + _momentum(beta)) / _positive("L", L))


def momentum_optimal(mu: Any, L: Any) -> tuple[Any, Any]:
    r"""Polyak's optimal heavy-ball step and momentum for eigenvalues in :math:`[\mu, L]`.

    .. math:: \eta^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
              \beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2

    The learning rate is the classical form's (Keras'); the EWMA form's is
    :math:`\tilde\eta^* = \eta^*/(1-\beta^*)`. At :math:`\beta^*` no direction is overdamped:
    the flattest one has a positive double root, the steepest a negative double root, and
    every direction shrinks by :math:`\sqrt{\beta^*}` per step.
    """
    m, big = _mu_L(mu, L)
    s = np.sqrt(big / m)
    return _scalar(4 / (np.sqrt(big) + np.sqrt(m)) ** 2), _scalar(((s - 1) / (s + 1)) ** 2)


def momentum_optimal_rate(kappa: Any) -> Any:
    r"""Heavy ball's best rate :math:`r^* = (\sqrt\kappa-1)/(\sqrt\kappa+1) = \sqrt{\beta^*}`."""
    s = np.sqrt(_kappa(kappa))
    return _scalar((s - 1) / (s + 1))


def critical_momentum(lr: Any, eigenvalue: Any) -> Any:
    r"""The momentum that critically damps the direction of curvature :math:`\lambda` (both
    roots of :math:`R` equal): :math:`\beta = (1-\sqrt{\eta\lambda})^2`.

    For :math:`\eta\lambda < 1` the double root is :math:`+\sqrt\beta`; less momentum
    gives two positive real roots (the coordinate slides in without changing sign more than
    once). For :math:`1 < \eta\lambda < 4` the same number, better read as
    :math:`\beta = (\sqrt{\eta\lambda}-1)^2`, gives a *negative* double root
    :math:`-\sqrt\beta`; less momentum gives two negative real roots (the coordinate flips
    sign every step). More momentum than critical gives complex roots on the circle
    :math:`|z| = \sqrt\beta` in both cases. Values :math:`\ge 1` (:math:`\eta\lambda \ge 4`)
    are no valid momentum: there no :math:`\beta \in [0, 1)` makes a double root.
    """
    return _scalar((1 - np.sqrt(_positive("lr", lr) * _positive("eigenvalue", eigenvalue))) ** 2)


REGIMES = ("monotone", "one step", "ripples", "sign flips", "diverges")
"""The five behaviours of one direction, named by its roots (the five regions of the map in
Goh, "Why Momentum Really Works", Distill 2017)."""


def roots(lr: float, beta: float, eigenvalue: float) -> np.ndarray:
    r"""The two roots of :math:`z^2 - (1+\beta-\eta\lambda) z + \beta = 0` (the eigenvalues
    of :math:`R`), complex dtype, the larger absolute value first."""
    a, b = _positive("lr", lr), _momentum(beta)
    lam = _positive("eigenvalue", eigenvalue)
    if a.ndim or b.ndim or lam.ndim:
        raise ValueError("roots takes scalars lr, beta, eigenvalue; use spectral_radius for grids")
    c = 1 + float(b) - float(a) * float(lam)
    root = np.sqrt(complex(c * c - 4 * float(b)))
    z = np.array([(c + root) / 2, (c - root) / 2])
    return z[np.argsort(-np.abs(z), kind="stable")]


def regime(lr: float, beta: float, eigenvalue: float, tol: float = 1e-9) -> str:
    r"""How the coordinate along one direction behaves, one of :data:`REGIMES`.

    The roots :math:`z_{1,2}` of :math:`z^2 - c z + \beta`, :math:`c = 1+\beta-\eta\lambda`,
    have product :math:`\beta \ge 0`, so real roots share one sign, the sign of :math:`c`:

    * ``"diverges"``: :math:`\max|z| \ge 1`, i.e. :math:`\eta\lambda \ge 2(1+\beta)` (at
      equality the coordinate neither grows nor shrinks; beyond it grows);
    * ``"monotone"``: two real roots :math:`\ge 0` (overdamped when distinct, critically damped
      when equal): no oscillation, the sign changes at most once;
    * ``"one step"``: both roots 0 (:math:`\beta = 0`, :math:`\eta\lambda = 1`): the coordinate
      is 0 after one step;
    * ``"ripples"``: complex roots, :math:`|z| = \sqrt\beta` (underdamped): oscillation;
    * ``"sign flips"``: two real roots :math:`\le 0`: the coordinate changes sign every step
      (with at most one exception) while it shrinks (Distill's "monotonic oscillations").

    A discriminant :math:`c^2 - 4\beta` within ``tol`` of 0 counts as a double (real) root.
    """
    z = roots(lr, beta, eigenvalue)
    if abs(z[0]) >= 1:
        return "diverges"
    c = 1 + float(beta) - float(lr) * float(eigenvalue)
    if c * c - 4 * float(beta) < -tol:
        return "ripples"
    if abs(c) <= tol and float(beta) <= tol:
        return "one step"
    return "monotone" if c > 0 else "sign flips"


def iteration_matrix(lr: Any, beta: Any, eigenvalue: Any) -> np.ndarray:
    r"""The 2x2 matrix :math:`R` mapping :math:`(x_t, x_{t-1})` to :math:`(x_{t+1}, x_t)`,
    shape ``broadcast(lr, beta, eigenvalue) + (2, 2)``."""
    a, b = _positive("lr", lr), _momentum(beta)
    lam = _positive("eigenvalue", eigenvalue)
    top = 1 + b - a * lam
    shape = np.broadcast_shapes(a.shape, b.shape, lam.shape)
    R = np.zeros(shape + (2, 2))
    R[..., 0, 0], R[..., 0, 1], R[..., 1, 0] = top, -b, 1.0
    return R


def spectral_radius(lr: Any, beta: Any, eigenvalues: Any) -> Any:
    r"""Asymptotic rate of heavy ball: :math:`r = \max_\lambda \max|z|` over the roots of
    :math:`z^2 - (1+\beta-\eta\lambda) z + \beta = 0` (eigenvalues of :math:`R`).

    ``eigenvalues`` lists the curvatures along its last axis (a scalar is one curvature);
    ``lr`` and ``beta`` broadcast against each other, so a whole grid is one call.
    Values >= 1 mean the method does not converge.
    """
    a, b = _positive("lr", lr), _momentum(beta)
    lam = _positive("eigenvalues", eigenvalues)
    lam = lam.reshape(lam.shape or (1,))
    c = 1 + b[..., None] - a[..., None] * lam  # trace of R, per eigenvalue
    root = np.sqrt((c * c - 4 * b[..., None]).astype(complex))
    rho = np.maximum(np.abs(c + root), np.abs(c - root)) / 2
    return _scalar(rho.max(axis=-1))


def steps_to_tolerance(rate: Any, tol: float = 1e-6) -> Any:
    r"""About how many steps shrink the error by ``tol`` at ``rate``:
    :math:`\lceil\ln tol/\ln r\rceil` (infinite for ``rate >= 1``)."""
    if not 0 < tol < 1:
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    r = np.asarray(rate, dtype=float)
    if np.any(~(r >= 0)):
        raise ValueError(f"rate must be >= 0, got {rate!r}")
    with np.errstate(divide="ignore"):
        out = np.where(r < 1, np.log(tol) / np.log(np.clip(r, 1e-300, None)), np.inf)
    return _scalar(np.where(r < 1, np.ceil(out), np.inf))


def measured_rate(points: Any, minimum: Any = (0.0, 0.0)) -> Any:
    r"""The rate per step read off runs, to compare with the theory's.

    ``points`` has shape ``(K+1, ..., 2)`` (a runner's ``Trajectory.points``). With ``e`` the
    distance to ``minimum``, the rate is :math:`(e_{late}/e_{mid})^{1/(K-K/2)}`, where each
    ``e`` is the largest in a window of ``K/6`` steps ending at step ``K/2`` or ``K`` (the
    window spans oscillations). NaN for runs with NaN points (diverged), 0 for runs already
    at the minimum by step ``K/2``.
    """
    dist = np.linalg.norm(np.asarray(points, dtype=float) - np.asarray(minimum, float), axis=-1)
    K = dist.shape[0] - 1
    if K < 12:
        raise ValueError(f"points must hold runs of at least 12 steps, got {K}")
    mid, window = K // 2, max(K // 6, 1)
    early = np.nan_to_num(dist[mid - window : mid + 1], nan=np.inf).max(axis=0)
    late = np.nan_to_num(dist[K - window :], nan=np.inf).max(axis=0)
    with np.errstate(all="ignore"):
        rate = np.where(early < 1e-250, 0.0, (late / early) ** (1.0 / (K - mid)))
    return _scalar(np.where(np.isnan(dist).any(axis=0), np.nan, rate))
