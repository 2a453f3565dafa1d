r"""Lion: Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms" (arXiv:2302.06675).

EvoLved Sign Momentum, found by program search: the step is the *sign* of an
interpolation between the momentum and the gradient, so every coordinate moves by exactly
:math:`\eta`; the momentum is then updated with a second, slower interpolation:

.. math::

    c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    w_t = w_{t-1} - \eta\, \mathrm{sign}(c_t), \qquad
    m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t

Two different betas (0.9 for the step, 0.99 for the memory) are the point: using one beta
for both, or updating :math:`m` before taking the sign, is a different algorithm.
The paper's decoupled weight decay :math:`-\eta\lambda w_{t-1}` is what Keras' base
optimizer applies before the step, so Keras and the paper agree; the paper recommends a
learning rate 3-10x smaller and a weight decay 3-10x larger than AdamW's.
Keras rounds :math:`\beta_1, \beta_2` through float32 (``from_keras`` copies that).

State per parameter: ``m`` (Keras' ``momentum``), n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State


def init(w: Any, xp: Any, **_: Any) -> State:
    """The momentum starts at zero."""
    return {"m": xp.zeros_like(w)}


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_1: float = 0.9,
    beta_2: float = 0.99,
) -> tuple[Any, State]:
    """One Lion step: sign of the first interpolation, memory from the second."""
    m = state["m"]
    new_w = w - lr * xp.sign(m * beta_1 + g * (1.0 - beta_1))
    return new_w, {"m": m * beta_2 + g * (1.0 - beta_2)}


LION = Rule(
    name="lion",
    keras_name="Lion",
    paper='Chen et al. (2023), "Symbolic Discovery of Optimization Algorithms"',
    year=2023,
    memory="n (m)",
    init=init,
    update=update,
    defaults={"beta_1": 0.9, "beta_2": 0.99},
    keras_float32=("beta_1", "beta_2"),
)
