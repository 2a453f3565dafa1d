r"""Muon: Jordan et al. (2024), "Muon: An optimizer for hidden layers in neural networks"
(blog post and code, github.com/KellerJordan/Muon); the update scaling of Liu et al.
(2025), "Muon is Scalable for LLM Training" (arXiv:2502.16982).

MomentUm Orthogonalized by Newton-schulz, for 2-D weight matrices: momentum SGD whose
step is replaced by the nearest semi-orthogonal matrix (all singular values ~1), so
every direction of the matrix moves by about the same amount:

.. math::

    m_t = \beta m_{t-1} + g_t, \qquad
    G_t = g_t + \beta m_t \ \text{(Nesterov; } G_t = m_t \text{ without)}, \qquad
    w_t = w_{t-1} - \eta\, \gamma \sqrt{\max(R, C)}\; \mathrm{NS}_5(G_t)

for an :math:`R\times C` matrix, :math:`\gamma` = ``rms_rate`` (0.2; Liu et al.'s scaling,
which makes the update's RMS match AdamW's). :math:`\mathrm{NS}_5` approximates
:math:`UV^\top` of the SVD :math:`G = USV^\top` without an SVD: with
:math:`X_0 = G/(\|G\|_F + 10^{-7})` (transposed first if :math:`R > C`), five times

.. math::

    A = X X^\top, \qquad X \leftarrow aX + (bA + cA^2)X, \qquad
    (a, b, c) = (3.4445, -4.7750, 2.0315),

a quintic chosen to push small singular values up fast. The result's singular values are
near 1 but not equal to it: on random Gaussian matrices the largest come out at most ~1.2,
and very small ones are not raised all the way in five iterations.

Every tensor that is not 2-D takes an AdamW step instead (Keras' Adam with
``learning_rate * adam_lr_ratio``, betas ``adam_beta_1/2``, ``epsilon``), as do 2-D
tensors whose path contains "embedding" (``exclude_embeddings``) or matches one of the
regular expressions in ``exclude_layers``: :func:`uses_adamw` is Keras' test. Pass the
Keras variable path as ``path`` to apply the name rules; without it only the number of
axes decides.

Weight decay: Keras' Muon overrides the base optimizer's decay, using ``weight_decay``
(default 0.004, on) for Muon tensors and ``adam_weight_decay`` (0.004) for AdamW ones,
both with the full learning rate (not times ``adam_lr_ratio``). Because the coefficient
depends on the tensor, this rule applies the decay itself, first:
:math:`w \leftarrow w - \eta\lambda w`. Callers must not add the generic decay again.

Where Keras differs from Jordan et al.: the reference scales the step by
:math:`\sqrt{\max(1, R/C)}` instead of :math:`0.2\sqrt{\max(R, C)}` (``rms_rate=None``
gives neither), and averages the momentum as an EWMA, :math:`m \leftarrow \beta m +
(1-\beta) g` (Nesterov: :math:`(1-\beta) g + \beta m`), where Keras sums; the two
directions are proportional, so after the normalisation inside NS5 they agree (up to its
:math:`10^{-7}`). Keras rounds
the AdamW betas in the bias corrections through float32 (``keras_rounding``) and computes
``learning_rate * adam_lr_ratio`` in float32 (not reproduced: at most ~6e-8 relative, and
nothing when the ratio is a power of 2). Keras 3.15 computes :math:`\sqrt{\max(R,C)}` as
a float32 tensor, so with ``rms_rate`` set it fails on float64 variables unless
``keras.config.set_floatx("float64")``; the twin test runs those configurations that way.

State per parameter: ``m`` (n numbers) for Muon tensors; ``m`` and ``v`` (2n) for AdamW.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ._base import Rule, State, float32


def uses_adamw(
    shape: Sequence[int], path: str = "", exclude_layers: Sequence[str] | None = None,
    exclude_embeddings: bool = True,
) -> bool:
    """Keras' choice: AdamW for non-2-D tensors, embeddings and excluded layers."""
    if len(shape) != 2:
        return True
    if exclude_embeddings and "embedding" in path.lower():
        return True
    return any(re.search(keyword, path) for keyword in exclude_layers or ())


