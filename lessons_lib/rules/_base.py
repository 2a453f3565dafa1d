"""The contract every update rule follows (one file per algorithm, as in Keras).

A rule is written once, with arithmetic and the functions NumPy and ``keras.ops`` share
(``xp.sqrt``, ``xp.square``, ``xp.abs``, ``xp.sign``, ``xp.maximum``, ``xp.where``, ...), so
the same code runs on NumPy arrays in the lessons (``xp=numpy``) and on tensors inside Keras
(``xp=keras.ops``, through ``lessons_lib.keras_bridge``)::

    state = rule.init(w, xp, **hyper)                          # dict of arrays
    new_w, new_state = rule.update(w, g, state, t, lr, xp, **hyper)

* ``w``, ``g``: parameters and gradient (same shape); never modified in place.
* ``t``: the step number, 1 on the first update (Keras' ``iterations + 1``).
* ``lr``: the learning rate for this step (a schedule is evaluated by the caller at
  ``t - 1``, as Keras evaluates it at ``iterations``).
* ``hyper``: the algorithm's other hyperparameters, named and defaulted as in Keras.
  Variants a lesson teaches (epsilon inside the root, no bias correction, ...) are
  keyword flags of the rule, never copies of it.

Decoupled weight decay (``w <- w - lr * weight_decay * w``, applied by Keras before every
``update_step``) is not part of a rule: the optimizer classes and the bridge apply it once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

State = dict[str, Any]
InitFn = Callable[..., State]
UpdateFn = Callable[..., tuple[Any, State]]


@dataclass(frozen=True)
class Rule:
    """One optimizer's update rule and what the lessons say about it.

    ``memory`` is the state kept per parameter tensor in words, e.g. ``"2n (m, v)"`` or,
    for Adafactor, ``"r + c for an r x c matrix"``; the optimizer table in
    ``lessons_lib.optimizers`` is built from these fields.
    """

    name: str  # "adam"
    keras_name: str | None  # "Adam"; None for a teaching variant Keras does not ship
    paper: str  # "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization"
    year: int
    memory: str
    init: InitFn
    update: UpdateFn
    defaults: Mapping[str, Any] = field(default_factory=dict)  # Keras' defaults, without lr
