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

Each wrong step calls the one rule of :mod:`lessons_lib.rules` with the flag that makes the
mistake (``bias_correction=False``, ``epsilon_inside=True``, ``epsilon=0``, ...); only the
mistakes no honest flag expresses (dividing by the root of epsilon) are written out, and
even those take the moving averages from the rule. The runners and the regression
problem the lessons use with them live in :mod:`lessons_lib.runner` and
:mod:`lessons_lib.functions` (imported here, so ``pitfalls.run_adam_rule`` still works).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .functions import Regression, regression_problem
from .rules.adagrad import ADAGRAD
from .rules.adam import ADAM
from .rules.rmsprop import RMSPROP
from .runner import RuleRun, run_accumulator_rule, run_adam_rule, run_optimizer

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
AdamStep = tuple[Array, Array, Array]

#: the wrong rules produce inf/NaN on purpose; keep numpy from printing warnings about it
_quiet = np.errstate(all="ignore")


def _floats(*arrays: Any) -> list[Array]:
    return [np.asarray(a, dtype=float) for a in arrays]


@_quiet
def _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, **flags) -> AdamStep:
    """Adam's rule with the given flags, in the exercises' ``(w, m, v)`` shape."""
    w, m, v, g = _floats(w, m, v, g)
    new_w, state = ADAM.update(w, g, {"m": m, "v": v}, t, learning_rate, np, beta_1=beta_1,
                               beta_2=beta_2, epsilon=epsilon, **flags)  # fmt: skip
    return new_w, state["m"], state["v"]


# --------------------------------------------------------------------------- the right one
def adam_step_paper(w: Any, m: Any, v: Any, g: Any, t: int, learning_rate: float,
                    beta_1: float, beta_2: float, epsilon: float) -> AdamStep:  # fmt: skip
    r"""CORRECT (for comparison): Adam as printed in Algorithm 1 of Kingma & Ba.

    :math:`\hat m = m/(1-\beta_1^t),\ \hat v = v/(1-\beta_2^t),\
    w \leftarrow w - \eta\,\hat m/(\sqrt{\hat v} + \epsilon)`
    """
    return _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, epsilon_mode="paper")


# --------------------------------------------------------------------------- wrong Adam steps
@_quiet
def adam_step_divides_by_sqrt_eps(w: Any, m: Any, v: Any, g: Any, t: int, learning_rate: float,
                                  beta_1: float, beta_2: float,
                                  epsilon: float) -> AdamStep:  # fmt: skip
    r"""WRONG: :math:`w - \frac{\eta}{\sqrt v}\cdot\frac{m}{\sqrt\epsilon}`, no bias correction.

    Epsilon is meant to be *added* to the denominator as a safety margin; here the step is
    *divided* by :math:`\sqrt\epsilon`, so with :math:`\epsilon = 10^{-8}` every step is
    :math:`10^4` times too long, and a coordinate with :math:`v = 0` gives 0/0 = NaN.
    Correct: :func:`adam_step_paper`. (No flag of the rule makes this mistake: the step is
    written out, the moving averages come from the rule.)
    """
    _, m, v = _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)
    return np.asarray(w, dtype=float) - learning_rate / np.sqrt(v) * m / np.sqrt(epsilon), m, v


def adam_step_no_correction_eps_inside(w: Any, m: Any, v: Any, g: Any, t: int,
                                       learning_rate: float, beta_1: float, beta_2: float,
                                       epsilon: float) -> AdamStep:  # fmt: skip
    r"""WRONG (a different algorithm, not Adam): :math:`w - \eta\, m/\sqrt{v + \epsilon}`.

    No bias correction and epsilon inside the square root. Early steps are too long by
    about :math:`(1-\beta_1^t)/\sqrt{1-\beta_2^t}` (3.2x at t = 1 with the defaults), and
    for small gradients :math:`\sqrt{\epsilon}` (not :math:`\epsilon`) caps the step.
    Correct: :func:`adam_step_paper`.
    """
    return _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon,
                 bias_correction=False, epsilon_inside=True)  # fmt: skip


def adam_step_no_bias_correction(w: Any, m: Any, v: Any, g: Any, t: int, learning_rate: float,
                                 beta_1: float, beta_2: float,
                                 epsilon: float) -> AdamStep:  # fmt: skip
    r"""WRONG: :math:`w - \eta\, m/(\sqrt v + \epsilon)`, the moments not bias-corrected.

    Correct: divide by :math:`1-\beta_1^t` and :math:`1-\beta_2^t` (:func:`adam_step_paper`).
    """
    return _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, bias_correction=False)


def adam_step_eps_inside_sqrt(w: Any, m: Any, v: Any, g: Any, t: int, learning_rate: float,
                              beta_1: float, beta_2: float,
                              epsilon: float) -> AdamStep:  # fmt: skip
    r"""WRONG for Adam: :math:`w - \eta\,\hat m/\sqrt{\hat v + \epsilon}` (epsilon inside).

    Keras puts epsilon inside the root for AdaGrad and RMSProp, but Adam (paper, Keras,
    PyTorch) adds it outside: :math:`\sqrt{\hat v} + \epsilon` (:func:`adam_step_paper`).
    """
    return _adam(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon,
                 epsilon_mode="paper", epsilon_inside=True)  # fmt: skip


def adam_step_beta2_099(w: Any, m: Any, v: Any, g: Any, t: int, learning_rate: float,
                        beta_1: float, beta_2: float, epsilon: float) -> AdamStep:  # fmt: skip
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
    w, s, g = _floats(w, s, g)
    new_w, state = ADAGRAD.update(w, g, {"accumulator": s}, 1, learning_rate, np, epsilon=0.0)
    return new_w, state["accumulator"]


@_quiet
def rmsprop_step_no_eps(
    w: Any, s: Any, g: Any, learning_rate: float, rho: float, epsilon: float
) -> tuple[Array, Array]:
    r"""WRONG: RMSProp without epsilon, :math:`w - \eta\, g/\sqrt{s}` (``epsilon`` ignored).

    Same failure as :func:`adagrad_step_no_eps` when a gradient component stays 0.
    Correct (Keras): :math:`w - \eta\, g/\sqrt{s + \epsilon}`.
    """
    w, s, g = _floats(w, s, g)
    new_w, state = RMSPROP.update(w, g, {"velocity": s}, 1, learning_rate, np, rho=rho,
                                  epsilon=0.0)  # fmt: skip
    return new_w, state["velocity"]


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
