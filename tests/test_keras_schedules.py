"""lessons_lib.schedules against Keras 3's schedules, value by value, and the bridges
(the NumPy-only schedule tests are in ``tests/test_schedules.py``).

Keras computes a schedule in the dtype of ``initial_learning_rate`` and casts Python-float
arguments through float32; given NumPy float64 arguments it computes in float64 (its
``ops.cast`` of a float64 value is exact). So the main comparison passes float64 values
and holds every step to 1e-12 relatively; the float32 one (Python floats, what users
write) is held to 1e-6 of the peak rate.
"""

import os

import numpy as np
import pytest

from lessons_lib import schedules as S

pytestmark = pytest.mark.keras

STEPS = 400
F64 = np.float64

# Keras class name, arguments (float64 where Keras would otherwise round)
CONFIGS = {
    "exponential": ("ExponentialDecay", dict(initial_learning_rate=F64(0.1), decay_steps=F64(37),
                                             decay_rate=F64(0.63))),  # fmt: skip
    "exponential-staircase": (
        "ExponentialDecay",
        dict(initial_learning_rate=F64(0.3), decay_steps=F64(50), decay_rate=F64(0.5),
             staircase=True),
    ),  # fmt: skip
    "piecewise": (
        "PiecewiseConstantDecay",
        dict(boundaries=[0, 100, 101, 250], values=[F64(1.0), F64(0.5), F64(0.3), F64(0.1),
                                                    F64(0.01)]),
    ),  # fmt: skip
    "polynomial": (
        "PolynomialDecay",
        dict(initial_learning_rate=F64(0.2), decay_steps=F64(150),
             end_learning_rate=F64(0.003), power=F64(2.5)),
    ),  # fmt: skip
    "polynomial-cycle": (
        "PolynomialDecay",
        dict(initial_learning_rate=F64(0.2), decay_steps=F64(90), end_learning_rate=F64(0.01),
             power=F64(0.5), cycle=True),
    ),  # fmt: skip
    "inverse-time": (
        "InverseTimeDecay",
        dict(initial_learning_rate=F64(0.5), decay_steps=F64(20), decay_rate=F64(0.7)),
    ),
    "inverse-time-staircase": (
        "InverseTimeDecay",
        dict(initial_learning_rate=F64(0.5), decay_steps=F64(33), decay_rate=F64(1.3),
             staircase=True),
    ),  # fmt: skip
    "cosine": ("CosineDecay", dict(initial_learning_rate=F64(0.1), decay_steps=F64(300))),
    "cosine-alpha": (
        "CosineDecay",
        dict(initial_learning_rate=F64(0.1), decay_steps=F64(250), alpha=F64(0.15)),
    ),
    "cosine-warmup": (
        "CosineDecay",
        dict(initial_learning_rate=F64(0.01), decay_steps=F64(200), alpha=F64(0.05),
             warmup_target=F64(0.4), warmup_steps=F64(60)),
    ),  # fmt: skip
    "cosine-warmup-down": (  # a "warm-up" that starts above its target
        "CosineDecay",
        dict(initial_learning_rate=F64(0.5), decay_steps=F64(100),
             warmup_target=F64(0.2), warmup_steps=F64(25)),
    ),  # fmt: skip
    "restarts": (
        "CosineDecayRestarts",
        dict(initial_learning_rate=F64(0.1), first_decay_steps=F64(40)),
    ),
    "restarts-t1-mmul-alpha": (
        "CosineDecayRestarts",
        dict(initial_learning_rate=F64(0.2), first_decay_steps=F64(50), t_mul=F64(1.0),
             m_mul=F64(0.7), alpha=F64(0.1)),
    ),  # fmt: skip
    "restarts-odd": (
        "CosineDecayRestarts",
        dict(initial_learning_rate=F64(0.3), first_decay_steps=F64(17), t_mul=F64(1.5),
             m_mul=F64(0.8), alpha=F64(0.02)),
    ),  # fmt: skip
}


def keras_curve(keras_schedule, steps=STEPS):
    """Keras' value at every step 0..steps-1, the step an int64 scalar as an optimizer's."""
    from keras import ops

    return np.array(
        [float(keras_schedule(ops.convert_to_tensor(t, dtype="int64"))) for t in range(steps)]
    )


def rel_dev(keras_values, ours):
    """max over steps of |keras - ours| / |ours| (absolute where ours is 0)."""
    diff = np.abs(keras_values - ours)
    scale = np.abs(ours)
    return float(np.max(np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), diff)))


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


# --------------------------------------------------------------------------- Keras
@pytest.mark.keras
@pytest.mark.parametrize("case", CONFIGS)
def test_every_step_equals_keras_float64(keras, case):
    name, config = CONFIGS[case]
    ours = S.from_keras(name, **config)
    curve = ours(np.arange(STEPS))
    assert rel_dev(keras_curve(getattr(keras.optimizers.schedules, name)(**config)), curve) <= 1e-12
    # the curve moves (a schedule stuck at its start would pass the comparison too)
    assert np.ptp(curve) > 0.05 * np.max(curve)


@pytest.mark.keras
@pytest.mark.parametrize(
    "case", ["exponential", "polynomial-cycle", "cosine-warmup", "restarts-odd"]
)
def test_python_floats_agree_to_float32_precision(keras, case):
    """With Python floats Keras computes in float32: within 1e-6 of the peak rate."""
    name, config = CONFIGS[case]
    plain = {k: (float(v) if isinstance(v, F64) else v) for k, v in config.items()}
    ours = S.from_keras(name, **plain)(np.arange(STEPS))
    theirs = keras_curve(getattr(keras.optimizers.schedules, name)(**plain))
    assert np.max(np.abs(theirs - ours)) <= 1e-6 * np.max(ours)


@pytest.mark.keras
@pytest.mark.parametrize("case", CONFIGS)
def test_bridges_round_trip(keras, case):
    name, config = CONFIGS[case]
    theirs = getattr(keras.optimizers.schedules, name)(**config)
    ours = S.from_keras(name, **theirs.get_config())  # Keras' config, name included
    assert ours == S.from_keras(name, **config)
    back = S.to_keras(ours)
    assert type(back) is type(theirs)
    assert back.get_config() == theirs.get_config()
    assert S.from_keras(type(back).__name__, **back.get_config()) == ours


@pytest.mark.keras
def test_constant_is_a_float_in_keras(keras):
    assert S.to_keras(S.Constant(0.25)) == 0.25
    assert S.from_keras("constant", learning_rate=0.25)(np.arange(3)).tolist() == [0.25] * 3


def test_a_plain_function_has_no_keras_schedule():
    with pytest.raises(ValueError, match="plain function"):
        S.to_keras(lambda step: 0.1)
