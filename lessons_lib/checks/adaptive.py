"""Checks for lesson 05 (AdaGrad and RMSProp)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ._core import (  # noqa: F401  (_value, choice_problem: used by other lessons' checks)
    Mistake,
    _value,
    check_against_reference,
    check_prediction,
    choice_problem,
    number_problem,
)

__all__ = [
    "check_rmsprop_step",
    "check_adagrad_step",
    "check_jitter_prediction",
    "check_prediction",
]

# Odd values on purpose: epsilon = 1e-2 and small gradients make the place of epsilon
# visible; rho = 0.77 catches a swapped rho / (1 - rho).
_RMSPROP_CASES = [
    {
        "w": np.array([0.5, -1.2, 2.0]),
        "s": np.array([0.04, 0.3, 0.001]),
        "g": np.array([0.1, -0.5, 0.02]),
        "learning_rate": 0.03,
        "rho": 0.77,
        "epsilon": 1e-2,
    },
    {
        "w": np.array([[1.0, -1.0], [0.25, 3.0]]),
        "s": np.array([[0.5, 0.02], [0.0, 0.2]]),
        "g": np.array([[-0.3, 0.004], [0.0, 1.5]]),
        "learning_rate": 0.1,
        "rho": 0.9,
        "epsilon": 1e-7,
    },
]


def _rmsprop_reference(w, s, g, learning_rate, rho, epsilon, **flags):
    """Keras' RMSprop step; ``flags`` are the rule's (``epsilon_outside=True``: PyTorch's)."""
    from ..optimizers import RMSprop

    opt = RMSprop(learning_rate, rho, epsilon=epsilon).variant(**flags)
    opt.state["velocity"] = np.array(s, dtype=float)
    opt.iterations = 1  # a state carried over from earlier steps (RMSProp does not use t)
    return opt.step(w, g), opt.state["velocity"]


def _adagrad_reference(w, s, g, learning_rate, epsilon, **flags):
    """Keras' Adagrad step; ``flags`` are the rule's (``epsilon_outside=True``: PyTorch's)."""
    from ..optimizers import Adagrad

    opt = Adagrad(learning_rate, epsilon=epsilon).variant(**flags)
    opt.state["accumulator"] = np.array(s, dtype=float)
    opt.iterations = 1  # a state carried over from earlier steps (AdaGrad does not use t)
    return opt.step(w, g), opt.state["accumulator"]


def _wrong_step(accumulate: Callable[..., Any], old_s: bool = False) -> Callable[..., Any]:
    """A wrong 5.1/5.2 step: the new s from ``accumulate(s, g, **hyper)`` (a wrong average
    or sum), and with ``old_s`` the step divided by the root of the *old* s."""

    @np.errstate(all="ignore")
    def wrong(w, s, g, learning_rate, epsilon, **hyper):
        s_new = accumulate(s, g, **hyper)
        return w - learning_rate * g / np.sqrt((s if old_s else s_new) + epsilon), s_new

    return wrong


def _epsilon_mistakes(reference: Callable[..., Any], no_eps: Callable[..., Any]) -> list[Mistake]:
    """5.1's and 5.2's epsilon mistakes, each the rule itself: PyTorch's placement (the
    rule's flag) and no epsilon at all."""
    return [(_EPS_OUTSIDE, partial(reference, epsilon_outside=True)), (_NO_EPS, no_eps)]


def _uphill(reference: Callable[..., Any]) -> Mistake:
    """The sign error: the rule's step taken the other way, ``w + (w - w_rule)``."""

    def wrong(**case):
        new_w, new_s = reference(**case)
        return 2 * case["w"] - new_w, new_s

    return ("sign error: step against the gradient, w - learning_rate * g / ...", wrong)


_EPS_OUTSIDE = (
    "epsilon is outside the square root (PyTorch's convention); this exercise follows "
    "Keras: divide by sqrt(s + epsilon)"
)
_NO_EPS = (
    "epsilon is missing: divide by sqrt(s + epsilon), or a coordinate whose gradient "
    "has always been 0 gives 0/0 = NaN"
)


def check_rmsprop_step(rmsprop_step: Callable[..., Any]) -> bool:
    """Exercise 5.1: ``rmsprop_step(w, s, g, learning_rate, rho, epsilon) -> (w, s)``,
    Keras' RMSprop: s <- rho*s + (1-rho)*g^2; w <- w - lr*g/sqrt(s + epsilon)."""
    from ..pitfalls import rmsprop_step_no_eps

    mistakes = [
        *_epsilon_mistakes(_rmsprop_reference, rmsprop_step_no_eps),
        (
            "rho and 1 - rho are swapped: the old average keeps the weight rho, "
            "s = rho * s + (1 - rho) * g**2",
            _wrong_step(lambda s, g, rho: (1 - rho) * s + rho * g * g),
        ),
        (
            "the factor (1 - rho) on g**2 is missing: s = rho * s + (1 - rho) * g**2",
            _wrong_step(lambda s, g, rho: rho * s + g * g),
        ),
        (
            "the step used the old s; update s first, then divide by sqrt(s_new + epsilon)",
            _wrong_step(lambda s, g, rho: rho * s + (1 - rho) * g * g, old_s=True),
        ),
        _uphill(_rmsprop_reference),
    ]
    return check_against_reference(
        "5.1", rmsprop_step, _rmsprop_reference, _RMSPROP_CASES, mistakes
    )


def check_adagrad_step(adagrad_step: Callable[..., Any]) -> bool:
    """Exercise 5.2: ``adagrad_step(w, s, g, learning_rate, epsilon) -> (w, s)``,
    Keras' Adagrad: s <- s + g^2; w <- w - lr*g/sqrt(s + epsilon)."""
    from ..pitfalls import adagrad_step_no_eps

    cases = [{k: v for k, v in c.items() if k != "rho"} for c in _RMSPROP_CASES]
    mistakes = [
        *_epsilon_mistakes(_adagrad_reference, adagrad_step_no_eps),
        (
            "s must be the running SUM of squared gradients (AdaGrad never forgets); "
            "a moving average is RMSProp",
            _wrong_step(lambda s, g: 0.9 * s + 0.1 * g * g),
        ),
        (
            "the step used the old s; add g**2 first, then divide by sqrt(s_new + epsilon)",
            _wrong_step(lambda s, g: s + g * g, old_s=True),
        ),
        _uphill(_adagrad_reference),
    ]
    return check_against_reference("5.2", adagrad_step, _adagrad_reference, cases, mistakes)


# --------------------------------------------------------------------------- predictions
# check_prediction and its helpers live in ._core (every lesson's predict-then-verify
# exercises use them); imported here, where the other lessons' checks first found them.


def check_jitter_prediction(predict: Any) -> bool:
    """Exercise 5.3 (predict, then run): the learner's prediction of RMSProp's final
    distance |y| from the minimum on the stretched bowl (eta = 0.5, 2000 steps), one
    number >= 0. Any valid number passes; the lesson's next cell runs it."""
    return check_prediction(
        "5.3", predict, lambda v: number_problem(v, "the distance |y| after 2000 steps")
    )
