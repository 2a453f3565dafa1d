"""Checks for lesson 07 (optimizer race)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import (
    _FAILED,
    _value,
    attempt,
    check_against_reference,
    check_prediction,
    choice_problem,
)

__all__ = [
    "TUNING_TASK",
    "check_saddle_prediction",
    "check_steps_to_reach",
    "check_tuned_rate",
    "tuning_run",
]

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


#: exercise 7.3's task: plain gradient descent on Beale's function, from the race's start,
#: within TUNING_TARGET of the minimum value in at most TUNING_BUDGET steps
TUNING_TASK = {"objective": "beale", "optimizer": "GD", "target": 1e-4, "budget": 250}


def tuning_run(learning_rate: float):
    """The run exercise 7.3 judges: ``SGD(learning_rate)`` on Beale's function for
    ``TUNING_TASK["budget"]`` steps from the race's start (a lessons_lib Trajectory)."""
    from ..functions import get_objective
    from ..optimizers import SGD
    from ..runner import run

    return run(SGD(learning_rate), get_objective("beale"), steps=TUNING_TASK["budget"])


def _rate_problem(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return (
            f"return one learning rate, a single number such as 0.01 (not {type(value).__name__} "
            f"{value!r}); pick the best of your sweep yourself"
        )
    if not np.isfinite(value) or value <= 0:
        return f"a learning rate is a number > 0; you returned {value!r}"
    return ""


def check_tuned_rate(choose: Any) -> bool:
    """Exercise 7.3 (tuning): ``choose()`` returns a learning rate (or ``choose`` is one)
    with which gradient descent gets within 1e-4 of Beale's minimum value in at most 250
    steps. The check runs that rate and says what went wrong: diverged (too large), or
    still short of the target (how far, and at which step it would arrive)."""
    task, ex = TUNING_TASK, "7.3"
    lr = attempt(ex, lambda: _value(choose), "your function")
    if lr is _FAILED:
        return False
    problem = _rate_problem(lr)
    if problem:
        print(f"FAILED exercise {ex}: {problem}")
        return False
    traj = tuning_run(float(lr))
    gap = traj.losses - 0.0  # Beale's minimum value is 0, at (3, 0.5)
    reached = _first(gap <= task["target"])
    budget = task["budget"]
    if 0 <= reached <= budget:
        print(
            f"PASSED exercise {ex}: all {budget} steps stay finite and the run gets within "
            f"{task['target']:g} of the minimum value inside that budget"
        )
        return True
    if traj.diverged:
        message = (
            f"learning rate {lr:.4g} is too large: the run diverged at step "
            f"{int(traj.diverged_at)}; the best rates sit just below the divergence edge"
        )
    else:
        message = (
            f"learning rate {lr:.4g} does not arrive: after {budget} steps f - f* is "
            f"{gap[-1]:.2e}, above {task['target']:g}; too small a rate crawls, and the fastest "
            "rates sit just below the divergence edge (sweep finer there)"
        )
    print(f"FAILED exercise {ex}: {message}")
    return False


def check_saddle_prediction(predict: Any) -> bool:
    """Exercise 7.2 (predict, then run): which optimizer arrives *last* on the saddle at
    the tuned rates (one of the race's six names); any valid name passes, the next cell
    shows the leaderboard."""
    names = ("GD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")
    return check_prediction("7.2", predict, lambda v: choice_problem(v, names))
