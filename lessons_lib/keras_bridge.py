"""Your update rule inside Keras: a Keras 3 optimizer that runs a lessons_lib rule.

An *update rule* is a plain function written with arithmetic and ``xp.sqrt`` /
``xp.maximum`` only, so the same code runs on NumPy arrays (``xp=numpy``) and, inside
Keras, on tensors (``xp=keras.ops``)::

    def rule(w, g, state, t, xp, **hyper) -> (new_w, new_state)

``state`` maps slot names (``"m"``, ``"v"``, ...) to arrays shaped like ``w``; ``t`` is the
step number, 1 on the first step; ``hyper`` holds the hyperparameters, among them
``learning_rate``. :func:`keras_optimizer` turns a rule, or a ``lessons_lib.optimizers``
instance (mapped to the rule of the same name below), into a ``keras.optimizers.Optimizer``
that applies it to every model variable: so ``model.fit`` trains with *your* Adam.

Keras and TensorFlow are imported only when :func:`keras_optimizer` is called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from . import optimizers as ref

__all__ = [
    "RULES",
    "adagrad_rule",
    "adam_rule",
    "keras_optimizer",
    "rmsprop_rule",
    "rule_for",
    "sgd_rule",
]

Rule = Callable[..., tuple[Any, dict[str, Any]]]


# --------------------------------------------------------------------------- rules
def sgd_rule(w, g, state, t, xp, *, learning_rate, momentum=0.0, nesterov=False):
    r"""SGD, classical momentum :math:`v \leftarrow \mu v - \eta g,\ w \leftarrow w + v`,
    or Nesterov (Keras' form) :math:`w \leftarrow w + \mu v - \eta g`."""
    v = momentum * state["velocity"] - learning_rate * g
    step = momentum * v - learning_rate * g if nesterov else v
    return w + step, {"velocity": v}


def adagrad_rule(w, g, state, t, xp, *, learning_rate, epsilon=1e-7):
    r""":math:`s \leftarrow s + g^2,\ w \leftarrow w - \eta g / \sqrt{s + \epsilon}` (Keras)."""
    s = state["accumulator"] + g * g
    return w - learning_rate * g / xp.sqrt(s + epsilon), {"accumulator": s}


def rmsprop_rule(w, g, state, t, xp, *, learning_rate, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False):  # fmt: skip
    r""":math:`s \leftarrow \rho s + (1-\rho) g^2,\ \Delta = \eta g/\sqrt{s - \bar g^2 + \epsilon}`
    (:math:`\bar g` only if centered), then :math:`w \leftarrow w - \Delta` or, with momentum,
    :math:`m \leftarrow \mu m + \Delta,\ w \leftarrow w - m` (Keras)."""
    s = rho * state["velocity"] + (1 - rho) * g * g
    new = {"velocity": s}
    denominator = s + epsilon
    if centered:
        new["average_gradient"] = rho * state["average_gradient"] + (1 - rho) * g
        denominator = denominator - new["average_gradient"] * new["average_gradient"]
    increment = learning_rate * g / xp.sqrt(denominator)
    if momentum:
        new["momentum"] = momentum * state["momentum"] + increment
        return w - new["momentum"], new
    return w - increment, new


def adam_rule(w, g, state, t, xp, *, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
              amsgrad=False, epsilon_mode="keras"):  # fmt: skip
    r"""Adam: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\
    v \leftarrow \beta_2 v + (1-\beta_2) g^2`; Keras' epsilon placement
    :math:`w \leftarrow w - \eta\sqrt{1-\beta_2^t}/(1-\beta_1^t)\; m/(\sqrt v + \epsilon)`,
    or the paper's :math:`w \leftarrow w - \eta\, \hat m/(\sqrt{\hat v} + \epsilon)`.

    The averages are written ``m + (1 - beta_1) (g - m)`` ("move m a fraction 1 - beta_1 of
    the way to g"), equal to ``beta_1 m + (1 - beta_1) g`` but rounded in float32 exactly as
    Keras rounds it, so the bridge and Keras' Adam stay together in float32 too."""
    m = state["m"] + (g - state["m"]) * (1 - beta_1)
    v = state["v"] + (g * g - state["v"]) * (1 - beta_2)
    new = {"m": m, "v": v}
    if amsgrad:
        v = new["v_hat"] = xp.maximum(state["v_hat"], v)
    if epsilon_mode == "paper":
        m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
        return w - learning_rate * m_hat / (xp.sqrt(v_hat) + epsilon), new
    alpha = learning_rate * xp.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (xp.sqrt(v) + epsilon), new


#: lessons_lib optimizer class -> (rule, {slot: initial value or hyperparameter name},
#: hyperparameter names the rule takes besides learning_rate)
RULES: dict[type, tuple[Rule, dict[str, Any], tuple[str, ...]]] = {
    ref.SGD: (sgd_rule, {"velocity": 0.0}, ("momentum", "nesterov")),
    ref.Adagrad: (adagrad_rule, {"accumulator": "initial_accumulator_value"}, ("epsilon",)),
    ref.RMSprop: (
        rmsprop_rule,
        {"velocity": 0.0, "average_gradient": 0.0, "momentum": 0.0},
        ("rho", "momentum", "epsilon", "centered"),
    ),
    ref.Adam: (
        adam_rule,
        {"m": 0.0, "v": 0.0, "v_hat": 0.0},
        ("beta_1", "beta_2", "epsilon", "amsgrad", "epsilon_mode"),
    ),
}


def _scalar(name: str, value: Any) -> Any:
    if isinstance(value, np.ndarray):
        if value.ndim:
            raise ValueError(
                f"{name} is an array; a Keras optimizer takes one value per hyperparameter"
            )
        value = value.item()
    return value


def rule_for(opt: ref.Optimizer) -> tuple[Rule, dict[str, float], dict[str, Any]]:
    """The rule, initial slot values and hyperparameters equal to a lessons_lib optimizer.

    Subclasses map to their parent's rule (``ClassicalMomentum`` is ``SGD``, ``AdamW`` is
    ``Adam`` with weight decay, which Keras applies before the rule as lessons_lib does).
    """
    for cls in type(opt).__mro__:
        if cls in RULES:
            rule, slots, names = RULES[cls]
            break
    else:
        raise ValueError(
            f"opt: no Keras rule for {type(opt).__name__}; use SGD, Adagrad, RMSprop or Adam "
            "(or pass your own rule function)"
        )
    hyper = {n: _scalar(n, getattr(opt, n)) for n in names}
    unused = {"v_hat": not hyper.get("amsgrad"), "average_gradient": not hyper.get("centered"),
              "momentum": not hyper.get("momentum")}  # fmt: skip
    init = {
        s: float(getattr(opt, v) if isinstance(v, str) else v)
        for s, v in slots.items()
        if not unused.get(s, False)
    }
    return rule, init, hyper


# --------------------------------------------------------------------------- Keras side
@lru_cache(maxsize=1)
def _optimizer_class() -> type:
    import keras
    from keras import ops

    class RuleOptimizer(keras.optimizers.Optimizer):
        """Applies ``rule`` to every trainable variable; one slot variable per state name."""

        def __init__(self, rule: Rule, slots: Mapping[str, float], learning_rate: float,
                     hyper: Mapping[str, Any], name: str = "rule_optimizer",
                     **kwargs: Any):  # fmt: skip
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.rule, self.slot_init, self.hyper = rule, dict(slots), dict(hyper)

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.slots = {
                slot: [
                    self.add_variable_from_reference(
                        v, name=slot, initializer=keras.initializers.Constant(init)
                    )
                    for v in var_list
                ]
                for slot, init in self.slot_init.items()
            }

        def update_step(self, gradient, variable, learning_rate):
            dtype = variable.dtype
            index = self._get_variable_index(variable)
            state = {slot: self.slots[slot][index] for slot in self.slots}
            t = ops.cast(self.iterations + 1, dtype)
            new_w, new_state = self.rule(
                ops.convert_to_tensor(variable), ops.cast(gradient, dtype),
                {k: ops.convert_to_tensor(v) for k, v in state.items()}, t, ops,
                learning_rate=ops.cast(learning_rate, dtype), **self.hyper,
            )  # fmt: skip
            for slot, value in new_state.items():
                self.assign(state[slot], value)
            self.assign(variable, new_w)

        def get_config(self):
            config = super().get_config()
            config.update({"rule": self.rule.__name__, **self.hyper})
            return config

    return RuleOptimizer


def keras_optimizer(
    source: ref.Optimizer | Rule,
    *,
    slots: Mapping[str, float] | None = None,
    learning_rate: float | None = None,
    name: str | None = None,
    **hyper: Any,
):
    """A Keras optimizer running ``source``: a lessons_lib optimizer, or a rule function.

    For a rule, give its ``slots`` (name -> initial value, e.g. ``{"m": 0.0, "v": 0.0}``),
    its ``learning_rate`` and its other hyperparameters as keywords.
    """
    if isinstance(source, ref.Optimizer):
        if slots is not None or learning_rate is not None or hyper:
            raise ValueError("pass either a lessons_lib optimizer or a rule with its settings")
        rule, slots, hyper = rule_for(source)
        learning_rate = float(_scalar("learning_rate", source.learning_rate))
        wd = source.weight_decay
        kwargs = {} if wd is None else {"weight_decay": float(_scalar("weight_decay", wd))}
        name = name or f"lessons_{type(source).__name__.lower()}"
    elif callable(source):
        if slots is None or learning_rate is None:
            raise ValueError("a rule needs slots={name: initial value} and learning_rate=...")
        kwargs = {}
        name = name or f"rule_{getattr(source, '__name__', 'optimizer')}"
        rule = source
    else:
        raise ValueError(f"source must be a lessons_lib optimizer or a function, got {source!r}")
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    return _optimizer_class()(rule, slots, learning_rate, hyper, name=name, **kwargs)
