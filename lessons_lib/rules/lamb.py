r"""LAMB: You et al. (2020), "Large Batch Optimization for Deep Learning: Training BERT in
76 minutes" (ICLR 2020).

Adam's bias-corrected direction, rescaled per parameter tensor by a *trust ratio*
:math:`\|w\| / \|r\|` so that each layer moves by a fixed fraction of its own norm:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2

    r_t = \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}, \qquad
    \phi_t = \begin{cases} \|w_{t-1}\| / \|r_t\| & \text{if both norms} > 0 \\
                           1 & \text{otherwise} \end{cases}, \qquad
    w_t = w_{t-1} - \eta\, \phi_t\, r_t

(:math:`\|\cdot\|` the Euclidean norm of the whole tensor.) Where Keras
(``keras.optimizers.Lamb``) differs from the paper:

* the paper adds the weight decay inside the ratio, :math:`r_t + \lambda w_{t-1}`, in
  both the norm and the step; Keras applies its decoupled decay
  :math:`w \leftarrow w - \eta\lambda w` *before* the step, outside the trust ratio.
* the paper scales :math:`\|w\|` by a function :math:`\phi` (e.g. clipped to
  :math:`[\gamma_l, \gamma_u]`); Keras uses the identity.
* a zero weight norm (e.g. a bias at its zero start) gives ratio 1 in Keras, so that
  tensor takes a plain Adam step; with the identity scaling the paper's formula would
  leave it at zero for good.

Keras rounds :math:`\beta_1, \beta_2` through float32 in the bias corrections only (as for
Adam); ``keras_powers=True`` (set by ``from_keras`` and the bridge) reproduces it.

State per parameter: ``m`` and ``v`` (Keras' ``momentum``, ``velocity``), 2n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State, float32


def init(w: Any, xp: Any, **_: Any) -> State:
    """``m`` and ``v`` start at zero."""
    return {"m": xp.zeros_like(w), "v": xp.zeros_like(w)}


def trust_ratio(w: Any, r: Any, xp: Any) -> Any:
    r""":math:`\|w\| / \|r\|`, or 1 when either norm is zero (never divides by zero).

    The squares are ``xp.power(x, 2)``, as Keras writes them: TensorFlow's float32 ``pow``
    is not ``x * x`` (a last-bit difference for about a quarter of the numbers), so
    ``xp.square`` here made Keras' float32 weights differ in the last bits. NumPy's
    ``power(x, 2)`` is ``x * x`` exactly, so the NumPy twin is unchanged."""
    w_norm = xp.sqrt(xp.sum(xp.power(w, 2)))
    r_norm = xp.sqrt(xp.sum(xp.power(r, 2)))
    both = xp.logical_and(w_norm > 0, r_norm > 0)
    return xp.where(both, w_norm / xp.where(r_norm > 0, r_norm, 1.0), 1.0)


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_1: float = 0.9,
    beta_2: float = 0.999, epsilon: float = 1e-7, keras_powers: bool = False,
) -> tuple[Any, State]:
    """One LAMB step (Keras' order of operations; ``keras_powers``: float32 betas in beta**t)."""
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (xp.square(g) - state["v"]) * (1 - beta_2)
    p1, p2 = (float32(beta_1), float32(beta_2)) if keras_powers else (beta_1, beta_2)
    m_hat = m / (1.0 - p1**t)
    r = m_hat / (xp.sqrt(v / (1.0 - p2**t)) + epsilon)
    return w - trust_ratio(w, r, xp) * lr * r, {"m": m, "v": v}


LAMB = Rule(
    name="lamb",
    keras_name="Lamb",
    paper='You et al. (2020), "Large Batch Optimization for Deep Learning: Training BERT '
    'in 76 minutes"',
    year=2020,
    memory="2n (m, v)",
    init=init,
    update=update,
    defaults={"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    keras_flags={"keras_powers": True},
)
