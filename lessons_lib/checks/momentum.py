"""Checks for lesson 03 (momentum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_momentum_step", "check_optimal_momentum"]

_MOMENTUM_CASES = [
    {
        "w": np.array([0.7, -1.3]),
        "v": np.array([0.4, 0.25]),
        "g": np.array([0.9, -0.35]),
        "learning_rate": 0.37,
        "beta": 0.81,
    },
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "v": np.array([[-0.3, 0.1], [0.05, -0.6]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.05,
        "beta": 0.63,
    },
    {
        "w": np.array([2.0, -2.0]),
        "v": np.zeros(2),
        "g": np.array([1.5, 0.5]),
        "learning_rate": 1.3,
        "beta": 0.93,
    },
]


def _momentum_reference(w, v, g, learning_rate, beta):
    from ..optimizers import EWMAMomentum

    opt = EWMAMomentum(learning_rate, beta)
    opt.state["velocity"] = np.array(v, dtype=float)
    return opt.step(w, g), opt.state["velocity"]


def _classical_unscaled(w, v, g, learning_rate, beta):
    v_new = beta * v - learning_rate * g
    return w + v_new, v_new


def _ewma_variant(weight_old, weight_new, sign=-1.0, use_old=False):
    def wrong(w, v, g, learning_rate, beta):
        v_new = weight_old(beta) * v + weight_new(beta) * g
        return w + sign * learning_rate * (v if use_old else v_new), v_new

    return wrong


def check_momentum_step(momentum_step: Callable[..., Any]) -> bool:
    """Exercise 3.1: ``momentum_step(w, v, g, learning_rate, beta) -> (w, v)`` in the EWMA
    form: v <- beta*v + (1-beta)*g; w <- w - learning_rate*v."""
    same, rest = (lambda b: b), (lambda b: 1 - b)
    mistakes = [
        (
            "this is the classical form (v = beta*v - learning_rate*g, w = w + v): with the "
            "same learning rate its steps are 1/(1-beta) times longer. In the EWMA form v is "
            "an average gradient: v = beta*v + (1-beta)*g, w = w - learning_rate*v",
            _classical_unscaled,
        ),
        (
            "the factor (1 - beta) is missing: v = beta*v + g sums gradients instead of "
            "averaging them, so every step is 1/(1-beta) times too long",
            _ewma_variant(same, lambda b: 1.0),
        ),
        (
            "sign error: the step goes against the average gradient, w - learning_rate * v",
            _ewma_variant(same, rest, sign=1.0),
        ),
        (
            "the step used the old velocity; update v first, then w = w - learning_rate * v "
            "with the new v",
            _ewma_variant(same, rest, use_old=True),
        ),
        (
            "beta and 1 - beta are swapped: beta weighs the old velocity, v = beta*v + (1-beta)*g",
            _ewma_variant(rest, same),
        ),
    ]
    return check_against_reference(
        "3.1", momentum_step, _momentum_reference, _MOMENTUM_CASES, mistakes
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
    heavy-ball step (classical form) and momentum for curvatures in [mu, L]."""

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
