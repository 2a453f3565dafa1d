"""lessons_lib.schedules against Keras 3's schedules, value by value, and the bridges.

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


# --------------------------------------------------------------------------- NumPy only
def test_boundaries_and_restarts_by_hand():
    """The edges the formulas are about, computed by hand."""
    pw = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert pw([0, 10, 11, 20, 21]).tolist() == [1.0, 1.0, 0.5, 0.5, 0.1]  # boundary: before
    sgdr = S.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    # periods [0, 10), [10, 30), [30, 70): each restart at half the previous height
    assert sgdr([0, 10, 30]) == pytest.approx([1.0, 0.5, 0.25], rel=1e-12)
    assert sgdr(20) == pytest.approx(0.25, rel=1e-12)  # half-way through period 2: 0.5 * 0.5
    cos = S.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    assert cos([0, 5, 10, 60, 110, 500]) == pytest.approx([0, 0.5, 1, 0.5, 0, 0], abs=1e-15)
    poly = S.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=1.0, cycle=True)
    assert poly([0, 5, 10, 11, 20]) == pytest.approx([1, 0.5, 0, 0.45, 0], abs=1e-15)
    assert S.ExponentialDecay(1.0, 10, 0.5, staircase=True)([9, 10, 19, 20]).tolist() == [
        1.0, 0.5, 0.5, 0.25,
    ]  # fmt: skip


def test_scalar_step_gives_a_float_and_arrays_keep_their_shape():
    s = S.InverseTimeDecay(0.5, 10, 1.0)
    assert isinstance(s(3), float) and s(10) == 0.25
    assert s(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: S.ExponentialDecay(0.1, decay_steps=0, decay_rate=0.9), "decay_steps"),
        (lambda: S.CosineDecayRestarts(0.1, first_decay_steps=-5), "first_decay_steps"),
        (lambda: S.PiecewiseConstantDecay([10, 20], [1.0, 0.5]), "one more entry"),
        (lambda: S.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), "strictly increasing"),
        (lambda: S.PiecewiseConstantDecay([], [1.0]), "at least one"),
        (lambda: S.PolynomialDecay(0.1, 100, cycle="yes"), "cycle"),
        (lambda: S.CosineDecay(0.1, 100, alpha=1.5), "alpha"),
        (lambda: S.CosineDecay(-0.1, 100), "initial_learning_rate"),
        (lambda: S.from_keras("StepDecay", initial_learning_rate=0.1), "name must be one of"),
        (lambda: S.from_keras("ExponentialDecay", lr=0.1, decay_steps=1, decay_rate=0.5),
         "argument names"),  # fmt: skip
        (lambda: S.InverseTimeDecay(0.1, 10, 0.5)(-1), "step"),
        (lambda: S.InverseTimeDecay(0.1, 10, 0.5)("ten"), "step"),
        (lambda: S.to_keras(lambda step: 0.1), "plain function"),
    ],
)
def test_bad_input_says_what_to_do(make, match):
    with pytest.raises(ValueError, match=match):
        make()
