"""Checks for lesson 06 (Adam).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_adam_step", "check_keras_epsilon"]

# The odd values of deeplearning.ai's assignment: beta_1 = 0.8, beta_2 = 0.888,
# epsilon = 1e-2, t = 2. With them every classic slip changes the answer.
_ADAM_CASES = [
    {
        "w": np.array([0.5, -1.2, 2.0]),
        "m": np.array([0.05, -0.1, 0.3]),
        "v": np.array([0.002, 0.03, 0.01]),
        "g": np.array([0.2, -0.6, 0.05]),
        "t": 2,
        "learning_rate": 0.01,
        "beta_1": 0.8,
        "beta_2": 0.888,
        "epsilon": 1e-2,
    },
    {
        "w": np.array([[1.0, -2.0], [0.3, 0.0]]),
        "m": np.zeros((2, 2)),
        "v": np.zeros((2, 2)),
        "g": np.array([[0.4, -0.02], [1.5, 0.0]]),
        "t": 1,
        "learning_rate": 0.1,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
    },
    {
        "w": np.array([3.0, -0.5]),
        "m": np.array([0.2, 0.01]),
        "v": np.array([0.05, 1e-4]),
        "g": np.array([-0.1, 0.03]),
        "t": 7,
        "learning_rate": 0.003,
        "beta_1": 0.7,
        "beta_2": 0.95,
        "epsilon": 1e-3,
    },
]


def _adam_reference(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
    from ..optimizers import Adam

    opt = Adam(learning_rate, beta_1, beta_2, epsilon, epsilon_mode="paper")
    opt.state.update(m=np.array(m, dtype=float), v=np.array(v, dtype=float))
    opt.iterations = t - 1  # step() counts this step as t
    return opt.step(w, g), opt.state["m"], opt.state["v"]


def _adam_variant(
    *,
    sign=1.0,
    t_shift=0,
    keras_eps=False,
    return_hat=False,
    beta_2_fixed=None,
    v_of_g=False,
    correct_m=True,
    correct_v=True,
):
    @np.errstate(all="ignore")
    def wrong(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon):
        b2 = beta_2 if beta_2_fixed is None else beta_2_fixed
        m = beta_1 * m + (1 - beta_1) * g
        v = b2 * v + (1 - b2) * (g if v_of_g else g * g)
        tt = t + t_shift
        if keras_eps:
            alpha = learning_rate * np.sqrt(1 - b2**tt) / (1 - beta_1**tt)
            return w - alpha * m / (np.sqrt(v) + epsilon), m, v
        m_hat = m / (1 - beta_1**tt) if correct_m else m
        v_hat = v / (1 - b2**tt) if correct_v else v
        w_new = w - sign * learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        return (w_new, m_hat, v_hat) if return_hat else (w_new, m, v)

    return wrong


def check_adam_step(adam_step: Callable[..., Any]) -> bool:
    """Exercise 6.1: ``adam_step(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon)
    -> (w, m, v)``, Algorithm 1 of Kingma & Ba (epsilon added to sqrt(v_hat))."""
    from .. import pitfalls as P

    mistakes = [
        (
            "epsilon is inside the square root; Adam adds it outside: "
            "m_hat / (sqrt(v_hat) + epsilon)",
            P.adam_step_eps_inside_sqrt,
        ),
        (
            "no bias correction: divide m by (1 - beta_1**t) and v by (1 - beta_2**t) "
            "before the update",
            P.adam_step_no_bias_correction,
        ),
        (
            "no bias correction and epsilon inside the square root: that is a different "
            "algorithm from the paper's",
            P.adam_step_no_correction_eps_inside,
        ),
        (
            "only m is bias-corrected; v_hat = v / (1 - beta_2**t) too",
            _adam_variant(correct_v=False),
        ),
        (
            "only v is bias-corrected; m_hat = m / (1 - beta_1**t) too",
            _adam_variant(correct_m=False),
        ),
        (
            "beta_2 = 0.99 is hard-coded; use the beta_2 argument (the paper's default "
            "is 0.999, not 0.99)",
            P.adam_step_beta2_099,
        ),
        (
            "beta_2 = 0.999 is hard-coded; use the beta_2 argument",
            _adam_variant(beta_2_fixed=0.999),
        ),
        (
            "sign error: step against the gradient, w - learning_rate * m_hat / ...",
            _adam_variant(sign=-1.0),
        ),
        (
            "this is Keras' epsilon-hat form (epsilon added to the uncorrected sqrt(v)); "
            "the exercise asks for the paper's m_hat / (sqrt(v_hat) + epsilon)",
            _adam_variant(keras_eps=True),
        ),
        (
            "the bias correction used the wrong t: t counts from 1, so the first step "
            "divides by 1 - beta**1",
            _adam_variant(t_shift=1),
        ),
        (
            "the bias correction used the wrong t: t counts from 1, so the first step "
            "divides by 1 - beta**1",
            _adam_variant(t_shift=-1),
        ),
        (
            "you returned m_hat and v_hat as the new state; keep the raw m and v "
            "(bias correction is applied afresh at every step)",
            _adam_variant(return_hat=True),
        ),
        (
            "v must average the SQUARED gradient: v = beta_2 * v + (1 - beta_2) * g**2",
            _adam_variant(v_of_g=True),
        ),
        (
            "epsilon divides the step (lr / sqrt(v) * m / sqrt(epsilon)) and nothing is "
            "bias-corrected; epsilon belongs in the denominator, added to sqrt(v_hat)",
            P.adam_step_divides_by_sqrt_eps,
        ),
    ]
    return check_against_reference("6.1", adam_step, _adam_reference, _ADAM_CASES, mistakes)


def check_keras_epsilon(keras_epsilon: Callable[..., Any]) -> bool:
    """Exercise 6.2: ``keras_epsilon(epsilon, beta_2, t)``, the epsilon-hat that makes
    Keras' Adam step equal the paper's at step t: epsilon * sqrt(1 - beta_2**t)."""
    cases = [
        {"epsilon": 1e-2, "beta_2": 0.888, "t": 2},
        {"epsilon": 1e-8, "beta_2": 0.999, "t": 1},
        {"epsilon": 3e-4, "beta_2": 0.95, "t": 40},
    ]

    def reference(epsilon, beta_2, t):
        return epsilon * np.sqrt(1 - beta_2**t)

    mistakes = [
        (
            "the square root is missing: v_hat = v / (1 - beta_2**t), so "
            "sqrt(v_hat) carries sqrt(1 - beta_2**t)",
            lambda epsilon, beta_2, t: epsilon * (1 - beta_2**t),
        ),
        (
            "upside down: Keras' epsilon-hat is smaller than the paper's epsilon early on, "
            "epsilon * sqrt(1 - beta_2**t)",
            lambda epsilon, beta_2, t: epsilon / np.sqrt(1 - beta_2**t),
        ),
        (
            "the bias correction of m plays no part here; only v's correction moves epsilon",
            lambda epsilon, beta_2, t: epsilon * np.sqrt(1 - beta_2**t) / (1 - 0.9**t),
        ),
    ]
    return check_against_reference("6.2", keras_epsilon, reference, cases, mistakes)
