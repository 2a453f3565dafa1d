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
* ``new_state`` holds every slot (the caller replaces the old state with it).
* In NumPy, hyperparameters may be arrays that broadcast against ``w`` (a batch of runs);
  the state's shape then follows the broadcast. Decide on hyperparameters with plain
  Python (``if momentum``), never on tensors.

Decoupled weight decay (``w <- w - w * weight_decay * lr``, applied by Keras before every
``update_step``) is not part of a rule: the optimizer classes and the bridge apply it once.
A rule that takes ``weight_decay`` as a keyword (Muon, which decays each tensor by its own
rate) applies it itself, and the callers then skip the generic decay.

Optional fields, all with defaults (added after the first rules were written; a rule that
leaves them out still works):

* ``ranges``: valid values of hyperparameters :data:`RANGES` does not know, e.g.
  ``{"clip_threshold": "(0, inf)", "mode": ("a", "b")}``. A hyperparameter whose default is a
  bool is a flag; a float without a range may be any finite number.
* ``keras_float32``: hyperparameters Keras rounds through float32 before every use
  (``ops.cast(python_float, dtype)`` makes a float32 tensor first). The learning rate and
  ``weight_decay`` always are; list the rule's own ones (SGD: ``("momentum",)``).
* ``keras_flags``: keyword flags of the rule that reproduce the rest of Keras' rounding,
  passed by ``from_keras`` and the bridge only (Adam: ``{"keras_powers": True}``, Keras
  computing ``beta ** t`` from float32 ``beta``).

:func:`keras_hyper` (with ``keras_flags``) is where Keras' rounding of hyperparameters
lives; the order of operations inside each rule is Keras' own.
``defaults`` may hold ``weight_decay`` (AdamW: 0.004) or ``learning_rate`` when Keras'
default differs from 0.001: the optimizer takes those, the rule never sees them.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

State = dict[str, Any]
InitFn = Callable[..., State]
UpdateFn = Callable[..., tuple[Any, State]]
Spec = str | tuple  # "(0, inf)"-style interval, or a tuple of allowed values

__all__ = [
    "RANGES",
    "Rule",
    "State",
    "check_flag",
    "check_hyper",
    "check_value",
    "float32",
    "keras_hyper",
]


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
    # Keras' defaults, without lr; a weight_decay default (AdamW: 0.004) goes to the optimizer
    defaults: Mapping[str, Any] = field(default_factory=dict)
    ranges: Mapping[str, Spec] = field(default_factory=dict)
    keras_float32: tuple[str, ...] = ()
    keras_flags: Mapping[str, Any] = field(default_factory=dict)

    def spec(self, name: str) -> Spec | None:
        """The valid values of hyperparameter ``name`` (None: any finite number)."""
        return self.ranges.get(name, RANGES.get(name))


#: valid ranges of the hyperparameters many rules share (Keras' meaning of each name)
RANGES: dict[str, Spec] = {
    "learning_rate": "(0, inf)",
    "weight_decay": "[0, inf)",
    "momentum": "[0, 1)",
    "beta": "[0, 1)",
    "beta_1": "[0, 1)",
    "beta_2": "[0, 1)",
    "rho": "[0, 1)",
    "epsilon": "(0, inf)",
    "initial_accumulator_value": "[0, inf)",
}


# --------------------------------------------------------------------------- validation
def _interval(spec: str) -> tuple[float, float, bool, bool]:
    """``"[0, 1)"`` -> (0.0, 1.0, low_inclusive=True, high_inclusive=False)."""
    low, high = (float(part.strip(" [()]")) for part in spec.split(","))
    return low, high, spec.lstrip().startswith("["), spec.rstrip().endswith("]")


def check_hyper(name: str, value: Any, spec: str = "(-inf, inf)") -> Any:
    """Return ``value`` as a float (or float array) after checking it lies in ``spec``.

    ``spec`` is an interval written as in mathematics, ``"(0, inf)"`` or ``"[0, 1)"``.
    Anything else (a bool, a string, None, a ragged list, NaN) is a ``ValueError`` whose
    message starts with ``name`` and states the valid range.
    """
    low, high, low_in, high_in = _interval(spec)
    valid = f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"
    not_a_number = ValueError(
        f"{name} must be a real number in {valid} (or an array of them), got {value!r}"
    )
    if isinstance(value, (bool, np.bool_)) or (
        not isinstance(value, (numbers.Real, np.ndarray, list, tuple))
    ):
        raise not_a_number
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise not_a_number from None
    if raw.dtype.kind not in "iuf" or raw.size == 0:  # bools, strings, objects, nothing
        raise not_a_number
    arr = raw.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite and in {valid}, got {value!r}")
    ok_low = arr >= low if low_in else arr > low
    ok_high = arr <= high if high_in else arr < high
    if not np.all(ok_low & ok_high):
        raise ValueError(f"{name} must be in {valid}, got {value!r}")
    return arr if arr.ndim else float(arr)


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` as a bool; anything but True/False is a mistake worth reporting."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_value(name: str, value: Any, spec: Spec | None, default: Any = 0.0) -> Any:
    """The one validator: a flag, a choice or a number, by ``spec`` and ``default``.

    * ``spec`` a tuple: ``value`` must be one of its items;
    * ``default`` a bool: ``value`` must be True or False; a string: a string;
    * ``default`` None: None is accepted as "off";
    * otherwise a number (or array) in the interval ``spec`` (any finite number if None).
    """
    if isinstance(spec, tuple):
        if value not in spec:
            allowed = " or ".join(repr(s) for s in spec)
            raise ValueError(f"{name} must be {allowed}, got {value!r}")
        return value
    if isinstance(default, bool):
        return check_flag(name, value)
    if isinstance(default, str):  # a name, e.g. Muon's variable path
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {value!r}")
        return value
    if value is None and default is None:
        return None
    return check_hyper(name, value, spec or "(-inf, inf)")


# --------------------------------------------------------------------------- Keras' rounding
def float32(value: Any) -> Any:
    """``value`` rounded to the nearest float32, as a Python float (or a float64 array).

    A Python float, not ``np.float64``: Keras tensors take Python numbers in their own
    dtype, but treat a NumPy float64 as a float64 tensor (an error beside float32)."""
    rounded = np.asarray(value, dtype=np.float32).astype(float)
    return float(rounded) if rounded.ndim == 0 else rounded


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.ndarray)) and not isinstance(value, (bool, np.bool_))


def keras_hyper(rule: Rule, hyper: Mapping[str, Any]) -> dict[str, Any]:
    """``hyper`` as Keras really holds it: ``learning_rate``, ``weight_decay`` and the
    rule's ``keras_float32`` hyperparameters rounded through float32 (numbers only; flags,
    None and schedules pass unchanged). Add ``rule.keras_flags`` to the rule's keywords
    to reproduce the rest of Keras' rounding.
    """
    rounded = ("learning_rate", "weight_decay", *rule.keras_float32)
    return {k: float32(v) if k in rounded and _is_number(v) else v for k, v in hyper.items()}
