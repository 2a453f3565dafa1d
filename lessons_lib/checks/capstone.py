"""Checks for lesson 08 (Fashion-MNIST in Keras): exercise 8.1, Adam as Keras writes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = ["check_adam_rule"]


def _as_tuple(rule: Callable[..., Any]) -> Callable[..., Any]:
    """Call a rule on NumPy arrays and return ``(w, m, v)``, for the exercise check."""

    def call(w, g, m, v, t, **hyper):
        new_w, state = rule(w, g, {"m": m, "v": v}, t, np, **hyper)
        return new_w, state["m"], state["v"]

    return call


def _adam_variant(*, paper=False, corrected=True, eps_inside=False, minus=False,
                  corrected_state=False):  # fmt: skip
    """Adam with one of the classic mistakes (only for naming them in the check). The
    variants the rule has flags for (the paper's epsilon, no bias correction, epsilon
    inside the root) are the rule itself (:mod:`lessons_lib.rules.adam`)."""
    flags = {"epsilon_mode": "paper"} if paper else {}
    flags.update({} if corrected else {"bias_correction": False})
    flags.update({"epsilon_inside": True} if eps_inside else {})

    def step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon):
        if flags:
            from ..keras_bridge import adam_rule

            return _as_tuple(adam_rule)(w, g, m, v, t, learning_rate=learning_rate,
                                        beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                                        **flags)  # fmt: skip
        sign = -1 if minus else 1
        m = beta_1 * m + sign * (1 - beta_1) * g
        v = beta_2 * v + sign * (1 - beta_2) * g * g
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        new = w - lr_t * m / (np.sqrt(v) + epsilon)
        return (new, m_hat, v_hat) if corrected_state else (new, m, v)

    return step


def check_adam_rule(rule: Callable[..., Any]) -> bool:
    """Exercise 8.1: ``rule`` must be Keras' Adam step, on odd hyperparameters."""
    from ..keras_bridge import adam_rule

    rng = np.random.default_rng(8)
    cases = [
        {"w": rng.normal(size=(3, 2)), "g": rng.normal(size=(3, 2)),
         "m": rng.normal(size=(3, 2)) * 0.1, "v": rng.random((3, 2)) * 0.01, "t": t,
         "learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.888, "epsilon": 1e-2}
        for t in (1, 2, 7)
    ]  # fmt: skip
    mistakes = [
        ("epsilon is added to the bias-corrected root (the paper's form); Keras adds it to "
         "the uncorrected root: lr_t * m / (sqrt(v) + epsilon)", _adam_variant(paper=True)),
        ("no bias correction: scale the learning rate by sqrt(1 - beta_2**t) / (1 - beta_1**t)",
         _adam_variant(corrected=False)),
        ("epsilon is inside the square root; Keras' Adam adds it outside: sqrt(v) + epsilon",
         _adam_variant(eps_inside=True)),
        ("the moving averages subtract the new term; they add it: "
         "m = beta_1 * m + (1 - beta_1) * g", _adam_variant(minus=True)),
        ("the state returned holds bias-corrected moments; return the raw m and v "
         "(the correction is recomputed from t at every step)",
         _adam_variant(corrected_state=True)),
    ]  # fmt: skip
    return check_against_reference("8.1", _as_tuple(rule), _as_tuple(adam_rule), cases, mistakes)
