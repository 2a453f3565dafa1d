"""Checks for lesson 04 (Nesterov). The parameter ``momentum`` is the course's beta (Keras'
name), ``v`` the velocity of the classical form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_nesterov_step", "check_keras_nesterov_step", "reveal_nesterov_limit"]


def _wavy_grad(p: Any) -> np.ndarray:
    """Gradient of f = x^2/2 + y^2 + 0.6 sin(2x + y): curved enough that *where* the
    gradient is taken changes the answer."""
    p = np.asarray(p, dtype=float)
    x, y = p[..., 0], p[..., 1]
    c = np.cos(2 * x + y)
    return np.stack([x + 1.2 * c, 2 * y + 0.6 * c], axis=-1)


_NESTEROV_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "learning_rate": 0.07,
        "momentum": 0.83,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "learning_rate": 0.3,
        "momentum": 0.55,
    },
    {"w": np.array([2.0, -2.0]), "v": np.zeros(2), "learning_rate": 0.01, "momentum": 0.95},
]


def _nesterov_reference(w, v, grad_fn, learning_rate, momentum):
    """One look-ahead step from any velocity (``LookaheadNesterov``'s rule; a test runs both)."""
    v_new = momentum * v - learning_rate * grad_fn(w + momentum * v)
    return w + v_new, v_new


def _lookahead_variant(
    lookahead_sign: float, grad_sign: float, keras_mix: bool = False, keep_momentum: bool = True
):
    @np.errstate(all="ignore")
    def wrong(w, v, grad_fn, learning_rate, momentum):
        g = grad_fn(w + lookahead_sign * momentum * v)
        v_new = (momentum * v if keep_momentum else 0.0) - grad_sign * learning_rate * g
        return (w + momentum * v_new - learning_rate * g if keras_mix else w + v_new), v_new

    return wrong


def check_nesterov_step(nesterov_step: Callable[..., Any]) -> bool:
    """Exercise 4.1: ``nesterov_step(w, v, grad_fn, learning_rate, momentum) -> (w, v)``,
    the look-ahead form: v <- momentum*v - lr*grad_fn(w + momentum*v); w <- w + v."""
    cases = [{**c, "grad_fn": _wavy_grad} for c in _NESTEROV_CASES]
    mistakes = [
        (
            "the gradient was taken at w; Nesterov takes it at the look-ahead point "
            "w + momentum * v (what you wrote is classical momentum)",
            _lookahead_variant(0.0, 1.0),
        ),
        (
            "the look-ahead point has the wrong sign: look ahead to w + momentum * v, "
            "where the velocity is taking you",
            _lookahead_variant(-1.0, 1.0),
        ),
        (
            "sign error: the velocity must move against the gradient, "
            "v = momentum * v - learning_rate * g",
            _lookahead_variant(1.0, -1.0),
        ),
        (
            "the old velocity is missing: v = momentum * v - learning_rate * g keeps momentum * v",
            _lookahead_variant(1.0, 1.0, keep_momentum=False),
        ),
        (
            "you mixed the two forms: with the look-ahead gradient the update is simply "
            "w + v (w + momentum * v - lr * g belongs to the Keras form of exercise 4.2)",
            _lookahead_variant(1.0, 1.0, keras_mix=True),
        ),
    ]
    return check_against_reference("4.1", nesterov_step, _nesterov_reference, cases, mistakes)


_KERAS_NESTEROV_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "g": np.array([0.9, -0.35]),
        "learning_rate": 0.07,
        "momentum": 0.83,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.3,
        "momentum": 0.55,
    },
]


def _keras_nesterov_reference(w, v, g, learning_rate, momentum):
    """One step of Keras' ``SGD(nesterov=True)`` from any velocity (a test runs both)."""
    v_new = v * momentum - g * learning_rate
    return w + (v_new * momentum - g * learning_rate), v_new


