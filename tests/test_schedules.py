"""lessons_lib.schedules in NumPy alone: the formulas' edges by hand, shapes, bad input.

The comparison with Keras' schedules, value by value, and the bridges both ways are in
``tests/test_keras_schedules.py`` (marked ``keras``); this module runs without Keras.
"""

import numpy as np
import pytest

from lessons_lib import schedules as S


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
    ],
)
def test_bad_input_says_what_to_do(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_config_keeps_the_arguments_and_attributes_the_checked_values():
    exp = S.ExponentialDecay(np.float64(0.1), 10, 0.5)
    assert exp.get_config() == {"initial_learning_rate": 0.1, "decay_steps": 10,
                                "decay_rate": 0.5, "staircase": False,
                                "name": "ExponentialDecay"}  # fmt: skip
    assert type(exp.get_config()["initial_learning_rate"]) is np.float64  # as given (Keras)
    assert type(exp.decay_steps) is float and exp == S.ExponentialDecay(0.1, 10.0, 0.5)
    assert S.InverseTimeDecay(0.1, 10, 0.0).get_config()["name"] == "InverseTimeDecay"
    assert S.CosineDecay(0.1, 100).warmup_target is None  # None: no warm-up
    assert S.CosineDecay(0.1, 100, warmup_target=0.5).warmup_target == 0.5


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: S.CosineDecay(None, 100), "initial_learning_rate"),  # only warmup_target
        (lambda: S.ExponentialDecay(0.1, 10, 0.0), "decay_rate"),  # 0: rate 0 after step 0
        (lambda: S.InverseTimeDecay(0.1, 10, 0.5, staircase=1), "staircase"),
        (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.0), "t_mul"),
        (lambda: S.Constant(-1.0), "learning_rate"),
    ],
)
def test_each_argument_is_checked_against_its_own_range(make, match):
    with pytest.raises(ValueError, match=match):
        make()
