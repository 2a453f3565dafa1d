"""Checks for lesson 02 (EWMA and bias correction).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_ewma_corrected"]

_EWMA_CASES = [
    {"x": np.array([5.0, 6.5, 4.0, 7.25, 6.0, 5.5]), "beta": 0.83},
    {"x": np.array([-2.0, 1.0, 3.5, -0.5]), "beta": 0.5},
    {"x": np.array([10.0, 9.0, 11.5, 10.5, 8.0, 12.0, 9.5, 10.0, 11.0]), "beta": 0.97},
]


def _ewma_loop(x, beta, weight_old, weight_new, power_shift=0, correct_state=False):
    """An EWMA written as a loop, with knobs that reproduce the classic mistakes
    (``power_shift=None``: no bias correction)."""
    out, v = [], 0.0
    with np.errstate(all="ignore"):
        for t, xt in enumerate(np.asarray(x, dtype=float), start=1):
            v = weight_old * v + weight_new * xt
            corrected = v if power_shift is None else v / (1 - beta ** (t + power_shift))
            if correct_state:
                v = corrected
            out.append(corrected)
    return np.array(out)


def _ewma_reference(x, beta):
    from ..ewma import ewma

    return ewma(x, beta, bias_correction=True)


def check_ewma_corrected(ewma_corrected: Callable[..., Any]) -> bool:
    """Exercise 2.1: ``ewma_corrected(x, beta)``: v_t = beta*v_{t-1} + (1-beta)*x_t with
    v_0 = 0, returned divided by 1 - beta**t (t = 1, 2, ...), one value per point."""
    mistakes = [
        (
            "no bias correction: divide each v_t by 1 - beta**t (the early values are "
            "pulled towards 0)",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=None),
        ),
        (
            "wrong power: divide v_t by 1 - beta**t with t counted from 1 (the first "
            "average is divided by 1 - beta); you used beta**(t-1), i.e. t counted from 0",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=-1),
        ),
        (
            "wrong power: divide v_t by 1 - beta**t with t counted from 1; you used beta**(t+1)",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=1),
        ),
        (
            "the correction went into the running average itself; keep v_t uncorrected "
            "and divide only the value you return",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, correct_state=True),
        ),
        (
            "beta and 1 - beta are swapped: v_t = beta * v_{t-1} + (1 - beta) * x_t "
            "(beta weighs the past)",
            lambda x, beta: _ewma_loop(x, beta, 1 - beta, beta),
        ),
        (
            "the factor (1 - beta) on x_t is missing: v_t = beta * v_{t-1} + (1 - beta) * x_t",
            lambda x, beta: _ewma_loop(x, beta, beta, 1.0),
        ),
    ]
    return check_against_reference("2.1", ewma_corrected, _ewma_reference, _EWMA_CASES, mistakes)
