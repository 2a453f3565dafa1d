"""Checks for lesson 07 (optimizer race).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_steps_to_reach"]

_REACH_CASES = [
    {"losses": np.array([5.0, 3.0, 1.5, 0.9, 0.4]), "target": 1.0},
    {"losses": np.array([4.0, 1.0, 1.0, 0.5]), "target": 1.0},
    {"losses": np.array([3.0, 2.5, 2.2, 2.1]), "target": 1.0},
    {"losses": np.array([2.0, 1.5, np.nan, np.nan]), "target": 1.0},
    {"losses": np.array([0.5, 0.2, 0.1]), "target": 1.0},
]


def _first(hits: np.ndarray, shift: int = 0) -> int:
    found = np.flatnonzero(hits)
    return int(found[0]) + shift if found.size else -1


def check_steps_to_reach(steps_to_reach: Callable[..., Any]) -> bool:
    """Exercise 7.1: ``steps_to_reach(losses, target) -> int``, the first step k with
    ``losses[k] <= target``, or -1 if the run never gets there (NaN never does)."""

    def reference(losses, target):
        return _first(np.asarray(losses) <= target)

    mistakes = [
        (
            "off by one: losses[0] is the loss at the start (step 0), so the answer is "
            "the index itself",
            lambda losses, target: _first(losses <= target, 1),
        ),
        (
            "a loss equal to the target counts as reached: use <=, not <",
            lambda losses, target: _first(losses < target),
        ),
        (
            "when the target is never reached you returned 0 (np.argmax of an all-False "
            "array is 0); return -1",
            lambda losses, target: int(np.argmax(losses <= target)),
        ),
        (
            "a diverged run (NaN loss) counted as reaching the target; NaN never reaches anything",
            lambda losses, target: _first(~(losses > target)),
        ),
    ]
    return check_against_reference("7.1", steps_to_reach, reference, _REACH_CASES, mistakes)
