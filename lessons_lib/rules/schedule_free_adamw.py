r"""Schedule-Free AdamW: Defazio et al. (2024), "The Road Less Scheduled" (NeurIPS 2024).

No learning-rate schedule: the optimizer keeps three sequences. :math:`z` takes plain
(Adam-normalised) gradient steps, :math:`x` is the running *uniform average* of the
:math:`z`'s, and the gradient is evaluated at :math:`y`, an interpolation of the two:

.. math::

    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
    z_t = z_{t-1} - \eta_t\, \frac{g_t}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}

    x_t = (1 - \tfrac1t)\, x_{t-1} + \tfrac1t\, z_t, \qquad
    y_t = (1-\beta_1)\, z_t + \beta_1\, x_t

with :math:`g_t` the gradient at :math:`y_{t-1}`, :math:`z_0 = x_0 = y_0 = w_0`, and a
linear warm-up :math:`\eta_t = \eta\min(t/T_{\rm warmup}, 1)` if ``warmup_steps`` > 0.

How Keras (``keras.optimizers.ScheduleFreeAdamW``) stores it: **the model variable holds**
:math:`y` (where gradients are taken), the slot ``momentum`` holds :math:`z`, and
:math:`x` is not stored but recovered each step as
:math:`x_{t-1} = (y_{t-1} - (1-\beta_1) z_{t-1})/\beta_1` (so :math:`\beta_1` must be > 0;
:math:`\beta_1 = 1` makes :math:`y = x`, plain averaging).
:func:`average` gives :math:`x` from the variable and the state.

Where Keras differs from the paper and its reference code:

* the reference averages with weights :math:`c_{t+1} = \eta_t^2/\sum_{i\le t}\eta_i^2`
  (warm-up steps count less) and adds the decay :math:`\lambda y` to the normalised
  gradient, so it enters :math:`z`'s step; Keras averages uniformly (:math:`1/t`) and its
  base optimizer decays the variable :math:`y` in place before the step, which also shifts
  the recovered :math:`x`.
* the reference switches the parameters to :math:`x` for evaluation (``optimizer.eval()``);
  Keras never does: after training, the model holds :math:`y`, not the average
  :math:`x` the paper evaluates.

A slip in Keras 3.15 on the TensorFlow backend (measured, see ``tests/test_keras_twins.py``):
``update_step`` saves ``momentum_old = momentum.value`` to recover :math:`x_{t-1}`, but on
TensorFlow that ``.value`` is the variable itself, not a copy, so after
``assign_sub(momentum, ...)`` it already holds :math:`z_t`. Keras therefore computes
:math:`x_{t-1}' = (y_{t-1} - (1-\beta_1) z_t)/\beta_1
= x_{t-1} + \tfrac{1-\beta_1}{\beta_1}(z_{t-1} - z_t)`: the average is pushed one
scaled gradient step *against* :math:`z`'s step. ``x_from_new_z=True`` reproduces that
(``from_keras`` and the bridge set it); the default follows the paper. The difference is
not small: on the twin test's quadratics with ``learning_rate=0.05, beta_1=0.7,
warmup_steps=10`` the paper's version ends 120 steps at a loss ~170x lower than Keras'
(1.7e-5 against 2.8e-3; ``benchmarks/keras_deviation.py`` prints the deviation).

Keras rounds :math:`\beta_1, \beta_2, \epsilon` through float32 (``from_keras`` copies it).

State per parameter: ``z`` (Keras' ``momentum``) and ``v`` (``velocity``), 2n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State


def init(w: Any, xp: Any, **_: Any) -> State:
    """``z`` starts at the weights (Keras copies them at build), ``v`` at zero."""
    return {"z": xp.copy(w), "v": xp.zeros_like(w)}


def average(y: Any, state: State, beta_1: float = 0.9) -> Any:
    r"""The averaged iterate :math:`x = (y - (1-\beta_1) z)/\beta_1` (what the paper evaluates)."""
    return (y - (1 - beta_1) * state["z"]) / beta_1


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_1: float = 0.9,
    beta_2: float = 0.999, epsilon: float = 1e-8, warmup_steps: int = 0,
    x_from_new_z: bool = False,
) -> tuple[Any, State]:
    """One step; ``w`` is the interpolated point y, as in Keras.

    ``x_from_new_z=True`` (``from_keras`` and the bridge) recovers :math:`x_{t-1}` from the
    already-updated :math:`z_t`, as Keras 3.15 does on the TensorFlow backend.
    """
    if warmup_steps > 0:
        lr = lr * xp.minimum(t / warmup_steps, 1.0)
    v = state["v"] + (xp.square(g) - state["v"]) * (1 - beta_2)
    denom = xp.sqrt(v / (1 - xp.power(beta_2, t))) + epsilon
    z = state["z"] - (lr * g) / denom
    weight = 1.0 / t
    x_old = average(w, {"z": z} if x_from_new_z else state, beta_1)
    x = (1 - weight) * x_old + weight * z
    y = (1 - beta_1) * z + beta_1 * x
    return y, {"z": z, "v": v}


SCHEDULE_FREE_ADAMW = Rule(
    name="schedule_free_adamw",
    keras_name="ScheduleFreeAdamW",
    paper='Defazio et al. (2024), "The Road Less Scheduled"',
    year=2024,
    memory="2n (z, v)",
    init=init,
    update=update,
    # Keras' default learning rate here is 0.0025, not 0.001
    defaults={
        "learning_rate": 0.0025,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
        "warmup_steps": 0,
    },
    ranges={"beta_1": "(0, 1]", "warmup_steps": "[0, inf)"},
    keras_float32=("beta_1", "beta_2", "epsilon"),
    keras_flags={"x_from_new_z": True},
)