def init(
    w: Any, xp: Any, *, path: str = "", exclude_layers: Sequence[str] | None = None,
    exclude_embeddings: bool = True, **_: Any,
) -> State:
    """Momentum for every tensor, plus the second moment ``v`` for AdamW tensors."""
    if uses_adamw(w.shape, path, exclude_layers, exclude_embeddings):
        return {"m": xp.zeros_like(w), "v": xp.zeros_like(w)}
    return {"m": xp.zeros_like(w)}


def _swap_last_axes(x: Any, xp: Any) -> Any:
    return xp.swapaxes(x, -1, -2)


def newton_schulz(
    g: Any, xp: Any, steps: int = 5, a: float = 3.4445, b: float = -4.7750, c: float = 2.0315,
) -> Any:
    r"""Approximate :math:`UV^\top` of ``g`` (last two axes) by the quintic iteration."""
    tall = g.shape[-2] > g.shape[-1]
    x = _swap_last_axes(g, xp) if tall else g
    x = x / (xp.sqrt(xp.sum(xp.square(x), axis=(-2, -1), keepdims=True)) + 1e-7)
    for _ in range(steps):
        gram = xp.matmul(x, _swap_last_axes(x, xp))
        x = a * x + xp.matmul(b * gram + xp.matmul(c * gram, gram), x)
    return _swap_last_axes(x, xp) if tall else x


def _adamw_step(w, g, state, t, lr, xp, beta_1, beta_2, epsilon, keras_rounding):
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (xp.square(g) - state["v"]) * (1 - beta_2)
    p1, p2 = (float32(beta_1), float32(beta_2)) if keras_rounding else (beta_1, beta_2)
    alpha = lr * xp.sqrt(1 - p2**t) / (1 - p1**t)
    return w - (m * alpha) / (xp.sqrt(v) + epsilon), {"m": m, "v": v}


def update(
    w: Any, g: Any, state: State, t: Any, lr: Any, xp: Any, *, adam_beta_1: float = 0.9,
    adam_beta_2: float = 0.999, adam_weight_decay: float | None = 0.004,
    epsilon: float = 1e-7, weight_decay: float | None = 0.004,
    exclude_layers: Sequence[str] | None = None, exclude_embeddings: bool = True,
    muon_a: float = 3.4445, muon_b: float = -4.7750, muon_c: float = 2.0315,
    adam_lr_ratio: float = 1, momentum: float = 0.95, ns_steps: int = 5,
    nesterov: bool = True, rms_rate: float | None = 0.2, path: str = "",
    keras_rounding: bool = False,
) -> tuple[Any, State]:
    r"""Weight decay, then one Muon step (2-D) or one AdamW step (everything else).

    ``keras_rounding=True`` (``from_keras`` and the bridge): float32 betas in the AdamW
    bias corrections, as Keras computes them.
    """
    adamw = "v" in state
    decay = adam_weight_decay if adamw else weight_decay
    if decay is not None:
        w = w - w * decay * lr
    if adamw:
        return _adamw_step(
            w, g, state, t, lr * adam_lr_ratio, xp, adam_beta_1, adam_beta_2, epsilon,
            keras_rounding,
        )
    m = state["m"] + (g + state["m"] * (momentum - 1))
    direction = g + momentum * m if nesterov else m
    step = lr * newton_schulz(direction, xp, int(ns_steps), muon_a, muon_b, muon_c)
    if rms_rate is not None:
        step = step * max(w.shape[0], w.shape[1]) ** 0.5 * rms_rate
    return w - step, {"m": m}


MUON = Rule(
    name="muon",
    keras_name="Muon",
    paper='Jordan et al. (2024), "Muon: An optimizer for hidden layers in neural networks"',
    year=2024,
    memory="n (m) for 2-D tensors; 2n (m, v) for the AdamW ones",
    init=init,
    update=update,
    defaults={
        "adam_beta_1": 0.9,
        "adam_beta_2": 0.999,
        "adam_weight_decay": 0.004,
        "epsilon": 1e-7,
        "weight_decay": 0.004,
        "exclude_layers": None,
        "exclude_embeddings": True,
        "muon_a": 3.4445,
        "muon_b": -4.7750,
        "muon_c": 2.0315,
        "adam_lr_ratio": 1,
        "momentum": 0.95,
        "ns_steps": 5,
        "nesterov": True,
        "rms_rate": 0.2,
    },
    ranges={"momentum": "[0, 1)", "adam_lr_ratio": "(0, inf)", "ns_steps": "[0, inf)"},
    keras_float32=("adam_weight_decay",),
    keras_flags={"keras_rounding": True},
)
