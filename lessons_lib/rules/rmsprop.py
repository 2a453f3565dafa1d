r"""RMSProp (Tieleman & Hinton, 2012, lecture 6e) as Keras writes it.

.. math::
    s_t = \rho s_{t-1} + (1-\rho) g_t^2, \qquad
    \Delta_t = \eta\, g_t / \sqrt{s_t - \bar g_t^2 + \epsilon}

with :math:`\bar g_t = \rho \bar g_{t-1} + (1-\rho) g_t` when ``centered`` (Graves, 2013),
otherwise :math:`\bar g = 0`. Then :math:`w_t = w_{t-1} - \Delta_t`, or with momentum
:math:`b_t = \beta b_{t-1} + \Delta_t,\ w_t = w_{t-1} - b_t`. Epsilon is *inside* the root
as in Keras; ``epsilon_outside=True`` is PyTorch's :math:`\sqrt{s_t - \bar g_t^2} + \epsilon`.
"""

from __future__ import annotations

import numpy as np

from ._base import Rule, State


def init(w, xp, *, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
         epsilon_outside=False) -> State:  # fmt: skip
    """``velocity`` (the average of squares), plus ``average_gradient`` when centered and
    ``momentum`` when there is momentum (as Keras)."""
    state = {"velocity": xp.zeros_like(w)}
    if centered:
        state["average_gradient"] = xp.zeros_like(w)
    if np.any(momentum):
        state["momentum"] = xp.zeros_like(w)
    return state


def update(w, g, state, t, lr, xp, *, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
           epsilon_outside=False):  # fmt: skip
    """One RMSprop step, in Keras' order of operations."""
    s = rho * state["velocity"] + (1 - rho) * xp.square(g)
    new = {"velocity": s}
    if centered:
        gbar = new["average_gradient"] = rho * state["average_gradient"] + (1 - rho) * g
        s = s - xp.square(gbar)
    root = xp.sqrt(s) + epsilon if epsilon_outside else xp.sqrt(s + epsilon)
    increment = lr * g / root
    if "momentum" not in state:
        return w - increment, new
    b = new["momentum"] = momentum * state["momentum"] + increment
    return w - b, new


RMSPROP = Rule(
    name="rmsprop",
    keras_name="RMSprop",
    paper="Tieleman & Hinton (2012), Neural Networks for Machine Learning, lecture 6e; "
    "centered: Graves (2013), Generating Sequences With Recurrent Neural Networks",
    year=2012,
    memory="n (velocity); +n centered (average_gradient); +n with momentum",
    init=init,
    update=update,
    defaults={"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
)
