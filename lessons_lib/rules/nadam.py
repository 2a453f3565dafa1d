r"""Nadam: Dozat (2016), "Incorporating Nesterov Momentum into Adam" (ICLR workshop).

Adam whose first-moment term looks one step ahead, as Nesterov momentum does: the next
step's momentum coefficient multiplies the average, and the current gradient enters with
its own weight. The momentum coefficient follows a warm-up schedule
:math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t})`, and the bias corrections use the
*product* of the coefficients, not a power of one:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

    \hat m_t = \frac{\mu_{t+1}\, m_t}{1 - \prod_{i=1}^{t+1}\mu_i}
             + \frac{(1-\mu_t)\, g_t}{1 - \prod_{i=1}^{t}\mu_i}, \qquad
    \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
    w_t = w_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

Where Keras (``keras.optimizers.Nadam``) differs from the paper: the paper's schedule is
:math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^{t/250})` (Keras 2 had ``schedule_decay=0.004``
= 1/250); Keras 3 uses :math:`0.96^{t}`, so its :math:`\mu_t` reaches :math:`\beta_1`
within ~100 steps instead of staying between :math:`0.5\beta_1` and :math:`0.6\beta_1` for
the first thousand. :math:`m_t` is averaged with the constant :math:`\beta_1` (as in
PyTorch), not with :math:`\mu_t`. Keras keeps one running product
for all variables; the twin keeps a copy per parameter (the same number). Keras computes
that product with the exact :math:`\beta_1` and 0.96 but rounds both through float32 in
:math:`\mu_t, \mu_{t+1}` and the average (and :math:`\beta_2` everywhere);
``keras_powers=True`` reproduces that.

State per parameter: ``m``, ``v`` (Keras' ``momentum``, ``velocity``) and the scalar
``u_product`` :math:`\prod_{i\le t}\mu_i`: 2n + 1 numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State, float32

SCHEDULE_BASE = 0.96  # mu_t = beta_1 * (1 - 0.5 * 0.96**t), fixed in Keras 3


def init(w: Any, xp: Any, **_: Any) -> State:
    """``m``, ``v`` at zero; the running product of the momentum coefficients at 1."""
    one = xp.ones_like(xp.sum(xp.zeros_like(w)))  # a scalar of w's dtype and namespace
    return {"m": xp.zeros_like(w), "v": xp.zeros_like(w), "u_product": one}


def momentum_coefficient(t: Any, beta_1: float, base: float = SCHEDULE_BASE) -> Any:
    r""":math:`\mu_t = \beta_1 (1 - \tfrac12\, 0.96^t)` (Keras 3's schedule)."""
    return beta_1 * (1.0 - 0.5 * base**t)


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_1: float = 0.9,
    beta_2: float = 0.999, epsilon: float = 1e-7, keras_powers: bool = False,
) -> tuple[Any, State]:
    r"""One Nadam step (Keras' order of operations).

    ``keras_powers=True`` (``from_keras`` and the bridge): float32 ``beta_1`` and 0.96 in
    :math:`\mu_t, \mu_{t+1}` and the average, the exact ones in the running product.
    """
    b1, base = beta_1, SCHEDULE_BASE
    if keras_powers:
        b1, base = float32(beta_1), float32(SCHEDULE_BASE)
    u_t = momentum_coefficient(t, b1, base)
    u_next = momentum_coefficient(t + 1, b1, base)
    u_product = state["u_product"] * momentum_coefficient(t, beta_1)
    u_product_next = u_product * u_next
    m = state["m"] + (g - state["m"]) * (1 - b1)
    v = state["v"] + (xp.square(g) - state["v"]) * (1 - beta_2)
    m_hat = (u_next * m) / (1 - u_product_next) + ((1 - u_t) * g) / (1 - u_product)
    v_hat = v / (1 - xp.power(beta_2, t))
    new_w = w - (m_hat * lr) / (xp.sqrt(v_hat) + epsilon)
    return new_w, {"m": m, "v": v, "u_product": u_product}


NADAM = Rule(
    name="nadam",
    keras_name="Nadam",
    paper='Dozat (2016), "Incorporating Nesterov Momentum into Adam"',
    year=2016,
    memory="2n + 1 (m, v, product of mu)",
    init=init,
    update=update,
    defaults={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    keras_float32=("beta_2",),
    keras_flags={"keras_powers": True},
)
