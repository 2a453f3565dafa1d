r"""Adafactor: Shazeer & Stern (2018), "Adafactor: Adaptive Learning Rates with Sublinear
Memory Cost" (ICML 2018).

No first moment, and for a matrix the second moment is *factored*: only the row means
:math:`r` (over the last axis) and column means :math:`c` (over the second-to-last) of
:math:`g^2 + \epsilon_1` are averaged, and
:math:`\hat v` is rebuilt as their rank-1 product (for an :math:`R\times C` matrix,
R + C numbers instead of RC). With :math:`\hat\beta_{2,t} = 1 - t^{-0.8}` (the exponent
is ``beta_2_decay``; :math:`\hat\beta_{2,1} = 0`, so the first step uses the current
gradient alone):

.. math::

    r_t = \hat\beta_{2,t} r_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{rowmean}(g_t^2+\epsilon_1),
    \quad
    c_t = \hat\beta_{2,t} c_{t-1} + (1-\hat\beta_{2,t})\,\mathrm{colmean}(g_t^2+\epsilon_1),
    \quad
    \hat v_t = \frac{r_t\, c_t^\top}{\mathrm{mean}(r_t)}

For a vector (or a scalar) :math:`\hat v_t = \hat\beta_{2,t} \hat v_{t-1} +
(1-\hat\beta_{2,t})(g_t^2+\epsilon_1)`, unfactored. Tensors with more than two axes are
factored over their last two. Then the update is clipped by its root mean square
(threshold d) and scaled relative to the parameters' own size:

.. math::

    u_t = \frac{g_t}{\sqrt{\hat v_t}}, \qquad
    \hat u_t = \frac{u_t}{\max(1, \mathrm{RMS}(u_t)/d)}, \qquad
    \rho_t = \min(\eta, 1/\sqrt t), \qquad
    w_t = w_{t-1} - \max(\epsilon_2, \mathrm{RMS}(w_{t-1}))\,\rho_t\, \hat u_t

Where Keras (``keras.optimizers.Adafactor``) differs from the paper:

* the paper's relative step size is :math:`\rho_t = \min(10^{-2}, 1/\sqrt t)`; Keras puts
  the learning rate in place of :math:`10^{-2}`.
* ``relative_step`` changes nothing in Keras 3.15: :math:`\rho_t = \min(\eta, 1/\sqrt t)`
  and the scaling by :math:`\max(\epsilon_2, \mathrm{RMS}(w))` are applied whether it is
  True or False (the paper's absolute step, :math:`\alpha_t = \eta`, is not available).
  The twin accepts the flag and, like Keras, ignores it.
* no first moment (the paper's default, :math:`\beta_1 = 0`).
* :math:`\mathrm{RMS}(w)` is taken after Keras' decoupled weight decay, if any.

State per parameter: ``r`` and ``c`` for a tensor with two or more axes, ``v`` for vectors
and scalars. Keras 3.15 also keeps the rebuilt :math:`\hat v` as a full-size slot for every
tensor, so its Adafactor saves no memory over Adam's second moment; the twin recomputes
:math:`\hat v` and keeps only ``r`` and ``c``.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State


def factored(w: Any) -> bool:
    """Keras factors every tensor with at least two axes (over the last two)."""
    return len(w.shape) >= 2


def init(w: Any, xp: Any, **_: Any) -> State:
    """Row and column means for a matrix, a full ``v`` otherwise; all zero."""
    if factored(w):
        return {"r": xp.zeros_like(w[..., 0]), "c": xp.zeros_like(w[..., 0, :])}
    return {"v": xp.zeros_like(w)}


def rms(x: Any, xp: Any) -> Any:
    """Root mean square of all entries."""
    return xp.sqrt(xp.mean(xp.square(x)))


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, beta_2_decay: float = -0.8,
    epsilon_1: float = 1e-30, epsilon_2: float = 1e-3, clip_threshold: float = 1.0,
    relative_step: bool = True,
) -> tuple[Any, State]:
    """One Adafactor step; ``relative_step`` is accepted and ignored, as in Keras."""
    rho = xp.minimum(lr, 1 / xp.sqrt(t * 1.0))
    alpha = xp.maximum(epsilon_2, rms(w, xp)) * rho
    g2 = xp.square(g) + epsilon_1
    beta = 1 - xp.power(t * 1.0, beta_2_decay)
    if factored(w):
        r = beta * state["r"] + (1 - beta) * xp.mean(g2, axis=-1)
        c = beta * state["c"] + (1 - beta) * xp.mean(g2, axis=-2)
        row_share = r / xp.mean(r, axis=-1, keepdims=True)
        v = xp.expand_dims(row_share, -1) * xp.expand_dims(c, -2)
        new_state = {"r": r, "c": c}
    else:
        v = beta * state["v"] + (1 - beta) * g2
        new_state = {"v": v}
    u = g / xp.sqrt(v)
    u_hat = u / xp.maximum(1.0, rms(u, xp) / clip_threshold)
    return w - alpha * u_hat, new_state


ADAFACTOR = Rule(
    name="adafactor",
    keras_name="Adafactor",
    paper='Shazeer & Stern (2018), "Adafactor: Adaptive Learning Rates with Sublinear '
    'Memory Cost"',
    year=2018,
    memory="R + C for an R x C matrix (r, c); n for a vector (v)",
    init=init,
    update=update,
    defaults={
        "beta_2_decay": -0.8,
        "epsilon_1": 1e-30,
        "epsilon_2": 1e-3,
        "clip_threshold": 1.0,
        "relative_step": True,
    },
    ranges={
        "beta_2_decay": "(-inf, 0)",
        "epsilon_1": "[0, inf)",
        "epsilon_2": "[0, inf)",
        "clip_threshold": "(0, inf)",
    },
    keras_float32=("epsilon_2",),
)
