r"""FTRL-Proximal: McMahan et al. (2013), "Ad Click Prediction: a View from the Trenches"
(KDD 2013).

Follow The (Proximally) Regularized Leader, per coordinate: the weights are not moved by
steps but recomputed in closed form from an accumulated linear term :math:`z`, which makes
the L1 penalty produce exact zeros. With :math:`n` the accumulated squared gradients,
:math:`p` = ``learning_rate_power`` (-1/2: a square root) and :math:`\lambda_{\rm sh}` the
L2 *shrinkage* (a penalty in the gradient only):

.. math::

    n_t = n_{t-1} + g_t^2, \qquad
    \sigma_t = \frac{n_t^{-p} - n_{t-1}^{-p}}{\eta}, \qquad
    z_t = z_{t-1} + g_t + 2\lambda_{\rm sh} w_{t-1} - \sigma_t w_{t-1}

    w_t = -\frac{\mathrm{sign}(z_t)\max(|z_t| - \lambda_1, 0)}
               {n_t^{-p}/\eta + \beta/\eta + 2\lambda_2}

Where Keras (``keras.optimizers.Ftrl``) differs from the paper (Algorithm 1):

* the paper's denominator is :math:`(\beta + \sqrt{n_t})/\eta + \lambda_2`; Keras has
  :math:`2\lambda_2` (its penalty is :math:`\lambda_2 w^2`, the paper's
  :math:`\tfrac12\lambda_2 w^2`), and a general power :math:`-p` instead of the root.
* :math:`n` starts at ``initial_accumulator_value`` = 0.1, the paper's at 0.
* the L2 shrinkage term is a TensorFlow addition, not in the paper.

State per parameter: ``n`` (Keras' ``accumulator``) and ``z`` (``linear``), 2n numbers.
"""

from __future__ import annotations

from typing import Any

from ._base import Rule, State


def init(w: Any, xp: Any, *, initial_accumulator_value: float = 0.1, **_: Any) -> State:
    """``n`` starts at ``initial_accumulator_value``, ``z`` at zero."""
    return {"n": xp.zeros_like(w) + initial_accumulator_value, "z": xp.zeros_like(w)}


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *,
    learning_rate_power: float = -0.5, initial_accumulator_value: float = 0.1,
    l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
    l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
) -> tuple[Any, State]:
    """One FTRL-Proximal step (Keras' order of operations)."""
    n, p, l1 = state["n"], -learning_rate_power, l1_regularization_strength
    l2 = l2_regularization_strength + beta / (2.0 * lr)
    shrunk_g = g + 2 * l2_shrinkage_regularization_strength * w
    new_n = n + xp.square(g)
    z = state["z"] + (shrunk_g - (xp.power(new_n, p) - xp.power(n, p)) / lr * w)
    quadratic = xp.power(new_n, p) / lr + 2 * l2
    new_w = (xp.clip(z, -l1, l1) - z) / quadratic
    return new_w, {"n": new_n, "z": z}


FTRL = Rule(
    name="ftrl",
    keras_name="Ftrl",
    paper='McMahan et al. (2013), "Ad Click Prediction: a View from the Trenches"',
    year=2013,
    memory="2n (n, z)",
    init=init,
    update=update,
    defaults={
        "learning_rate_power": -0.5,
        "initial_accumulator_value": 0.1,
        "l1_regularization_strength": 0.0,
        "l2_regularization_strength": 0.0,
        "l2_shrinkage_regularization_strength": 0.0,
        "beta": 0.0,
    },
    ranges={  # Keras' own checks, plus beta >= 0 (FTRL's beta is not a momentum)
        "learning_rate_power": "(-inf, 0]",
        "l1_regularization_strength": "[0, inf)",
        "l2_regularization_strength": "[0, inf)",
        "l2_shrinkage_regularization_strength": "[0, inf)",
        "beta": "[0, inf)",
    },
    keras_float32=("initial_accumulator_value",),  # Keras' Constant initializer rounds it
)
