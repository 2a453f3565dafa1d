"""Checks for lesson 06 (Adam)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = [
    "AMSGRAD_CHOICES",
    "check_adam_step",
    "check_adamw_step",
    "check_amsgrad_prediction",
    "check_keras_epsilon",
    "check_paper_epsilon",
]

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


def _adam_reference(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, epsilon_mode="paper"):
    from ..optimizers import Adam

    opt = Adam(learning_rate, beta_1, beta_2, epsilon, epsilon_mode=epsilon_mode)
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
        tt = t + t_shift
        if keras_eps:  # Keras' epsilon placement is a flag of the rule, not a copy of it
            return _adam_reference(w, m, v, g, tt, learning_rate, beta_1, b2, epsilon, "keras")
        m = beta_1 * m + (1 - beta_1) * g
        v = b2 * v + (1 - b2) * (g if v_of_g else g * g)
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


# The AdamW cases: a weight decay large enough (0.3) and a learning rate large enough
# (0.1 and 0.05) that every misplaced decay changes the answer well beyond rounding.
_ADAMW_CASES = [
    {**_ADAM_CASES[0], "learning_rate": 0.1, "weight_decay": 0.3},
    {**_ADAM_CASES[2], "learning_rate": 0.05, "weight_decay": 0.7},
]


def _adamw_reference(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
    from ..optimizers import Adam

    opt = Adam(
        learning_rate, beta_1, beta_2, epsilon, epsilon_mode="paper", weight_decay=weight_decay
    )
    opt.state.update(m=np.array(m, dtype=float), v=np.array(v, dtype=float))
    opt.iterations = t - 1  # step() counts this step as t
    return opt.step(w, g), opt.state["m"], opt.state["v"]


def _adamw_variant(*, where="before", scale="lr", sign=1.0, keras_eps=False):
    """Wrong AdamW steps: where the decay goes ("before", "gradient", "after",
    "denominator", "none") and what multiplies it ("lr", "none", "lr_t")."""

    @np.errstate(all="ignore")
    def wrong(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon, weight_decay):
        adam = _adam_variant(keras_eps=keras_eps)
        factor = {
            "lr": learning_rate,
            "none": 1.0,
            "lr_t": learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t),
        }[scale]
        decay = sign * factor * weight_decay
        hyper = (t, learning_rate, beta_1, beta_2, epsilon)
        if where == "gradient":
            return adam(w, m, v, g + weight_decay * w, *hyper)
        if where == "denominator":
            m = beta_1 * m + (1 - beta_1) * g
            v = beta_2 * v + (1 - beta_2) * g * g
            m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
            step = learning_rate * (m_hat + weight_decay * w) / (np.sqrt(v_hat) + epsilon)
            return w - step, m, v
        if where == "after":
            w_new, m, v = adam(w, m, v, g, *hyper)
            return w_new - decay * w_new, m, v
        if where == "none":
            return adam(w, m, v, g, *hyper)
        return adam(w - decay * w, m, v, g, *hyper)

    return wrong


def check_adamw_step(adamw_step: Callable[..., Any]) -> bool:
    """Exercise 6.4: ``adamw_step(w, m, v, g, t, learning_rate, beta_1, beta_2, epsilon,
    weight_decay) -> (w, m, v)``: decoupled weight decay as Keras and PyTorch apply it,
    w <- w - lr * weight_decay * w, then the paper's Adam step (exercise 6.1) with the
    gradient g (taken at the old weights)."""
    mistakes = [
        (
            "the decay went into the gradient (g + weight_decay * w): that is an L2 penalty, "
            "which Adam averages into m and v and divides by sqrt(v_hat); AdamW shrinks the "
            "weights directly, outside the adaptive step",
            _adamw_variant(where="gradient"),
        ),
        (
            "the decay was divided by sqrt(v_hat) + epsilon together with m_hat; decoupled "
            "decay is not rescaled per coordinate",
            _adamw_variant(where="denominator"),
        ),
        (
            "the decay is not multiplied by the learning rate: Keras and PyTorch shrink by "
            "learning_rate * weight_decay * w (weight_decay alone per step is the paper's "
            "convention with schedule multiplier 1)",
            _adamw_variant(scale="none"),
        ),
        (
            "the decay used Adam's bias-corrected step size; Keras and PyTorch multiply "
            "weight_decay by the plain learning rate",
            _adamw_variant(scale="lr_t"),
        ),
        (
            "the decay was applied after the Adam step, to the new weights; shrink the "
            "weights the gradient was taken at, before the step",
            _adamw_variant(where="after"),
        ),
        (
            "sign error: weight decay shrinks the weights, w - learning_rate * weight_decay * w",
            _adamw_variant(sign=-1.0),
        ),
        (
            "no weight decay at all: the weight_decay argument is not used",
            _adamw_variant(where="none"),
        ),
        (
            "the Adam part is Keras' epsilon-hat form; use the paper's step of exercise 6.1",
            _adamw_variant(keras_eps=True),
        ),
    ]
    return check_against_reference("6.4", adamw_step, _adamw_reference, _ADAMW_CASES, mistakes)


AMSGRAD_CHOICES = ("grows", "stays", "shrinks")


def check_amsgrad_prediction(predict: Any) -> bool:
    """Exercise 6.3 (predict, then run): between steps 1100 and 4000 of the lesson's
    experiment, does the step of Keras' AMSGrad grow, stay or shrink? One of
    :data:`AMSGRAD_CHOICES`; any valid choice passes, the next cell runs it."""
    from .adaptive import check_prediction, choice_problem

    return check_prediction("6.3", predict, lambda v: choice_problem(v, AMSGRAD_CHOICES))


def check_paper_epsilon(paper_epsilon: Callable[..., Any]) -> bool:
    """Exercise 6.2: ``paper_epsilon(epsilon_hat, beta_2, t)``, the epsilon of the paper's
    Algorithm 1 whose step at step t equals Keras' step with its constant ``epsilon_hat``:
    epsilon_hat / sqrt(1 - beta_2**t)."""
    cases = [
        {"epsilon_hat": 1e-2, "beta_2": 0.888, "t": 2},
        {"epsilon_hat": 1e-7, "beta_2": 0.999, "t": 1},
        {"epsilon_hat": 3e-4, "beta_2": 0.95, "t": 40},
    ]

    def reference(epsilon_hat, beta_2, t):
        return epsilon_hat / np.sqrt(1 - beta_2**t)

    mistakes = [
        (
            "the square root is missing: v_hat = v / (1 - beta_2**t), so sqrt(v_hat) "
            "carries only the square root of that factor",
            lambda epsilon_hat, beta_2, t: epsilon_hat / (1 - beta_2**t),
        ),
        (
            "upside down: that is Keras' epsilon-hat for a given paper epsilon; the paper's "
            "epsilon is the larger one early on (31.6 times at t = 1 with beta_2 = 0.999)",
            lambda epsilon_hat, beta_2, t: epsilon_hat * np.sqrt(1 - beta_2**t),
        ),
        (
            "the bias correction of m plays no part here; only v's correction moves epsilon",
            lambda epsilon_hat, beta_2, t: epsilon_hat / np.sqrt(1 - beta_2**t) * (1 - 0.9**t),
        ),
        (
            "the bias correction of m plays no part here; only v's correction moves epsilon",
            lambda epsilon_hat, beta_2, t: epsilon_hat / np.sqrt(1 - beta_2**t) / (1 - 0.9**t),
        ),
        (
            "t counts from 1: the first step uses 1 - beta_2**1",
            lambda epsilon_hat, beta_2, t: epsilon_hat / np.sqrt(1 - beta_2 ** (t + 1)),
        ),
    ]
    return check_against_reference("6.2", paper_epsilon, reference, cases, mistakes)
