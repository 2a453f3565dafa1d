r"""Adam (Kingma & Ba, 2015) and its variants, as one rule; AdamW is the same rule.

.. math::
    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
    v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
    \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}

* ``epsilon_mode="keras"`` (Keras, and the "efficient version" below Algorithm 1 in the
  paper) adds epsilon to the *uncorrected* root:
  :math:`w_t = w_{t-1} - \eta_t\, m_t / (\sqrt{v_t} + \epsilon)` with
  :math:`\eta_t = \eta \sqrt{1-\beta_2^t} / (1-\beta_1^t)`.
* ``epsilon_mode="paper"``: Algorithm 1 as printed (and PyTorch),
  :math:`w_t = w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)`. The two agree when
  Keras' epsilon is :math:`\epsilon\sqrt{1-\beta_2^t}`.
* ``amsgrad`` (Reddi, Kale & Kumar, 2018) divides by the running maximum of :math:`v_t`
  (slot ``v_hat``).
* teaching flags: ``bias_correction=False`` drops both corrections
  (:math:`w_t = w_{t-1} - \eta\, m_t / (\sqrt{v_t} + \epsilon)`), ``epsilon_inside=True``
  puts epsilon under the root (:math:`\sqrt{\hat v_t + \epsilon}`, or
  :math:`\sqrt{v_t + \epsilon}` in Keras' form).

Keras' float32 rounding, reproduced here and nowhere else: the averages are written
``m + (g - m) * (1 - beta_1)`` ("move m a fraction 1 - beta_1 of the way to g"), equal to
:math:`\beta_1 m + (1-\beta_1) g` on paper but rounded as Keras rounds it; and with
``keras_powers=True`` (set by ``from_keras`` and the Keras bridge) :math:`\beta^t` is
computed from float32 :math:`\beta`, as Keras' ``ops.cast(beta, dtype)`` does, while the
averages use the exact :math:`\beta`.

AdamW (Loshchilov & Hutter, 2019) is this rule plus decoupled weight decay
:math:`w \leftarrow w - w\lambda\eta` before each step, which the optimizer applies.
"""

from __future__ import annotations

from dataclasses import replace

from ._base import Rule, State, float32


def init(w, xp, *, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
         epsilon_mode="keras", bias_correction=True, epsilon_inside=False,
         keras_powers=False) -> State:  # fmt: skip
    """Zero moments ``m`` and ``v``, and ``v_hat`` (their running maximum) with AMSGrad."""
    state = {"m": xp.zeros_like(w), "v": xp.zeros_like(w)}
    if amsgrad:
        state["v_hat"] = xp.zeros_like(w)
    return state


def update(w, g, state, t, lr, xp, *, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
           epsilon_mode="keras", bias_correction=True, epsilon_inside=False,
           keras_powers=False):  # fmt: skip
    """One Adam step; the flags choose the variant (see the module docstring)."""
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (xp.square(g) - state["v"]) * (1 - beta_2)
    new = {"m": m, "v": v}
    if amsgrad:
        v = new["v_hat"] = xp.maximum(state["v_hat"], v)
    if not bias_correction:
        return w - lr * m / _root(v, epsilon, epsilon_inside, xp), new
    p1, p2 = (float32(beta_1), float32(beta_2)) if keras_powers else (beta_1, beta_2)
    if epsilon_mode == "paper":
        m_hat, v_hat = m / (1 - p1**t), v / (1 - p2**t)
        return w - lr * m_hat / _root(v_hat, epsilon, epsilon_inside, xp), new
    alpha = lr * xp.sqrt(1 - p2**t) / (1 - p1**t)
    return w - m * alpha / _root(v, epsilon, epsilon_inside, xp), new


def _root(v, epsilon, inside, xp):
    return xp.sqrt(v + epsilon) if inside else xp.sqrt(v) + epsilon


_RANGES = {"epsilon_mode": ("keras", "paper")}
_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}

ADAM = Rule(
    name="adam",
    keras_name="Adam",
    paper="Kingma & Ba (2015), Adam: A Method for Stochastic Optimization; amsgrad: "
    "Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond",
    year=2015,
    memory="2n (m, v); +n with amsgrad (v_hat)",
    init=init,
    update=update,
    defaults=_DEFAULTS,
    ranges=_RANGES,
    keras_flags={"keras_powers": True},
)

ADAMW = replace(
    ADAM,
    name="adamw",
    keras_name="AdamW",
    paper="Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization",
    year=2019,
    defaults={**_DEFAULTS, "weight_decay": 0.004},
)
