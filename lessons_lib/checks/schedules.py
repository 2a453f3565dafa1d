"""Checks of lesson 09 (learning-rate schedules): Adam's settled step (9.1, predict), warmup +
cosine (9.2) and PyTorch's momentum step (9.3).

The references are the library's own: :class:`lessons_lib.schedules.CosineDecay` and the
SGD rule of :mod:`lessons_lib.rules.sgd` with PyTorch's ``dampening``. Only the named
mistakes are written out here, each as the wrong formula a learner might type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..rules import sgd as _sgd
from ..schedules import CosineDecay
from ._core import check_against_reference, check_prediction, number_problem

__all__ = ["check_warmup_cosine", "check_torch_momentum_step", "check_settled_step_prediction"]


# --------------------------------------------------------------------------- 9.2
def _reference_rate(step, peak, warmup_steps, decay_steps, alpha):
    schedule = CosineDecay(0.0, decay_steps, alpha, warmup_target=peak, warmup_steps=warmup_steps)
    return schedule(step)


def _half_cosine(fraction):
    return 0.5 * (1 + np.cos(np.pi * fraction))


def _written(rise, fall):
    """A wrong schedule from its warmup part ``rise(step, peak, W)`` and decay part
    ``fall(step, peak, W, T, alpha)``."""

    def rate(step, peak, warmup_steps, decay_steps, alpha):
        if step < warmup_steps:
            return rise(step, peak, warmup_steps)
        return fall(step, peak, warmup_steps, decay_steps, alpha)

    return rate


def _rise(step, peak, W):
    return peak * step / W


def _fall(step, peak, W, T, alpha):
    return peak * ((1 - alpha) * _half_cosine(min(step - W, T) / T) + alpha)


_WARMUP_MISTAKES = [
    (
        "the step counts from 1: Keras (and lessons_lib) evaluate a schedule at the number "
        "of updates already done, 0 for the first update",
        lambda step, **kw: _reference_rate(step + 1, **kw),
    ),
    (
        "the warmup is off by one step: the first update (step 0) should use rate 0 and the "
        "rate should reach the peak exactly at step warmup_steps",
        _written(lambda s, p, W: p * (s + 1) / W, _fall),
    ),
    (
        "the cosine runs from the wrong end: after the warmup the rate should start at the "
        "peak and fall to alpha * peak, not rise to it",
        _written(
            _rise, lambda s, p, W, T, a: p * ((1 - a) * _half_cosine(1 - min(s - W, T) / T) + a)
        ),  # fmt: skip
    ),
    (
        "the decay is counted from step 0: the cosine should start where the warmup ends, "
        "so its fraction is (step - warmup_steps) / decay_steps",
        _written(_rise, lambda s, p, W, T, a: p * ((1 - a) * _half_cosine(min(s, T) / T) + a)),
    ),
    (
        "alpha is a fraction of the peak: the rate ends at alpha * peak, not at alpha",
        _written(_rise, lambda s, p, W, T, a: p * (1 - a) * _half_cosine(min(s - W, T) / T) + a),
    ),
    (
        "after warmup_steps + decay_steps the rate must stay at its floor; without the min() "
        "the cosine comes back up",
        _written(_rise, lambda s, p, W, T, a: p * ((1 - a) * _half_cosine((s - W) / T) + a)),
    ),
]

_WARMUP_CASES = [
    {"peak": 0.3, "warmup_steps": 5, "decay_steps": 20, "alpha": 0.1, "steps": np.arange(31.0)},
    {"peak": 2.0, "warmup_steps": 3, "decay_steps": 7, "alpha": 0.0, "steps": np.arange(16.0)},
    {"peak": 1.0, "warmup_steps": 8, "decay_steps": 4, "alpha": 0.25, "steps": np.arange(17.0)},
]


def _over_steps(rate: Callable[..., Any]) -> Callable[..., Any]:
    """``rate(step=s, ...)`` for each whole step ``s`` of the case's ``steps``, as an array."""

    def curve(steps, **kw):
        return np.array([float(rate(step=int(s), **kw)) for s in steps])

    return curve


def check_warmup_cosine(warmup_cosine: Callable[..., Any]) -> bool:
    """Exercise 9.2: ``warmup_cosine(step, peak, warmup_steps, decay_steps, alpha)``, the
    rate at ``step`` (updates already done) of a linear warmup from 0 to ``peak`` over
    ``warmup_steps`` steps followed by a cosine decay to ``alpha * peak`` over
    ``decay_steps`` steps: Keras' ``CosineDecay(0.0, decay_steps, alpha,
    warmup_target=peak, warmup_steps=warmup_steps)``. Checked at every step of three
    schedules (odd lengths, a floor), so each mistake shows over the whole curve."""
    mistakes = [(message, _over_steps(wrong)) for message, wrong in _WARMUP_MISTAKES]
    return check_against_reference(
        "9.2", _over_steps(warmup_cosine), _over_steps(_reference_rate), _WARMUP_CASES, mistakes
    )


