r"""Convergence theory of gradient descent and momentum on a quadratic (lesson 03).

On :math:`f(w) = \tfrac12 w^\top A w` with eigenvalues :math:`\mu = \lambda_{min}`,
:math:`L = \lambda_{max}` and condition number :math:`\kappa = L/\mu`, each eigen-direction
evolves on its own. Heavy-ball momentum in the classical form (Keras ``SGD(momentum=beta)``),

.. math:: w_{k+1} = w_k - \alpha \nabla f(w_k) + \beta (w_k - w_{k-1}),

moves the coordinate :math:`x` along an eigenvector of eigenvalue :math:`\lambda` by

.. math:: \begin{pmatrix} x_{k+1} \\ x_k \end{pmatrix}
          = \underbrace{\begin{pmatrix} 1+\beta-\alpha\lambda & -\beta \\ 1 & 0 \end{pmatrix}}_{R}
          \begin{pmatrix} x_k \\ x_{k-1} \end{pmatrix},

so the error shrinks like :math:`\rho^k` with :math:`\rho` the largest spectral radius of
:math:`R` over the eigenvalues (``beta = 0`` is plain gradient descent, :math:`\rho =
\max|1-\alpha\lambda|`). Learning rates here are the classical form's :math:`\alpha`; the EWMA
form (``EWMAMomentum``) with learning rate :math:`\eta` is the same method with
:math:`\alpha = \eta(1-\beta)`. All functions broadcast over array arguments (numpy only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "critical_momentum",
    "gd_optimal_lr",
    "gd_optimal_rate",
    "gd_rate",
    "iteration_matrix",
    "measured_rate",
    "momentum_optimal",
    "momentum_optimal_rate",
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
    r"""The step size that minimises gradient descent's rate: :math:`\alpha^* = 2/(L+\mu)`."""
    m, big = _mu_L(mu, L)
    return _scalar(2 / (big + m))


def gd_rate(lr: Any, eigenvalues: Any) -> Any:
    r"""Gradient descent's rate :math:`\max_i |1-\alpha\lambda_i|` (< 1 means convergence).

    ``eigenvalues`` lists the curvatures along its last axis; ``lr`` broadcasts against the
    other axes.
    """
    return spectral_radius(lr, 0.0, eigenvalues)


def gd_optimal_rate(kappa: Any) -> Any:
    r"""Gradient descent's best rate :math:`(\kappa-1)/(\kappa+1)`, reached at :math:`\alpha^*`."""
    k = _kappa(kappa)
    return _scalar((k - 1) / (k + 1))


def stable_lr_limit(beta: Any, L: Any) -> Any:
    r"""Largest stable step for heavy ball: :math:`\alpha < 2(1+\beta)/L` (``beta=0``: 2/L)."""
    return _scalar(2 * (1 + _momentum(beta)) / _positive("L", L))


def momentum_optimal(mu: Any, L: Any) -> tuple[Any, Any]:
    r"""Polyak's optimal heavy-ball step and momentum for eigenvalues in :math:`[\mu, L]`.

    .. math:: \alpha^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
              \beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2

    ``alpha`` is the classical form's learning rate; the EWMA form's is
    :math:`\alpha^*/(1-\beta^*)`.
    """
    m, big = _mu_L(mu, L)
    s = np.sqrt(big / m)
    return _scalar(4 / (np.sqrt(big) + np.sqrt(m)) ** 2), _scalar(((s - 1) / (s + 1)) ** 2)


def momentum_optimal_rate(kappa: Any) -> Any:
    r"""Heavy ball's best rate :math:`(\sqrt\kappa-1)/(\sqrt\kappa+1) = \sqrt{\beta^*}`."""
    s = np.sqrt(_kappa(kappa))
    return _scalar((s - 1) / (s + 1))


def critical_momentum(lr: Any, eigenvalue: Any) -> Any:
    r"""The momentum that critically damps the direction of curvature :math:`\lambda`:
    :math:`\beta = (1-\sqrt{\alpha\lambda})^2` (both roots of :math:`R` equal).

    Less momentum: overdamped (slow, no oscillation); more: underdamped (oscillates with
    rate :math:`\sqrt\beta`). Meaningful for :math:`\alpha\lambda \le 1`.
    """
    return _scalar((1 - np.sqrt(_positive("lr", lr) * _positive("eigenvalue", eigenvalue))) ** 2)


def iteration_matrix(lr: Any, beta: Any, eigenvalue: Any) -> np.ndarray:
    r"""The 2x2 matrix :math:`R` mapping :math:`(x_k, x_{k-1})` to :math:`(x_{k+1}, x_k)`,
    shape ``broadcast(lr, beta, eigenvalue) + (2, 2)``."""
    a, b = _positive("lr", lr), _momentum(beta)
    lam = _positive("eigenvalue", eigenvalue)
    top = 1 + b - a * lam
    shape = np.broadcast_shapes(a.shape, b.shape, lam.shape)
    R = np.zeros(shape + (2, 2))
    R[..., 0, 0], R[..., 0, 1], R[..., 1, 0] = top, -b, 1.0
    return R


def spectral_radius(lr: Any, beta: Any, eigenvalues: Any) -> Any:
    r"""Asymptotic rate of heavy ball: :math:`\max_\lambda \max|z|` over the roots of
    :math:`z^2 - (1+\beta-\alpha\lambda) z + \beta = 0` (eigenvalues of :math:`R`).

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
    r"""About how many steps shrink the error by ``tol`` at ``rate``: :math:`\ln tol/\ln\rho`
    (infinite for ``rate >= 1``)."""
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
