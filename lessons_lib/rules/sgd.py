r"""Gradient descent and momentum, in every form the lessons teach, as one rule.

* plain (``momentum == 0``): :math:`w_t = w_{t-1} - \eta g_t`
* classical momentum (Polyak's heavy ball; Keras' ``SGD(momentum=β)``), velocity in
  parameter units: :math:`v_t = \beta v_{t-1} - \eta g_t,\quad w_t = w_{t-1} + v_t`
* ``nesterov=True``, the reformulation of Sutskever et al. (2013) that Keras uses; it needs
  no gradient at a look-ahead point: :math:`w_t = w_{t-1} + \beta v_t - \eta g_t`
* ``ewma=True``, momentum as a moving average of gradients (lesson 03's EWMA form, with
  :math:`\tilde\eta` the ``lr``): :math:`m_t = \beta m_{t-1} + (1-\beta) g_t,\quad
  w_t = w_{t-1} - \tilde\eta\, m_t`, or :math:`m_t / (1-\beta^t)` with ``bias_correction``.
  It is classical momentum with :math:`\eta = \tilde\eta (1-\beta)`.
* ``dampening`` set (a number, not None): PyTorch's ``torch.optim.SGD`` form, whose buffer
  holds gradients and whose learning rate multiplies the whole buffer at every step:
  :math:`b_1 = g_1,\ b_t = \beta b_{t-1} + (1-d)\, g_t,\ w_t = w_{t-1} - \eta_t b_t`
  (:math:`g_t + \beta b_t` instead of :math:`b_t` with ``nesterov``). With a constant rate
  it is classical momentum when d = 0; under a schedule it is not (lesson 09).
* look-ahead Nesterov (the textbook form) is classical momentum whose gradient is taken at
  :func:`lookahead`, :math:`w + \beta v`; the caller evaluates it there, the rule is the same.

The slot is called ``velocity`` in every form (in the EWMA form it holds :math:`m`). The
arithmetic follows Keras' order (``v * momentum - g * lr``; Nesterov adds
``v * momentum - g * lr`` to ``w`` in one go), so float32 runs round as Keras' do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import Rule, State


def _nonzero(value: Any) -> bool:
    return bool(np.any(value))


def init(w, xp, *, momentum=0.0, nesterov=False, ewma=False, bias_correction=False,
         dampening=None) -> State:  # fmt: skip
    """A zero velocity when there is momentum; none for plain SGD (as Keras)."""
    return {"velocity": xp.zeros_like(w)} if ewma or _nonzero(momentum) else {}


def update(w, g, state, t, lr, xp, *, momentum=0.0, nesterov=False, ewma=False,
           bias_correction=False, dampening=None):  # fmt: skip
    """One step of plain SGD, classical momentum, Keras' Nesterov, EWMA momentum or
    PyTorch's momentum (``dampening`` a number; NumPy only: it tests ``t == 1``)."""
    if "velocity" not in state:
        return w - g * lr, {}
    if dampening is not None:
        b = g if t == 1 else momentum * state["velocity"] + (1 - dampening) * g
        return w - lr * (g + momentum * b if nesterov else b), {"velocity": b}
    if ewma:
        m = momentum * state["velocity"] + (1 - momentum) * g
        m_hat = m / (1 - momentum**t) if bias_correction else m
        return w - lr * m_hat, {"velocity": m}
    v = state["velocity"] * momentum - g * lr
    if nesterov:
        return w + (v * momentum - g * lr), {"velocity": v}
    return w + v, {"velocity": v}


def lookahead(w, state, momentum):
    r"""Where look-ahead Nesterov takes its next gradient: :math:`w + \beta v`."""
    return w + momentum * state["velocity"] if "velocity" in state else w


SGD = Rule(
    name="sgd",
    keras_name="SGD",
    paper="Robbins & Monro (1951), A Stochastic Approximation Method; momentum: Polyak "
    "(1964); Nesterov: Nesterov (1983), Sutskever et al. (2013)",
    year=1951,
    memory="n (velocity) with momentum, else none",
    init=init,
    update=update,
    defaults={"momentum": 0.0, "nesterov": False},
    ranges={"dampening": "[0, 1]"},
    keras_float32=("momentum",),
)
