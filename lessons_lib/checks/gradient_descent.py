"""Checks for lesson 01 (gradient descent), and the reveal of its prediction exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference, choice_problem, committed_prediction

__all__ = ["check_gd_step", "check_max_stable_lr", "reveal_fastest_learning_rate", "RACE_RATES"]

_GD_CASES = [
    {"w": np.array([0.7, -1.3]), "g": np.array([2.5, -0.4]), "learning_rate": 0.37},
    {
        "w": np.array([[1.5, 0.2], [-0.4, 2.0]]),
        "g": np.array([[0.2, -1.1], [0.6, 0.0]]),
        "learning_rate": 0.013,
    },
    {"w": np.array([3.0]), "g": np.array([-7.0]), "learning_rate": 1.7},
]


def _gd_reference(w, g, learning_rate):
    from ..optimizers import SGD

    return SGD(learning_rate).step(w, g)


def check_gd_step(gd_step: Callable[..., Any]) -> bool:
    """Exercise 1.1: ``gd_step(w, g, learning_rate) -> w - learning_rate * g``."""
    mistakes = [
        (
            "sign error: you stepped uphill; gradient descent moves against the gradient, "
            "w - learning_rate * g",
            lambda w, g, learning_rate: w + learning_rate * g,
        ),
        (
            "the learning rate is missing: the step is learning_rate * g, not g",
            lambda w, g, learning_rate: w - g,
        ),
        (
            "you returned the step, not the new point: return w - learning_rate * g",
            lambda w, g, learning_rate: -learning_rate * g,
        ),
        (
            "you divided by the learning rate; multiply: w - learning_rate * g",
            lambda w, g, learning_rate: w - g / learning_rate,
        ),
    ]
    return check_against_reference("1.1", gd_step, _gd_reference, _GD_CASES, mistakes)


_STABLE_CASES = [
    {"eigenvalues": np.array([0.3, 2.5, 1.1])},
    {"eigenvalues": np.array([4.0])},
    {"eigenvalues": np.array([0.07, 0.05, 0.9, 0.13])},
]


def check_max_stable_lr(max_stable_lr: Callable[..., Any]) -> bool:
    """Exercise 1.2: ``max_stable_lr(eigenvalues) -> 2 / max(eigenvalues)``, the learning
    rate above which gradient descent diverges on a quadratic with these curvatures."""
    mistakes = [
        (
            "1 / L is a good learning rate, but not the limit: along the steepest direction "
            "the factor |1 - lr * L| stays below 1 up to lr = 2 / L",
            lambda eigenvalues: 1 / np.max(eigenvalues),
        ),
        (
            "the smallest curvature sets how slow the run is; the largest one sets the limit: "
            "2 / max(eigenvalues)",
            lambda eigenvalues: 2 / np.min(eigenvalues),
        ),
        (
            "2 / (L + mu) is the best learning rate, not the largest stable one (2 / L)",
            lambda eigenvalues: 2 / (np.max(eigenvalues) + np.min(eigenvalues)),
        ),
        (
            "use the largest single curvature, not the sum: 2 / max(eigenvalues)",
            lambda eigenvalues: 2 / np.sum(eigenvalues),
        ),
    ]
    return check_against_reference(
        "1.2",
        max_stable_lr,
        lambda eigenvalues: 2 / np.max(eigenvalues),
        _STABLE_CASES,
        mistakes,
    )


RACE_RATES = (0.5, 1.0, 1.5, 1.9)  # exercise 1.3's choices, on the bowl quadratic(kappa=10)


def _race_steps(rates=RACE_RATES, kappa: float = 10.0, tol: float = 1e-6) -> np.ndarray:
    r"""Steps gradient descent needs on ``quadratic(kappa)`` (from its usual start) until the
    distance to the minimum is below ``tol`` times the starting distance, one run per
    learning rate (-1 where it never gets there in 2000 steps)."""
    from ..functions import quadratic
    from ..optimizers import SGD
    from ..runner import run

    bowl = quadratic(kappa=kappa)
    lr = np.asarray(rates, dtype=float)[:, None]
    points = run(SGD(learning_rate=lr), bowl, steps=2000).points
    dist = np.linalg.norm(points, axis=-1)
    below = dist < tol * dist[0]
    return np.where(below.any(axis=0), below.argmax(axis=0), -1)


def reveal_fastest_learning_rate(prediction: Any) -> float | None:
    """Exercise 1.3: once ``prediction`` is one of the four choices, run the four learning
    rates, print the steps each needs, which one is fastest, and whether the prediction was
    right. Returns the fastest rate; without a valid prediction, says what to set and
    returns None (the answer stays hidden until the learner has committed)."""
    from ..theory import gd_rate

    listed = ", ".join(str(rate) for rate in RACE_RATES)
    value = committed_prediction(
        prediction, lambda v: choice_problem(v, RACE_RATES), f"one of {listed}"
    )
    if value is None:
        return None
    steps = _race_steps()
    print("learning rate   rate max|1 - eta*lambda|   steps to shrink the error 10^6-fold")
    for lr, k in zip(RACE_RATES, steps, strict=True):
        print(f"{lr:13.1f}   {float(gd_rate(lr, [0.1, 1.0])):24.2f}   {k:8d}")
    fastest = float(RACE_RATES[int(np.argmin(np.where(steps < 0, 10**9, steps)))])
    verdict = "right" if np.isclose(value, fastest) else "wrong"
    print(f"fastest: {fastest}. Your prediction {value:g} is {verdict}.")
    print(
        "Why: the flat direction (curvature 0.1) sets the pace, with factor |1 - 0.1 eta|; the "
        "steep one may zig-zag (1 - eta < 0) as long as |1 - eta| stays below that factor."
    )
    return fastest
