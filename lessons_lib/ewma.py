r"""Exponentially weighted moving averages (EWMA) and their bias correction.

The recursion every momentum-style optimizer uses:

.. math:: m_0 = 0, \qquad m_t = \beta m_{t-1} + (1-\beta) x_t
          = (1-\beta) \sum_{i=1}^{t} \beta^{t-i} x_i

(the course writes an EWMA of gradients as :math:`m_t`, Adam's first moment).

The weights :math:`(1-\beta)\beta^{t-i}` sum to :math:`1-\beta^t`, not 1, so early
values are pulled towards 0. Dividing by :math:`1-\beta^t` (bias correction, as in
Adam) makes the weights sum to one.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["ewma", "ewma_weights", "bias_correction", "effective_window"]


def _check_beta(beta: Any) -> np.ndarray:
    message = f"beta must be a number in [0, 1) (or an array of them), got {beta!r}"
    if isinstance(beta, (bool, np.bool_, str, bytes)) or beta is None:
        raise ValueError(message)
    try:
        b = np.asarray(beta, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not np.all(np.isfinite(b)) or np.any((b < 0) | (b >= 1)):
        raise ValueError(message)
    return b


def ewma(x: Any, beta: Any, bias_correction: bool = False) -> np.ndarray:
    r"""EWMA of the series ``x`` along axis 0: :math:`m_t = \beta m_{t-1} + (1-\beta)x_t`.

    ``x`` has shape ``(T, ...)``; ``beta`` broadcasts against ``x[0]`` (an array of betas
    averages the same series several ways at once: ``x`` of shape ``(T,)`` and betas of
    shape ``(k,)`` give ``(T, k)``). With ``bias_correction`` each
    :math:`m_t` is divided by :math:`1-\beta^t` (t counted from 1).
    Returns an array of shape ``(T,) + broadcast(x[0], beta)``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        raise ValueError("x must be a series (at least one axis of time), got a scalar")
    b = _check_beta(beta)
    try:
        value_shape = np.broadcast_shapes(x.shape[1:], b.shape)
    except ValueError:
        raise ValueError(
            f"beta of shape {b.shape} must broadcast against one step x[t] of shape "
            f"{x.shape[1:]}"
        ) from None
    out = np.empty(x.shape[:1] + value_shape)
    v = np.zeros(value_shape)
    for t in range(x.shape[0]):
        v = b * v + (1 - b) * x[t]
        out[t] = v
    if bias_correction:
        steps = np.arange(1, x.shape[0] + 1).reshape((-1,) + (1,) * len(value_shape))
        out /= 1 - b**steps
    return out


def ewma_weights(beta: float, t: int) -> np.ndarray:
    r"""The weights :math:`(1-\beta)\beta^{t-i}` (i = 1..t) that :math:`m_t` gives :math:`x_i`."""
    b = float(_check_beta(beta))
    if isinstance(t, bool) or not isinstance(t, numbers.Real) or t < 1 or t != int(t):
        raise ValueError(f"t must be a step count >= 1, got {t!r}")
    return (1 - b) * b ** np.arange(int(t) - 1, -1, -1)


def bias_correction(beta: Any, t: Any) -> np.ndarray:
    r"""The factor :math:`1-\beta^t` that bias-corrected averages divide by."""
    return 1 - _check_beta(beta) ** np.asarray(t, dtype=float)


def effective_window(beta: Any) -> np.ndarray:
    r"""About how many recent steps an EWMA averages over: :math:`1/(1-\beta)`."""
    return 1 / (1 - _check_beta(beta))
