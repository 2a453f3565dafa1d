"""Checks for lesson 02 (EWMA and bias correction), and the reveal of its prediction exercise.

Notation as in the course: the EWMA m_t = beta * m_{t-1} + (1 - beta) * x_t, m_0 = 0, and its
bias-corrected value m_hat_t = m_t / (1 - beta**t), t = 1 at the first step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference, committed_prediction, number_problem

__all__ = ["check_ewma_corrected", "check_bias_correction_step", "reveal_steps_to_level"]

_EWMA_CASES = [
    {"x": np.array([5.0, 6.5, 4.0, 7.25, 6.0, 5.5]), "beta": 0.83},
    {"x": np.array([-2.0, 1.0, 3.5, -0.5]), "beta": 0.5},
    {"x": np.array([10.0, 9.0, 11.5, 10.5, 8.0, 12.0, 9.5, 10.0, 11.0]), "beta": 0.97},
]


def _ewma_loop(x, beta, weight_old, weight_new, power_shift=0, correct_state=False):
    """An EWMA written as a loop, with knobs that reproduce the classic mistakes
    (``power_shift=None``: no bias correction)."""
    out, m = [], 0.0
    with np.errstate(all="ignore"):
        for t, xt in enumerate(np.asarray(x, dtype=float), start=1):
            m = weight_old * m + weight_new * xt
            corrected = m if power_shift is None else m / (1 - beta ** (t + power_shift))
            if correct_state:
                m = corrected
            out.append(corrected)
    return np.array(out)


def _ewma_reference(x, beta):
    from ..ewma import ewma

    return ewma(x, beta, bias_correction=True)


def check_ewma_corrected(ewma_corrected: Callable[..., Any]) -> bool:
    """Exercise 2.1: ``ewma_corrected(x, beta)``: m_t = beta*m_{t-1} + (1-beta)*x_t with
    m_0 = 0, returned divided by 1 - beta**t (t = 1, 2, ...), one value per point."""
    mistakes = [
        (
            "no bias correction: the early values are pulled towards 0; divide each m_t by "
            "the total weight its terms carry",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=None),
        ),
        (
            "wrong power: divide m_t by 1 - beta**t with t counted from 1 (the first "
            "average is divided by 1 - beta); you used beta**(t-1), i.e. t counted from 0",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=-1),
        ),
        (
            "wrong power: divide m_t by 1 - beta**t with t counted from 1; you used beta**(t+1)",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, power_shift=1),
        ),
        (
            "the correction went into the running average itself; keep m_t uncorrected "
            "and divide only the value you return",
            lambda x, beta: _ewma_loop(x, beta, beta, 1 - beta, correct_state=True),
        ),
        (
            "beta and 1 - beta are swapped: m_t = beta * m_{t-1} + (1 - beta) * x_t "
            "(beta weighs the past)",
            lambda x, beta: _ewma_loop(x, beta, 1 - beta, beta),
        ),
        (
            "the factor (1 - beta) on x_t is missing: m_t = beta * m_{t-1} + (1 - beta) * x_t",
            lambda x, beta: _ewma_loop(x, beta, beta, 1.0),
        ),
    ]
    return check_against_reference("2.1", ewma_corrected, _ewma_reference, _EWMA_CASES, mistakes)


# ------------------------------------------------------------- 2.2 one bias-corrected step
_STEP_CASES = [
    {
        "xs": np.array([[4.0, -1.5], [5.5, -0.5], [3.0, -2.0], [6.0, 1.0]]),
        "beta": 0.83,
        "m0": np.zeros(2),
        "t0": 1,
    },
    {"xs": np.array([[0.7], [-0.2], [1.9]]), "beta": 0.6, "m0": np.zeros(1), "t0": 1},
    # resuming a run: the state after 6 steps is handed over, the next step is t = 7
    {
        "xs": np.array([[2.5, 0.3, -1.0], [2.0, 0.1, -1.4]]),
        "beta": 0.93,
        "m0": np.array([1.1, 0.2, -0.6]),
        "t0": 7,
    },
]


def _drive(step: Callable[..., Any], xs, beta, m0, t0):
    """Feed ``step`` the readings one at a time, as an optimizer loop does: the state it
    returns is what it gets back at the next step. Returns (states, outputs)."""
    m, states, outputs = m0, [], []
    for k, x in enumerate(xs):
        m, m_hat = step(m=m, x=x, beta=beta, t=t0 + k)
        states.append(np.array(m, dtype=float))
        outputs.append(np.array(m_hat, dtype=float))
    return np.array(states), np.array(outputs)


def _step_reference(m, x, beta, t):
    m = beta * m + (1 - beta) * x
    return m, m / (1 - beta**t)


def _wrong_step(correction=None, store_corrected=False, swap_outputs=False):
    """The reference step with one classic mistake: ``correction(beta, t)`` replaces the
    divisor 1 - beta**t; ``store_corrected`` keeps the corrected value as the state."""

    def step(m, x, beta, t):
        m = beta * m + (1 - beta) * x
        m_hat = m / (correction(beta, t) if correction else 1 - beta**t)
        if store_corrected:
            m = m_hat
        return (m_hat, m) if swap_outputs else (m, m_hat)

    return step


_STEP_MISTAKES = [
    (
        "no correction: the value you return is still pulled towards 0 at the start",
        _wrong_step(correction=lambda beta, t: 1.0),
    ),
    (
        "t off by one: you used beta**(t-1), as if the first step were t = 0 (at t = 1 that "
        "divides by zero); t is already 1 at the first step",
        _wrong_step(correction=lambda beta, t: 1 - beta ** (t - 1)),
    ),
    (
        "t off by one: you used beta**(t+1); t is already 1 at the first step",
        _wrong_step(correction=lambda beta, t: 1 - beta ** (t + 1)),
    ),
    (
        "you divided by (1 - beta), a constant; the total weight of the terms changes with "
        "the step number t",
        _wrong_step(correction=lambda beta, t: 1 - beta),
    ),
    (
        "you divided by (1 - beta)**t; the power belongs to beta alone",
        _wrong_step(correction=lambda beta, t: (1 - beta) ** t),
    ),
    (
        "you divided by beta**t; the divisor is the weight the terms carry, 1 minus what the "
        "start m_0 = 0 took",
        _wrong_step(correction=lambda beta, t: beta**t),
    ),
    (
        "you multiplied by the correction factor; divide by it (the plain average is too "
        "small, so the correction must enlarge it)",
        _wrong_step(correction=lambda beta, t: 1 / (1 - beta**t)),
    ),
    (
        "you corrected the stored state: the next step builds on the corrected value, so "
        "every later average is wrong; store m_t uncorrected and correct only the output",
        _wrong_step(store_corrected=True),
    ),
    (
        "the two return values are swapped: return (new state, corrected value)",
        _wrong_step(swap_outputs=True),
    ),
]


def check_bias_correction_step(ewma_step: Callable[..., Any]) -> bool:
    """Exercise 2.2: ``ewma_step(m, x, beta, t) -> (m_new, m_hat)`` with
    m_new = beta*m + (1-beta)*x (the state to keep) and m_hat = m_new / (1 - beta**t) (the
    value to use), t = 1 at the first step. The check runs the step in a loop, feeding the
    returned state back, with odd betas and one run that resumes at t = 7."""

    def driven(step):
        return lambda xs, beta, m0, t0: _drive(step, xs, beta, m0, t0)

    mistakes = [(message, driven(wrong)) for message, wrong in _STEP_MISTAKES]
    return check_against_reference(
        "2.2", driven(ewma_step), driven(_step_reference), _STEP_CASES, mistakes
    )


# ---------------------------------------------------------- 2.3 predict, then verify
def first_step_at_level(beta: float, level: float) -> int:
    """The first step t at which the plain EWMA of a constant series reaches ``level``
    times that constant (measured on the series, not solved from the formula)."""
    from ..ewma import ewma

    shown = ewma(np.ones(100_000), beta)
    if shown[-1] < level:
        raise ValueError(f"beta = {beta} needs more than 100000 steps to reach {level}")
    return int(np.argmax(shown >= level)) + 1


def reveal_steps_to_level(prediction: Any, beta: float = 0.99, level: float = 0.95) -> int | None:
    """Exercise 2.3: once ``prediction`` is a number of steps, print the step at which the
    plain EWMA of a constant first shows ``level`` of it, and how far the prediction was.
    Returns that step; without a valid prediction, says what to set and returns None (the
    answer stays hidden until the learner has committed)."""
    from ..ewma import effective_window

    value = committed_prediction(
        prediction,
        lambda v: number_problem(v, "steps to reach the level", positive=True),
        "a number of steps",
    )
    if value is None:
        return None
    truth = first_step_at_level(beta, level)
    window = float(effective_window(beta))
    print(
        f"beta = {beta}: the plain average of a constant first reaches {level:.0%} of it at "
        f"step t = {truth} (1 - beta^t = {1 - beta**truth:.4f})."
    )
    print(
        f"After one window, t = {window:.0f} steps, it shows only "
        f"1 - beta^{window:.0f} = {1 - beta**window:.3f} of it: the window says how far back "
        f"the average looks, not how soon the start-up bias is gone."
    )
    ratio = value / truth
    if 0.9 <= ratio <= 1.1:
        print(f"Your prediction {value:g} is within 10 % of the truth: well reasoned.")
    else:
        print(f"Your prediction {value:g} is {ratio:.2g} times the truth.")
    return truth
