"""Checks for lesson 10 (the optimizers after Adam).

The references run the library's rules (``lessons_lib.rules.lion``, ``rules.lamb``); most
named mistakes are the same rule called with the wrong arguments (a beta in the wrong
place is the Lion rule with the betas exchanged), so no formula is written twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._core import check_against_reference

__all__ = [
    "DECAY_CHOICES",
    "check_decay_prediction",
    "check_lion_step",
    "check_trust_ratio_step",
    "reveal_decay",
]

# Odd betas (0.8 and 0.95, not 0.9 and 0.99) and entries where the momentum and the
# gradient disagree in sign, so that weighting them with the wrong beta flips a sign.
_LION_CASES = [
    {
        "w": np.array([0.5, -1.2, 2.0, 0.3]),
        "m": np.array([1.0, -1.0, 0.2, -0.4]),
        "g": np.array([-5.0, 6.0, 0.5, 0.1]),
        "learning_rate": 0.1,
        "beta_1": 0.8,
        "beta_2": 0.95,
        "weight_decay": 0.3,
    },
    {
        "w": np.array([[1.0, -2.0], [0.3, 4.0]]),
        "m": np.array([[0.5, 0.5], [-2.0, 0.0]]),
        "g": np.array([[-3.0, 1.0], [9.0, -1.0]]),
        "learning_rate": 0.02,
        "beta_1": 0.7,
        "beta_2": 0.9,
        "weight_decay": 0.7,
    },
    {
        "w": np.array([3.0, -0.5, 1.5]),
        "m": np.zeros(3),
        "g": np.array([0.2, -0.01, 0.0]),
        "learning_rate": 0.5,
        "beta_1": 0.9,
        "beta_2": 0.99,
        "weight_decay": 0.0,
    },
]


def _lion(w, m, g, learning_rate, beta_1, beta_2, weight_decay):
    """Keras' Lion (the library's twin): decay w <- w - w*wd*lr, then the Lion rule."""
    from ..optimizers import Lion

    opt = Lion(learning_rate, beta_1=beta_1, beta_2=beta_2, weight_decay=weight_decay or None)
    opt.state["m"] = np.array(m, dtype=float)
    opt.iterations = 1  # any step: Lion has no step-dependent term
    return opt.step(w, g), opt.state["m"]


def _lion_with(**changes: Any) -> Callable[..., Any]:
    """The reference called with some arguments replaced by functions of the case."""

    def wrong(**case):
        return _lion(**{**case, **{k: f(case) for k, f in changes.items()}})

    return wrong


def _lion_no_sign(w, m, g, learning_rate, beta_1, beta_2, weight_decay):
    w = w - w * weight_decay * learning_rate
    c = beta_1 * m + (1 - beta_1) * g
    return w - learning_rate * c, beta_2 * m + (1 - beta_2) * g


def _lion_decay_after(w, m, g, learning_rate, beta_1, beta_2, weight_decay):
    new_w, new_m = _lion(w, m, g, learning_rate, beta_1, beta_2, 0.0)
    return new_w - new_w * weight_decay * learning_rate, new_m


def _lion_decay_in_gradient(w, m, g, learning_rate, beta_1, beta_2, weight_decay):
    return _lion(w, m, g + weight_decay * w, learning_rate, beta_1, beta_2, 0.0)


def check_lion_step(lion_step: Callable[..., Any]) -> bool:
    """Exercise 10.1: ``lion_step(w, m, g, learning_rate, beta_1, beta_2, weight_decay)
    -> (w, m)``: Keras' decoupled decay, then the sign of beta_1 m + (1 - beta_1) g with the
    old m, then m updated with beta_2."""
    mistakes = [
        (
            "the sign was taken of beta_2 * m + (1 - beta_2) * g: either beta_2 stands where "
            "beta_1 belongs, or m was updated before taking the sign. The step interpolates "
            "the OLD m and g with beta_1; m is updated with beta_2 afterwards",
            _lion_with(beta_1=lambda c: c["beta_2"]),
        ),
        (
            "the two betas are exchanged: the step's interpolation uses beta_1 (0.9 by "
            "default, more weight on the new gradient), the momentum's memory beta_2 (0.99)",
            _lion_with(beta_1=lambda c: c["beta_2"], beta_2=lambda c: c["beta_1"]),
        ),
        (
            "the step is right but m was updated with beta_1; Lion keeps its memory with the "
            "slower beta_2",
            _lion_with(beta_2=lambda c: c["beta_1"]),
        ),
        (
            "m was returned unchanged: after the step, update it with beta_2 and the gradient",
            lambda **c: (_lion(**c)[0], np.array(c["m"], dtype=float)),
        ),
        (
            "the step is not a sign: Lion moves every coordinate by exactly learning_rate, "
            "in the direction of sign(beta_1 m + (1 - beta_1) g)",
            _lion_no_sign,
        ),
        (
            "the decay went into the gradient (g + weight_decay * w): under the sign it is "
            "no longer a shrinkage of the weights; decoupled decay subtracts "
            "learning_rate * weight_decay * w from the weights directly",
            _lion_decay_in_gradient,
        ),
        (
            "the decay is not multiplied by the learning rate: Keras shrinks by "
            "learning_rate * weight_decay * w",
            _lion_with(weight_decay=lambda c: c["weight_decay"] / c["learning_rate"]),
        ),
        (
            "the decay was applied after the step, to the new weights; Keras shrinks the "
            "weights the gradient was taken at, before the step",
            _lion_decay_after,
        ),
        (
            "sign error: Lion steps against sign(beta_1 m + (1 - beta_1) g)",
            lambda **c: (2 * c["w"] * (1 - c["weight_decay"] * c["learning_rate"])
                         - _lion(**c)[0], _lion(**c)[1]),  # fmt: skip
        ),
        (
            "no weight decay at all: the weight_decay argument is not used",
            _lion_with(weight_decay=lambda c: 0.0),
        ),
    ]
    return check_against_reference("10.1", lion_step, _lion, _LION_CASES, mistakes)


# --------------------------------------------------------------------------- LAMB
_TRUST_CASES = [
    {
        "w": np.array([3.0, -4.0, 0.0]),
        "r": np.array([0.5, 2.5, -1.0]),
        "learning_rate": 0.1,
    },
    {
        "w": np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 4.0]]),
        "r": np.array([[0.2, -0.1, 1.5], [3.0, 0.7, -0.2]]),
        "learning_rate": 0.03,
    },
    {  # a bias at its zero start: Keras' ratio is 1 there
        "w": np.zeros(4),
        "r": np.array([1.0, -0.5, 0.25, 2.0]),
        "learning_rate": 0.2,
    },
]


def _trust_step(w, r, learning_rate):
    """The library's LAMB trust ratio (``rules.lamb.trust_ratio``) and step."""
    from ..rules.lamb import trust_ratio

    return w - learning_rate * trust_ratio(w, r, np) * r


