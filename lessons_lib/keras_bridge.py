"""Your update rule inside Keras: a Keras 3 optimizer that runs a lessons_lib rule.

The rules of :mod:`lessons_lib.rules` are written with arithmetic and ``xp.sqrt`` /
``xp.maximum`` only, so the same code runs on NumPy arrays (``xp=numpy``) and, inside
Keras, on tensors (``xp=keras.ops``). :func:`rule_optimizer` turns any of them into a
``keras.optimizers.Optimizer`` that applies it to every model variable, so ``model.fit``
trains with *your* Adam. It takes:

* a ``lessons_lib.optimizers`` instance (its rule and hyperparameters, rounded as Keras
  rounds them, so the bridge does what ``to_keras(opt)`` does);
* a registered rule, by name or :class:`~lessons_lib.rules.Rule`, with Keras' keywords:
  ``rule_optimizer("adam", learning_rate=1e-3, beta_2=0.99)``;
* a function written by hand, in the lessons' exercise shape
  ``rule(w, g, state, t, xp, *, learning_rate, **hyper) -> (new_w, new_state)``, with its
  ``slots`` (slot name -> initial value) and ``learning_rate``.

Keras and TensorFlow are imported only when :func:`rule_optimizer` is called.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from . import optimizers as ref
from .rules import REGISTRY, Rule, keras_hyper
from .rules.adam import ADAM

__all__ = ["adam_rule", "keras_optimizer", "rule_for", "rule_optimizer"]

LearnerRule = Callable[..., tuple[Any, dict[str, Any]]]


def adam_rule(w, g, state, t, xp, *, learning_rate, **hyper):
    """Adam in the exercise shape ``rule(w, g, state, t, xp, *, learning_rate, ...)``:
    :data:`lessons_lib.rules.adam.ADAM`'s update, Keras' order of operations."""
    return ADAM.update(w, g, state, t, learning_rate, xp, **hyper)


def _scalar(name: str, value: Any) -> Any:
    """A hyperparameter as a Python number (Keras takes those in the variable's dtype)."""
    if isinstance(value, np.ndarray):
        if value.ndim:
            raise ValueError(
                f"{name} is an array; a Keras optimizer takes one value per hyperparameter"
            )
        value = value.item()
    return value.item() if isinstance(value, np.generic) else value


def rule_for(opt: ref.Optimizer) -> tuple[Rule, dict[str, Any]]:
    """The rule and its keywords (as Keras would hold them) of a lessons_lib optimizer."""
    if isinstance(opt, ref.LookaheadNesterov):
        raise ValueError(
            f"opt: no Keras rule for {type(opt).__name__} (it needs the gradient at another "
            "point); use one of lessons_lib.optimizers' Keras "
            "twins, a registered rule, or your own rule function"
        )
    rule = opt.rule
    hyper = {**keras_hyper(rule, opt.hyper()), **rule.keras_flags}
    return rule, {k: _scalar(k, v) for k, v in hyper.items()}


def _from_learner(fn: LearnerRule, slots: Mapping[str, float]) -> Rule:
    """A function in the exercise shape, with its slots, as a :class:`Rule`."""

    def init(w, xp, **hyper):
        return {name: xp.zeros_like(w) + value for name, value in slots.items()}

    def update(w, g, state, t, lr, xp, **hyper):
        return fn(w, g, state, t, xp, learning_rate=lr, **hyper)

    name = getattr(fn, "__name__", "rule")
    return Rule(name=name, keras_name=None, paper="", year=0, memory="", init=init,
                update=update)  # fmt: skip


# --------------------------------------------------------------------------- Keras side
@lru_cache(maxsize=1)
def _optimizer_class() -> type:
    import keras
    from keras import ops

    class RuleOptimizer(keras.optimizers.Optimizer):
        """Applies ``rule`` to every trainable variable, its state in one variable per slot."""

        def __init__(self, rule: Rule, hyper: Mapping[str, Any], learning_rate: Any,
                     name: str = "rule_optimizer", **kwargs: Any):  # fmt: skip
            super().__init__(learning_rate=learning_rate, name=name, **kwargs)
            self.rule, self.hyper = rule, dict(hyper)
            self._wants_path = "path" in inspect.signature(rule.update).parameters

        def _keywords(self, variable) -> dict[str, Any]:
            if not self._wants_path:  # update_step gets a backend variable: no .path
                return self.hyper
            known = self._trainable_variables[self._get_variable_index(variable)]
            return {**self.hyper, "path": known.path}

        def build(self, var_list):
            if self.built:
                return
            super().build(var_list)
            self.slots = []
            for var in var_list:
                first = self.rule.init(ops.convert_to_tensor(var), ops, **self._keywords(var))
                slots = {}
                for slot, value in first.items():
                    value = ops.cast(value, var.dtype)
                    slots[slot] = self.add_variable(
                        shape=tuple(value.shape), dtype=var.dtype, name=f"{var.name}_{slot}"
                    )
                    slots[slot].assign(value)
                self.slots.append(slots)

        def update_step(self, gradient, variable, learning_rate):
            dtype = variable.dtype
            slots = self.slots[self._get_variable_index(variable)]
            new_w, new_state = self.rule.update(
                ops.convert_to_tensor(variable), ops.cast(gradient, dtype),
                {k: ops.convert_to_tensor(v) for k, v in slots.items()},
                ops.cast(self.iterations + 1, dtype), ops.cast(learning_rate, dtype), ops,
                **self._keywords(variable),
            )  # fmt: skip
            for slot, value in new_state.items():
                self.assign(slots[slot], value)
            self.assign(variable, new_w)

        def get_config(self):
            config = super().get_config()
            config.update({"rule": self.rule.name, **self.hyper})
            return config

    return RuleOptimizer


def rule_optimizer(
    source: ref.Optimizer | Rule | str | LearnerRule,
    *,
    slots: Mapping[str, float] | None = None,
    learning_rate: float | None = None,
    name: str | None = None,
    **hyper: Any,
):
    """A Keras optimizer running ``source`` (see the module docstring for what it takes).

    For a registered rule, missing keywords get Keras' defaults (learning rate 0.001 unless
    the rule says otherwise); pass ``weight_decay`` as Keras does. For a function, give
    its ``slots`` (name -> initial value, e.g. ``{"m": 0.0, "v": 0.0}``), its
    ``learning_rate`` and its other hyperparameters as keywords.
    """
    kwargs: dict[str, Any] = {}
    if isinstance(source, ref.Optimizer):
        if slots is not None or learning_rate is not None or hyper:
            raise ValueError("pass either a lessons_lib optimizer or a rule with its settings")
        rule, hyper = rule_for(source)
        if callable(source.learning_rate):
            raise ValueError("learning_rate is a schedule: pass to_keras(opt) to Keras instead")
        learning_rate = float(_scalar("learning_rate", source.learning_rate))
        if source.weight_decay is not None and "weight_decay" not in hyper:
            kwargs["weight_decay"] = float(_scalar("weight_decay", source.weight_decay))
        name = name or f"lessons_{type(source).__name__.lower()}"
    elif isinstance(source, (Rule, str)):
        rule = source if isinstance(source, Rule) else REGISTRY.get(str(source).lower())
        if rule is None or slots is not None:
            raise ValueError(
                f"source: a registered rule takes no slots; known rules: {', '.join(REGISTRY)}"
            )
        config = {**rule.defaults, **hyper}
        default_lr = config.pop("learning_rate", 0.001)
        learning_rate = default_lr if learning_rate is None else learning_rate
        if "weight_decay" not in inspect.signature(rule.update).parameters:  # Muon decays itself
            if config.get("weight_decay") is not None:
                kwargs["weight_decay"] = config["weight_decay"]
            config.pop("weight_decay", None)
        hyper = {k: _scalar(k, v) for k, v in keras_hyper(rule, config).items()}
        hyper.update(rule.keras_flags)
        name = name or f"lessons_{rule.name}"
    elif callable(source):
        if slots is None or learning_rate is None:
            raise ValueError("a rule needs slots={name: initial value} and learning_rate=...")
        rule = _from_learner(source, slots)
        name = name or f"rule_{rule.name}"
    else:
        raise ValueError(
            f"source must be a lessons_lib optimizer, a rule (or its name) or a function, "
            f"got {source!r}"
        )
    if not (isinstance(learning_rate, (int, float)) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    return _optimizer_class()(rule, hyper, learning_rate, name=name, **kwargs)


#: the bridge's first name (notebook 08 imports it as ``bridge_optimizer``); prefer
#: :func:`rule_optimizer`: ``interactive.capstone.keras_optimizer`` is another function
keras_optimizer = rule_optimizer