# --------------------------------------------------------------------------- 9.3
def _reference_torch(w, buf, g, t, learning_rate, momentum, dampening):
    new_w, state = _sgd.update(w, g, {"velocity": buf}, t, learning_rate, np,
                               momentum=momentum, dampening=dampening)  # fmt: skip
    return new_w, state["velocity"]


def _torch_written(first, later):
    """A wrong PyTorch step: buffer ``first(g, d)`` at t = 1, ``later(buf, g, lr, beta, d)``
    after, and the step ``w - lr * buffer``."""

    def step(w, buf, g, t, learning_rate, momentum, dampening):
        b = first(g, dampening) if t == 1 else later(buf, g, learning_rate, momentum, dampening)
        return w - learning_rate * b, b

    return step


def _in_buffer(scale_by_dampening):
    """The rate folded into the buffer, Keras' classical form: w - b with b = beta b + lr g."""

    def step(w, buf, g, t, learning_rate, momentum, dampening):
        scale = (1 - dampening) if scale_by_dampening else 1.0
        b = learning_rate * g if t == 1 else momentum * buf + scale * learning_rate * g
        return w - b, b

    return step


_TORCH_MISTAKES = [
    (
        "the rate is inside the buffer (Keras' classical form v = beta v - lr g); PyTorch's "
        "buffer holds gradients only, and the current rate multiplies the whole buffer",
        _in_buffer(True),
    ),
    (
        "the rate is inside the buffer (Keras' classical form v = beta v - lr g); PyTorch's "
        "buffer holds gradients only, and the current rate multiplies the whole buffer",
        _in_buffer(False),
    ),
    (
        "dampening is applied at the first step too: PyTorch starts the buffer as the "
        "gradient itself (b_1 = g_1) and dampens only from step 2",
        _torch_written(lambda g, d: (1 - d) * g, lambda b, g, lr, m, d: m * b + (1 - d) * g),
    ),
    (
        "(1 - momentum) where PyTorch has (1 - dampening): that is the EWMA form of lesson 03",
        _torch_written(lambda g, d: g, lambda b, g, lr, m, d: m * b + (1 - m) * g),
    ),
    (
        "dampening is missing: the new gradient enters the buffer with weight (1 - dampening)",
        _torch_written(lambda g, d: g, lambda b, g, lr, m, d: m * b + g),
    ),
    (
        "dampening multiplies the old buffer; it should scale the new gradient",
        _torch_written(lambda g, d: g, lambda b, g, lr, m, d: m * (1 - d) * b + g),
    ),
]


def _torch_step_cases() -> list[dict[str, Any]]:
    rng = np.random.default_rng(9)
    odd = {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3}
    return [
        {
            "w": np.array([1.0, -2.0]),
            "buf": np.zeros(2),
            "g": np.array([0.5, -1.5]),
            "t": 1,
            **odd,
        },  # fmt: skip
        {
            "w": rng.normal(size=3),
            "buf": rng.normal(size=3),
            "g": rng.normal(size=3),
            "t": 2,
            **odd,
        },  # fmt: skip
        {
            "w": rng.normal(size=3),
            "buf": rng.normal(size=3),
            "g": rng.normal(size=3),
            "t": 7,
            "learning_rate": 0.7,
            "momentum": 0.6,
            "dampening": 0.9,
        },  # fmt: skip
    ]


def check_torch_momentum_step(torch_momentum_step: Callable[..., Any]) -> bool:
    """Exercise 9.3: ``torch_momentum_step(w, buf, g, t, learning_rate, momentum,
    dampening) -> (w_new, buf_new)``, one step of PyTorch's ``torch.optim.SGD`` with
    momentum (no Nesterov, no weight decay): ``buf = g`` at t = 1, else
    ``buf = momentum * buf + (1 - dampening) * g``; ``w_new = w - learning_rate * buf``."""
    return check_against_reference(
        "9.3", torch_momentum_step, _reference_torch, _torch_step_cases(), _TORCH_MISTAKES
    )


# --------------------------------------------------------------------------- 9.1
def check_settled_step_prediction(predict: Any) -> bool:
    """Exercise 9.1 (predict, then run): the learner's prediction of Adam's mean |step| / eta
    on pure-noise gradients once settled (beta_1 = 0.9, beta_2 = 0.999), one number >= 0.
    Any valid number passes; the next cell shows the measurement."""
    return check_prediction(
        "9.1", predict, lambda v: number_problem(v, "the settled mean |step| as a fraction of η")
    )
