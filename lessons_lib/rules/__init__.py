"""Update rules, each written once (see ``_base`` for the contract).

:data:`REGISTRY` maps a rule's name to it, one line per rule; ``lessons_lib.optimizers``
and ``lessons_lib.keras_bridge`` find rules here, so a rule registered here can be run in
NumPy, translated from and to Keras, and run inside Keras.
"""

from ._base import RANGES, Rule, State, check_value, float32, keras_hyper
from .adadelta import ADADELTA
from .adafactor import ADAFACTOR
from .adagrad import ADAGRAD
from .adam import ADAM, ADAMW
from .adamax import ADAMAX
from .ftrl import FTRL
from .lamb import LAMB
from .lion import LION
from .muon import MUON
from .nadam import NADAM
from .rmsprop import RMSPROP
from .schedule_free_adamw import SCHEDULE_FREE_ADAMW
from .sgd import SGD

REGISTRY: dict[str, Rule] = {
    "sgd": SGD,
    "adagrad": ADAGRAD,
    "rmsprop": RMSPROP,
    "adam": ADAM,
    "adamw": ADAMW,
    # -- H12b's twins: one line each below (e.g. "adamax": ADAMAX) --
    "adadelta": ADADELTA,
    "adamax": ADAMAX,
    "nadam": NADAM,
    "lion": LION,
    "lamb": LAMB,
    "adafactor": ADAFACTOR,
    "ftrl": FTRL,
    "muon": MUON,
    "schedule_free_adamw": SCHEDULE_FREE_ADAMW,
}


def by_keras_name(name: str) -> Rule:
    """The registered rule whose Keras class is ``name`` (any case)."""
    for rule in REGISTRY.values():
        if rule.keras_name and rule.keras_name.lower() == str(name).lower():
            return rule
    known = ", ".join(r.keras_name for r in REGISTRY.values() if r.keras_name)
    raise ValueError(f"name must be one of {known}; got {name!r}")


__all__ = [
    "RANGES",
    "REGISTRY",
    "Rule",
    "State",
    "by_keras_name",
    "check_value",
    "float32",
    "keras_hyper",
]
