r"""Adadelta: Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method" (arXiv:1212.5701).

Two running averages per parameter, with decay :math:`\rho`: of the squared gradients
and of the squared updates. Their ratio gives each coordinate a step with the units of
the parameter, so the paper needs no learning rate:

.. math::

    s_t = \rho s_{t-1} + (1-\rho) g_t^2, \qquad
    \Delta_t = -\frac{\sqrt{d_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}}\, g_t, \qquad
    d_t = \rho d_{t-1} + (1-\rho) \Delta_t^2, \qquad
    w_t = w_{t-1} + \eta\, \Delta_t

Where Keras (``keras.optimizers.Adadelta``) differs from the paper:

* the paper has no learning rate (:math:`\eta = 1`); Keras multiplies the step by
  ``learning_rate``, default 0.001, so Keras' default Adadelta moves 1000 times less
  than the paper's. The average :math:`d_t` holds the *unscaled* :math:`\Delta_t^2`.
* :math:`\epsilon` = 1e-7 (the paper's experiments use 1e-6); :math:`\rho` = 0.95 in both.

State per parameter: ``s`` (Keras' ``accumulated_grad``) and ``d``
(``accumulated_delta_var``), 2n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State


def init(w: Any, xp: Any, **_: Any) -> State:
    """Both averages start at zero."""
    return {"s": xp.zeros_like(w), "d": xp.zeros_like(w)}


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, rho: float = 0.95,
    epsilon: float = 1e-7,
) -> tuple[Any, State]:
    """One Adadelta step (Keras' order of operations)."""
    s = rho * state["s"] + (1 - rho) * xp.square(g)
    delta = -(xp.sqrt(state["d"] + epsilon) * g) / xp.sqrt(s + epsilon)
    d = rho * state["d"] + (1 - rho) * xp.square(delta)
    return w + lr * delta, {"s": s, "d": d}


ADADELTA = Rule(
    name="adadelta",
    keras_name="Adadelta",
    paper='Zeiler (2012), "ADADELTA: An Adaptive Learning Rate Method"',
    year=2012,
    memory="2n (s, d)",
    init=init,
    update=update,
    defaults={"rho": 0.95, "epsilon": 1e-7},
)