def _ratio_step(ratio: Callable[[np.ndarray, np.ndarray], Any]) -> Callable[..., Any]:
    def wrong(w, r, learning_rate):
        return w - learning_rate * ratio(w, r) * r

    return wrong


def _safe(num: Any, den: Any) -> Any:
    with np.errstate(all="ignore"):
        return np.where((num > 0) & (den > 0), num / np.where(den > 0, den, 1.0), 1.0)


def _norm(x, ord=None):
    return np.linalg.norm(np.ravel(x), ord)


def check_trust_ratio_step(trust_ratio_step: Callable[..., Any]) -> bool:
    """Exercise 10.2: ``trust_ratio_step(w, r, learning_rate) -> w``: LAMB's step for one
    tensor given Adam's direction ``r``: ``w - learning_rate * phi * r`` with the trust
    ratio phi = ||w|| / ||r|| (Euclidean norms of the whole tensor), 1 if a norm is 0."""
    l2 = _norm
    mistakes = [
        (
            "the ratio was taken per coordinate (|w_i| / |r_i|): then every coordinate moves "
            "by learning_rate * |w_i|, whatever r says; the trust ratio is ONE number per "
            "tensor, ||w|| / ||r|| over all its entries",
            _ratio_step(lambda w, r: _safe(np.abs(w), np.abs(r))),
        ),
        (
            "the ratio is inverted: ||r|| / ||w|| would make small layers move more; LAMB "
            "scales the step to the size of the weights, ||w|| / ||r||",
            _ratio_step(lambda w, r: _safe(l2(r), l2(w))),
        ),
        (
            "L1 norms (sums of absolute values): LAMB uses the Euclidean norm, the square "
            "root of the sum of squares",
            _ratio_step(lambda w, r: _safe(_norm(w, 1), _norm(r, 1))),
        ),
        (
            "max norms (largest absolute entry): LAMB uses the Euclidean norm of the whole "
            "tensor",
            _ratio_step(lambda w, r: _safe(_norm(w, np.inf), _norm(r, np.inf))),
        ),
        (
            "squared norms: ||w||^2 / ||r||^2; take the square roots",
            _ratio_step(lambda w, r: _safe(l2(w) ** 2, l2(r) ** 2)),
        ),
        (
            "the norms were taken per row of the matrix: the ratio belongs to the whole "
            "tensor (a layer), one number for all its entries",
            _ratio_step(lambda w, r: _safe(np.linalg.norm(w, axis=-1, keepdims=True),
                                           np.linalg.norm(r, axis=-1, keepdims=True))),
        ),  # fmt: skip
        (
            "a tensor whose weights are all zero (a bias at its start) got no step (or NaN): "
            "||w|| / ||r|| is 0 there, and Keras uses ratio 1 when either norm is zero, so "
            "that tensor takes the plain step learning_rate * r",
            _ratio_step(lambda w, r: l2(w) / l2(r)),
        ),
        (
            "no trust ratio: that is Adam's step, w - learning_rate * r",
            _ratio_step(lambda w, r: 1.0),
        ),
    ]
    return check_against_reference("10.2", trust_ratio_step, _trust_step, _TRUST_CASES, mistakes)


