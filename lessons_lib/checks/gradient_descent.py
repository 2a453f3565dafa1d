"""Checks for lesson 01 (gradient descent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_gd_step", "check_max_stable_lr"]

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
