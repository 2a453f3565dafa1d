r"""AdaGrad (Duchi, Hazan & Singer, 2011) as Keras writes it.

.. math::
    s_t = s_{t-1} + g_t^2, \qquad w_t = w_{t-1} - \eta\, g_t / \sqrt{s_t + \epsilon}

:math:`s_0` is ``initial_accumulator_value`` (Keras: 0.1). Keras puts epsilon *inside* the
root; ``epsilon_outside=True`` gives PyTorch's and the paper's usual statement,
:math:`\sqrt{s_t} + \epsilon` (lesson 05 shows when the two differ).
"""

from __future__ import annotations

from ._base import Rule, State


def init(w, xp, *, initial_accumulator_value=0.1, epsilon=1e-7, epsilon_outside=False) -> State:
    """The accumulator starts at ``initial_accumulator_value`` everywhere."""
    return {"accumulator": xp.zeros_like(w) + initial_accumulator_value}


def update(w, g, state, t, lr, xp, *, initial_accumulator_value=0.1, epsilon=1e-7,
           epsilon_outside=False):  # fmt: skip
    """One AdaGrad step (Keras' order: ``w - lr * g / sqrt(s + eps)``)."""
    s = state["accumulator"] + xp.square(g)
    root = xp.sqrt(s) + epsilon if epsilon_outside else xp.sqrt(s + epsilon)
    return w - lr * g / root, {"accumulator": s}


ADAGRAD = Rule(
    name="adagrad",
    keras_name="Adagrad",
    paper="Duchi, Hazan & Singer (2011), Adaptive Subgradient Methods for Online Learning "
    "and Stochastic Optimization",
    year=2011,
    memory="n (accumulator)",
    init=init,
    update=update,
    defaults={"initial_accumulator_value": 0.1, "epsilon": 1e-7},
    keras_float32=("initial_accumulator_value",),
)
