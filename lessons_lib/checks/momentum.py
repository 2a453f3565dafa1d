"""Checks for lesson 03 (momentum), in the course notation: the EWMA form keeps the average
gradient m (m <- beta*m + (1-beta)*g, w <- w - eta_tilde*m), the classical form the velocity v
(v <- beta*v - eta*g, w <- w + v), and the learning rates agree when eta = eta_tilde*(1-beta).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_momentum_step", "check_optimal_momentum", "reveal_regime"]

_MOMENTUM_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "m": np.array([0.4, 0.25]),
        "g": np.array([0.9, -0.35]),
        "learning_rate": 0.37,
        "beta": 0.81,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "m": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.05,
        "beta": 0.63,
    },
    {
        "w": np.array([2.0, -2.0]),
        "m": np.zeros(2),
        "g": np.array([1.5, 0.5]),
        "learning_rate": 1.3,
        "beta": 0.93,
    },
]


def _momentum_reference(w, m, g, learning_rate, beta):
    """One EWMA-form step from any state m (``EWMAMomentum``'s rule; a test runs both)."""
    m_new = beta * m + (1 - beta) * g
    return w - learning_rate * m_new, m_new


def _classical_unscaled(w, m, g, learning_rate, beta):
    v_new = beta * m - learning_rate * g
    return w + v_new, v_new


def _ewma_variant(weight_old, weight_new, sign=-1.0, use_old=False):
    def wrong(w, m, g, learning_rate, beta):
        m_new = weight_old(beta) * m + weight_new(beta) * g
        return w + sign * learning_rate * (m if use_old else m_new), m_new

    return wrong


def _average_named_m(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` called with the average as ``m``; an answer written with the older parameter
    name ``v`` (and no ``m``) gets it as ``v``."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    if "m" in params or "v" not in params:
        return fn
    return lambda m, **rest: fn(v=m, **rest)


def check_momentum_step(momentum_step: Callable[..., Any]) -> bool:
    """Exercise 3.1: ``momentum_step(w, m, g, learning_rate, beta) -> (w, m)`` in the EWMA
    form: m <- beta*m + (1-beta)*g; w <- w - learning_rate*m (learning_rate is eta-tilde)."""
    same, rest = (lambda b: b), (lambda b: 1 - b)
    mistakes = [
        (
            "this is the classical form (v = beta*v - learning_rate*g, w = w + v): with the "
            "same learning rate its steps are 1/(1-beta) times longer. In the EWMA form m is "
            "an average gradient (lesson 02), and the step goes against it",
            _classical_unscaled,
        ),
        (
            "the factor (1 - beta) is missing: beta*m + g sums gradients instead of "
            "averaging them, so every step is 1/(1-beta) times too long",
            _ewma_variant(same, lambda b: 1.0),
        ),
        (
            "sign error: the step must go against the average gradient (downhill)",
            _ewma_variant(same, rest, sign=1.0),
        ),
        (
            "the step used the old velocity (the old average m); update m first, then step "
            "with the new m",
            _ewma_variant(same, rest, use_old=True),
        ),
        (
            "beta and 1 - beta are swapped: beta weighs the old average m, 1 - beta the new "
            "gradient",
            _ewma_variant(rest, same),
        ),
    ]
    return check_against_reference(
        "3.1", _average_named_m(momentum_step), _momentum_reference, _MOMENTUM_CASES, mistakes
    )


_OPTIMAL_CASES = [
    {"mu": 0.13, "L": 2.9},
    {"mu": 0.5, "L": 0.7},
    {"mu": 0.01, "L": 1.0},
]


def _optimal_reference(mu, L):
    from ..theory import momentum_optimal

    return momentum_optimal(mu, L)


def check_optimal_momentum(optimal_momentum: Callable[..., Any]) -> bool:
    """Exercise 3.2: ``optimal_momentum(mu, L) -> (learning_rate, beta)``, Polyak's best
    heavy-ball step eta (classical form, Keras' learning rate) and momentum for curvatures in
    [mu, L]."""

    def variant(lr_rule, beta_rule):
        def wrong(mu, L):
            s = np.sqrt(L / mu)
            return lr_rule(mu, L, s), beta_rule(mu, L, s)

        return wrong

    def best_lr(mu, L, s):
        return 4 / (np.sqrt(L) + np.sqrt(mu)) ** 2

    def best_beta(mu, L, s):
        return ((s - 1) / (s + 1)) ** 2

    mistakes = [
        (
            "beta is the rate squared: beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2; "
            "you returned the rate itself",
            variant(best_lr, lambda mu, L, s: (s - 1) / (s + 1)),
        ),
        (
            "beta uses the square root of kappa: ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2",
            variant(best_lr, lambda mu, L, s: ((s * s - 1) / (s * s + 1)) ** 2),
        ),
        (
            "2 / (L + mu) is gradient descent's best step; with momentum it is "
            "4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: 2 / (L + mu), best_beta),
        ),
        (
            "the learning rate needs square roots: 4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: 4 / (L + mu), best_beta),
        ),
        (
            "that is the EWMA form's learning rate (divided by 1 - beta); this exercise "
            "asks for the classical form's, 4 / (sqrt(L) + sqrt(mu))**2",
            variant(lambda mu, L, s: best_lr(mu, L, s) / (1 - best_beta(mu, L, s)), best_beta),
        ),
    ]
    return check_against_reference(
        "3.2", optimal_momentum, _optimal_reference, _OPTIMAL_CASES, mistakes
    )


# --------------------------------------------------------------------------- 3.3 predict
REGIME_CASE = {"eta_lambda": 1.8, "beta": 0.04}  # the direction exercise 3.3 asks about


def reveal_regime(predicted_regime: Any, predicted_rate: Any) -> None:
    """Exercise 3.3 (predict, then verify): for one direction with eta*lambda = 1.8 and
    beta = 0.04, print the truth (roots, regime, rate, the first steps of a run) and compare
    it with the learner's committed prediction. Nothing is shown before a prediction is
    committed, so the stored notebook does not give the answer away."""
    from ..theory import REGIMES, iteration_matrix, regime, roots, spectral_radius

    choices = ", ".join(repr(r) for r in REGIMES)
    if predicted_regime is None or predicted_rate is None:
        print(
            "Commit a prediction first: set predicted_regime to one of "
            f"{choices} and predicted_rate to a number, then run this cell again."
        )
        return
    if predicted_regime not in REGIMES:
        print(f"predicted_regime must be one of {choices}; got {predicted_regime!r}.")
        return
    try:
        guess = float(predicted_rate)
    except (TypeError, ValueError):
        print(f"predicted_rate must be a number, like 0.5; got {predicted_rate!r}.")
        return
    a, b = REGIME_CASE["eta_lambda"], REGIME_CASE["beta"]
    z, kind = roots(a, b, 1.0), regime(a, b, 1.0)
    rate = float(spectral_radius(a, b, 1.0))
    state, xs = np.array([1.0, 1.0]), [1.0]
    for _ in range(9):
        state = iteration_matrix(a, b, 1.0) @ state
        xs.append(float(state[0]))
    shown = ", ".join(f"{x:+.3f}" for x in np.round(xs, 3))
    hint_regime = (
        "The roots' product is beta >= 0 and their sum is 1 + beta - eta*lambda: decide "
        "first whether they are real, then their sign."
    )
    off = abs(guess - rate)
    print(f"eta*lambda = {a}, beta = {b}: roots {_complex(z[0])} and {_complex(z[1])}")
    print(f"  regime: {kind!r}; rate r = {rate:.3f} per step (gradient descent: {abs(1 - a):.3f})")
    print(f"  x_0 .. x_9 from x_0 = x_-1 = 1: {shown}")
    right = predicted_regime == kind
    print(f"Your regime {predicted_regime!r}: " + ("right." if right else "wrong. " + hint_regime))
    verdict = "right (within 0.01)." if off <= 0.01 else f"off by {off:.3f}; r is the larger |z|."
    print(f"Your rate {guess:g}: {verdict}")


def _complex(z: complex) -> str:
    if abs(z.imag) < 1e-12:
        return f"{z.real:.3f}"
    return f"{z.real:.3f} {'+' if z.imag >= 0 else '-'} {abs(z.imag):.3f}i"