# --------------------------------------------------------------------------- predict
DECAY_CHOICES = ("noisy", "quiet", "same")


def check_decay_prediction(predict: Any) -> bool:
    """Exercise 10.3 (predict, then run): under AdamW, which coordinate settles further
    below its target, the noisy or the quiet one, or are they the same? One of
    :data:`DECAY_CHOICES`; any valid choice passes, the next cell runs the experiment."""
    from .adaptive import check_prediction, choice_problem

    return check_prediction("10.3", predict, lambda v: choice_problem(v, DECAY_CHOICES))


def reveal_decay(predict: Any, settled: dict[str, np.ndarray]) -> None:
    """Print where AdamW and Adam + L2 settle (``settled[name]`` = the two coordinates'
    final mean weights) and the learner's committed prediction. Nothing is shown before a
    valid prediction is committed, so the stored notebook does not give the answer away."""
    from .adaptive import _value, choice_problem

    try:
        value = _value(predict)
    except Exception:  # NotImplementedError in the handout, or a broken answer
        value = None
    if value is None or choice_problem(value, DECAY_CHOICES):
        print("Commit a prediction first (exercise 10.3), then run this cell again.")
        return
    for name, (noisy, quiet) in settled.items():
        print(f"{name:10s} noisy coordinate settles at {noisy:.3f}, quiet one at {quiet:.3f}")
    adamw = settled["AdamW"]
    if abs(adamw[0] - adamw[1]) <= 0.02:
        truth = "same"
    else:
        truth = "noisy" if adamw[0] < adamw[1] else "quiet"
    guess = value.strip().lower()
    outcome = "right" if guess == truth else f"what happens is {truth!r}"
    print(f"you predicted {guess!r}: {outcome}")