def check_keras_nesterov_step(keras_nesterov_step: Callable[..., Any]) -> bool:
    """Exercise 4.2: ``keras_nesterov_step(w, v, g, learning_rate, momentum) -> (w, v)``,
    Keras' form: v <- momentum*v - lr*g; w <- w + momentum*v - lr*g (new v)."""

    def classical(w, v, g, learning_rate, momentum):
        v_new = momentum * v - learning_rate * g
        return w + v_new, v_new

    def no_gradient_term(w, v, g, learning_rate, momentum):
        v_new = momentum * v - learning_rate * g
        return w + momentum * v_new, v_new

    def sign(w, v, g, learning_rate, momentum):
        v_new = momentum * v + learning_rate * g
        return w + momentum * v_new + learning_rate * g, v_new

    mistakes = [
        (
            "w + v is classical momentum; Keras' Nesterov adds momentum * v_new - "
            "learning_rate * g (the new velocity, one more look ahead)",
            classical,
        ),
        (
            "the update lacks its gradient term: w + momentum * v_new - learning_rate * g "
            "(momentum * v_new alone only looks ahead)",
            no_gradient_term,
        ),
        ("sign error: both the velocity and the update move against the gradient", sign),
    ]
    return check_against_reference(
        "4.2", keras_nesterov_step, _keras_nesterov_reference, _KERAS_NESTEROV_CASES, mistakes
    )


# --------------------------------------------------------------------------- 4.3 predict
LIMIT_BETA = 0.5  # the momentum exercise 4.3 asks about


def _nesterov_rate(eta_lambda: float, beta: float) -> float:
    """Largest |root| of Nesterov's recursion along one direction (lesson 04, section 3)."""
    b, c = (1 + beta) * (1 - eta_lambda), beta * (1 - eta_lambda)
    return float(np.max(np.abs(np.roots([1.0, -b, c]))))


def _measured_limit(beta: float) -> float:
    """The eta*lambda where Nesterov stops converging, found by bisection on the roots."""
    lo, hi = 0.5, 4.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _nesterov_rate(mid, beta) < 1 else (lo, mid)
    return lo


def reveal_nesterov_limit(predicted_limit: Any, predicted_vs_gd: Any) -> None:
    """Exercise 4.3 (predict, then verify): the largest eta*lambda at which Nesterov with
    beta = 0.5 converges, and whether it lies above or below gradient descent's 2. Prints the
    truth (formula, bisection on the roots, rates on either side) only once a prediction is
    committed, so the stored notebook does not give the answer away."""
    if predicted_limit is None or predicted_vs_gd is None:
        print(
            "Commit a prediction first: set predicted_limit to a number and predicted_vs_gd "
            "to 'above' or 'below', then run this cell again."
        )
        return
    if predicted_vs_gd not in ("above", "below"):
        print(f"predicted_vs_gd must be 'above' or 'below'; got {predicted_vs_gd!r}.")
        return
    try:
        guess = float(predicted_limit)
    except (TypeError, ValueError):
        print(f"predicted_limit must be a number, like 3.0; got {predicted_limit!r}.")
        return
    beta = LIMIT_BETA
    limit = 2 * (1 + beta) / (1 + 2 * beta)
    print(f"beta = {beta}: Nesterov converges for eta*lambda < 2(1+beta)/(1+2beta) = {limit:.3f}")
    print(f"  bisection on the roots of its recursion: {_measured_limit(beta):.3f}")
    for a in (round(limit - 0.05, 2), round(limit + 0.05, 2)):
        rate = _nesterov_rate(a, beta)
        gd = abs(1 - a)
        print(f"  eta*lambda = {a}: Nesterov's rate {rate:.3f}, gradient descent's {gd:.3f}")
    side = "below" if limit < 2 else "above"
    off = abs(guess - limit)
    verdict = "right (within 0.02)." if off <= 0.02 else f"off by {off:.3f}."
    print(f"Your limit {guess:g}: {verdict}")
    mark = "right" if predicted_vs_gd == side else "wrong"
    print(f"Your {predicted_vs_gd!r}: {mark}; the limit is {side} GD's 2 (for any beta > 0).")
