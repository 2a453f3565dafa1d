r"""WRONG update rules found in published tutorials, kept here so the lessons can run them.

Every function in this module is *deliberately incorrect*. Each docstring says what is
wrong and what the correct rule is. Lesson 06 runs them beside the right rule to show
the damage, and :mod:`lessons_lib.checks` uses them to name a learner's mistake.
Do not use them for anything else.

The step functions have the same signatures as the lessons' exercises:

* Adam family: ``(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon) -> (w, m, v)``
* AdaGrad / RMSProp: ``(w, s, g, learning_rate, [rho,] epsilon) -> (w, s)``

For comparison, the correct Adam step (Kingma & Ba, 2015, Algorithm 1) is
:func:`adam_step_paper` and the correct unrolled momentum sum is
:func:`momentum_unrolled`. Everything here is numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "adam_step_paper",
    "adam_step_divides_by_sqrt_eps",
    "adam_step_no_correction_eps_inside",
    "adam_step_no_bias_correction",
    "adam_step_eps_inside_sqrt",
    "adam_step_beta2_099",
    "adagrad_step_no_eps",
    "rmsprop_step_no_eps",
    "momentum_unrolled",
    "momentum_unrolled_over_velocities",
    "run_adam_rule",
    "run_accumulator_rule",
    "run_optimizer",
    "RuleRun",
    "Regression",
    "regression_problem",
]

Array = np.ndarray

#: the wrong rules produce inf/NaN on purpose; keep numpy from printing warnings about it
_quiet = np.errstate(all="ignore")


def _moments(m: Any, v: Any, g: Any, beta_1: float, beta_2: float) -> tuple[Array, Array]:
    """The two EWMAs every Adam variant here shares (these lines are correct)."""
    g = np.asarray(g, dtype=float)
    m = beta_1 * np.asarray(m, dtype=float) + (1 - beta_1) * g
    v = beta_2 * np.asarray(v, dtype=float) + (1 - beta_2) * g * g
    return m, v


# --------------------------------------------------------------------------- the right one
@_quiet
def adam_step_paper(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""CORRECT (for comparison): Adam as printed in Algorithm 1 of Kingma & Ba.

    :math:`\hat m = m/(1-\beta_1^t),\ \hat v = v/(1-\beta_2^t),\
    w \leftarrow w - \eta\,\hat m/(\sqrt{\hat v} + \epsilon)`
    """
    m, v = _moments(m, v, g, beta_1, beta_2)
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return np.asarray(w, dtype=float) - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


