r"""Adamax: Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization", section 7.1.

Adam with the second moment's :math:`L^2` average replaced by an exponentially weighted
infinity norm, which needs no bias correction:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    u_t = \max(\beta_2 u_{t-1}, |g_t|), \qquad
    w_t = w_{t-1} - \frac{\eta}{1-\beta_1^t}\, \frac{m_t}{u_t + \epsilon}

Where Keras (``keras.optimizers.Adamax``) differs from the paper: the paper divides by
:math:`u_t` alone; Keras adds :math:`\epsilon` (1e-7), so a coordinate whose gradients
have all been zero does not divide 0 by 0. Defaults as in the paper otherwise
(:math:`\beta_1` = 0.9, :math:`\beta_2` = 0.999; Keras' learning rate 0.001, the paper's
0.002). Keras rounds :math:`\beta_1` through float32 in :math:`1-\beta_1^t` only (as for
Adam), which no single :math:`\beta_1` copies; ``keras_powers=True`` (set by ``from_keras``
and the bridge) reproduces it.

State per parameter: ``m`` (Keras' ``momentum``) and ``u`` (``norm``), 2n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State, float32


def init(w: Any, xp: Any, **_: Any) -> State:
    """``m`` and ``u`` start at zero."""
    return {"m": xp.zeros_like(w), "u": xp.zeros_like(w)}


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_1: float = 0.9,
    beta_2: float = 0.999, epsilon: float = 1e-7, keras_powers: bool = False,
) -> tuple[Any, State]:
    """One Adamax step (Keras' order of operations; ``keras_powers``: float32 beta_1**t)."""
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    u = xp.maximum(beta_2 * state["u"], xp.abs(g))
    p1 = float32(beta_1) if keras_powers else beta_1
    step = (lr * m) / ((1 - p1**t) * (u + epsilon))
    return w - step, {"m": m, "u": u}


ADAMAX = Rule(
    name="adamax",
    keras_name="Adamax",
    paper='Kingma & Ba (2015), "Adam: A Method for Stochastic Optimization" (section 7.1)',
    year=2015,
    memory="2n (m, u)",
    init=init,
    update=update,
    defaults={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    keras_flags={"keras_powers": True},
)