# --------------------------------------------------------------------------- wrong Adam steps
@_quiet
def adam_step_divides_by_sqrt_eps(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""WRONG: :math:`w - \frac{\eta}{\sqrt v}\cdot\frac{m}{\sqrt\epsilon}`, no bias correction.

    Epsilon is meant to be *added* to the denominator as a safety margin; here the step is
    *divided* by :math:`\sqrt\epsilon`, so with :math:`\epsilon = 10^{-8}` every step is
    :math:`10^4` times too long, and a coordinate with :math:`v = 0` gives 0/0 = NaN.
    Correct: :func:`adam_step_paper`.
    """
    m, v = _moments(m, v, g, beta_1, beta_2)
    return np.asarray(w, dtype=float) - learning_rate / np.sqrt(v) * m / np.sqrt(epsilon), m, v


@_quiet
def adam_step_no_correction_eps_inside(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""WRONG (a different algorithm, not Adam): :math:`w - \eta\, m/\sqrt{v + \epsilon}`.

    No bias correction and epsilon inside the square root. Early steps are too long by
    about :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}` (3.2x at t = 1 with the defaults), and
    for small gradients :math:`\sqrt{\epsilon}` (not :math:`\epsilon`) caps the step.
    Correct: :func:`adam_step_paper`.
    """
    m, v = _moments(m, v, g, beta_1, beta_2)
    return np.asarray(w, dtype=float) - learning_rate * m / np.sqrt(v + epsilon), m, v


@_quiet
def adam_step_no_bias_correction(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""WRONG: :math:`w - \eta\, m/(\sqrt v + \epsilon)`, the moments not bias-corrected.

    Correct: divide by :math:`1-\beta_1^t` and :math:`1-\beta_2^t` (:func:`adam_step_paper`).
    """
    m, v = _moments(m, v, g, beta_1, beta_2)
    return np.asarray(w, dtype=float) - learning_rate * m / (np.sqrt(v) + epsilon), m, v


@_quiet
def adam_step_eps_inside_sqrt(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""WRONG for Adam: :math:`w - \eta\,\hat m/\sqrt{\hat v + \epsilon}` (epsilon inside).

    Keras puts epsilon inside the root for AdaGrad and RMSProp, but Adam (paper, Keras,
    PyTorch) adds it outside: :math:`\sqrt{\hat v} + \epsilon` (:func:`adam_step_paper`).
    """
    m, v = _moments(m, v, g, beta_1, beta_2)
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return np.asarray(w, dtype=float) - learning_rate * m_hat / np.sqrt(v_hat + epsilon), m, v


def adam_step_beta2_099(
    w: Any,
    m: Any,
    v: Any,
    g: Any,
    t: int,
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
) -> tuple[Array, Array, Array]:
    r"""WRONG default: ``beta_2`` hard-coded to 0.99 (the paper recommends 0.999).

    The argument ``beta_2`` is ignored on purpose, as in code that copied the wrong
    constant. With 0.99 the second moment averages about 100 steps instead of 1000.
    """
    return adam_step_paper(w, m, v, g, t, learning_rate, beta_1, 0.99, epsilon)


# --------------------------------------------------------------------------- no epsilon
@_quiet
def adagrad_step_no_eps(
    w: Any, s: Any, g: Any, learning_rate: float, epsilon: float
) -> tuple[Array, Array]:
    r"""WRONG: AdaGrad without epsilon, :math:`w - \eta\, g/\sqrt{s}` (``epsilon`` ignored).

    A coordinate whose gradient has always been 0 has :math:`s = 0`, and 0/0 = NaN
    poisons the weights. Correct (Keras): :math:`w - \eta\, g/\sqrt{s + \epsilon}`.
    """
    g = np.asarray(g, dtype=float)
    s = np.asarray(s, dtype=float) + g * g
    return np.asarray(w, dtype=float) - learning_rate * g / np.sqrt(s), s


@_quiet
def rmsprop_step_no_eps(
    w: Any, s: Any, g: Any, learning_rate: float, rho: float, epsilon: float
) -> tuple[Array, Array]:
    r"""WRONG: RMSProp without epsilon, :math:`w - \eta\, g/\sqrt{s}` (``epsilon`` ignored).

    Same failure as :func:`adagrad_step_no_eps` when a gradient component stays 0.
    Correct (Keras): :math:`w - \eta\, g/\sqrt{s + \epsilon}`.
    """
    g = np.asarray(g, dtype=float)
    s = rho * np.asarray(s, dtype=float) + (1 - rho) * g * g
    return np.asarray(w, dtype=float) - learning_rate * g / np.sqrt(s), s


# --------------------------------------------------------------------------- unrolled momentum
def momentum_unrolled(grads: Any, beta: float) -> Array:
    r"""CORRECT: :math:`v_k = \sum_{i=1}^{k} \beta^{k-i}(1-\beta)\, g_i` for every k.

    ``grads`` has shape ``(T, ...)``; returns ``v`` of the same shape (``v_0 = 0``).
    """
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    g = np.asarray(grads, dtype=float)
    k = np.arange(len(g))
    lag = k[:, None] - k[None, :]
    weights = np.where(lag >= 0, (1 - beta) * beta ** np.maximum(lag, 0), 0.0)
    return np.tensordot(weights, g, axes=1)


def momentum_unrolled_over_velocities(grads: Any, beta: float) -> Array:
    r"""WRONG: sums past *velocities*, :math:`\sum_i \beta^{k-i}(1-\beta)\, v_i`.

    Unrolling :math:`v_k = \beta v_{k-1} + (1-\beta) g_k` gives a weighted sum of past
    *gradients*; summing the velocities instead averages twice (a smoother, later curve).
    Correct: :func:`momentum_unrolled`.
    """
    return momentum_unrolled(momentum_unrolled(grads, beta), beta)


# --------------------------------------------------------------------------- running a rule
class RuleRun:
    """Path of a step rule: ``points`` (steps+1, n) and ``broke_at`` (first step whose
    parameters were not finite, -1 if none). The run stops there: ``points[broke_at]``
    holds the broken parameters, later rows are NaN."""

    def __init__(self, points: Array, broke_at: int):
        self.points, self.broke_at = points, broke_at

    def step_lengths(self) -> Array:
        """:math:`\\|w_t - w_{t-1}\\|` for t = 1..steps (NaN once broken)."""
        return np.linalg.norm(np.diff(self.points, axis=0), axis=-1)


def _run(
    step: Callable[..., tuple],
    n_state: int,
    grad_fn: Callable[[Array], Array],
    w0: Any,
    steps: int,
    with_t: bool,
    hyper: dict[str, Any],
) -> RuleRun:
    w = np.asarray(w0, dtype=float)
    if w.ndim != 1:
        raise ValueError(f"w0 must be a 1-D array of parameters, got shape {w.shape}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
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
    step: Callable[..., tuple],
    grad_fn: Callable[[Array], Array],
    w0: Any,
    steps: int,
    **hyper: Any,
) -> RuleRun:
    """Run an Adam-shaped ``step(w, m, v, g, t, **hyper)`` from ``w0`` (moments start at 0)."""
    return _run(step, 2, grad_fn, w0, steps, True, hyper)


def run_accumulator_rule(
    step: Callable[..., tuple],
    grad_fn: Callable[[Array], Array],
    w0: Any,
    steps: int,
    **hyper: Any,
) -> RuleRun:
    """Run an AdaGrad/RMSProp-shaped ``step(w, s, g, **hyper)`` from ``w0`` (s starts at 0)."""
    return _run(step, 1, grad_fn, w0, steps, False, hyper)


def run_optimizer(
    optimizer: Any, grad_fn: Callable[[Array], Array], w0: Any, steps: int
) -> RuleRun:
    """Run a :mod:`lessons_lib.optimizers` optimizer the same way, for a right-vs-wrong
    comparison on the same problem (its state is reset first)."""
    optimizer.reset()

    def step(w: Array, g: Array) -> tuple[Array]:
        return (optimizer.step(w, np.nan_to_num(g)),)

    return _run(step, 0, grad_fn, w0, steps, False, {})


# --------------------------------------------------------------------------- a test bench
@dataclass(frozen=True)
class Regression:
    r"""Least squares :math:`L(w) = \frac{s}{2n}\|Xw - y\|^2` on a small made-up dataset
    (``s`` = ``scale``: a smaller scale means smaller gradients, the same minimum)."""

    X: Array
    y: Array
    scale: float = 1.0

    @property
    def w0(self) -> Array:
        return np.zeros(self.X.shape[1])

    def loss(self, w: Any) -> Array:
        r = np.asarray(w, dtype=float) @ self.X.T - self.y
        return 0.5 * self.scale * np.mean(r * r, axis=-1)

    def grad(self, w: Any) -> Array:
        r = np.asarray(w, dtype=float) @ self.X.T - self.y
        return self.scale * (r @ self.X) / len(self.y)


def regression_problem(
    n: int = 64, dead_feature: bool = True, scale: float = 1.0, seed: int = 0
) -> Regression:
    """Two informative features and, with ``dead_feature``, a third that is 0 in every
    example (like a border pixel that is black in every image): its gradient is always 0.
    ``scale`` multiplies the loss and so every gradient."""
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"scale (loss multiplier) must be a number > 0, got {scale!r}")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * np.array([1.0, 0.3, 0.0])
    y = X[:, :2] @ np.array([2.0, -3.0]) + 0.1 * rng.normal(size=n)
    return Regression(X if dead_feature else X[:, :2], y, float(scale))
