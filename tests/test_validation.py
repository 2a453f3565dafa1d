"""Bad input gives a ValueError naming the parameter and its valid range; valid input never
raises. Property tests: hypothesis draws the values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from lessons_lib.optimizers import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    ClassicalMomentum,
    EWMAMomentum,
    LookaheadNesterov,
    RMSprop,
)

POSITIVE, UNIT, NONNEGATIVE = "(0, inf)", "[0, 1)", "[0, inf)"
# every numeric hyperparameter of every optimizer, with its valid range
HYPERS = {
    SGD: dict(learning_rate=POSITIVE, momentum=UNIT, weight_decay=NONNEGATIVE),
    ClassicalMomentum: dict(learning_rate=POSITIVE, momentum=UNIT, weight_decay=NONNEGATIVE),
    EWMAMomentum: dict(learning_rate=POSITIVE, beta=UNIT, weight_decay=NONNEGATIVE),
    LookaheadNesterov: dict(learning_rate=POSITIVE, momentum=UNIT),
    Adagrad: dict(
        learning_rate=POSITIVE,
        initial_accumulator_value=NONNEGATIVE,
        epsilon=POSITIVE,
        weight_decay=NONNEGATIVE,
    ),
    RMSprop: dict(
        learning_rate=POSITIVE, rho=UNIT, momentum=UNIT, epsilon=POSITIVE, weight_decay=NONNEGATIVE
    ),
    Adam: dict(
        learning_rate=POSITIVE, beta_1=UNIT, beta_2=UNIT, epsilon=POSITIVE, weight_decay=NONNEGATIVE
    ),
    AdamW: dict(
        learning_rate=POSITIVE, weight_decay=NONNEGATIVE, beta_1=UNIT, beta_2=UNIT, epsilon=POSITIVE
    ),
}
FLAGS = {
    SGD: ["nesterov"],
    EWMAMomentum: ["bias_correction"],
    RMSprop: ["centered"],
    Adam: ["amsgrad"],
    AdamW: ["amsgrad"],
}
PAIRS = [(cls, name) for cls, hypers in HYPERS.items() for name in hypers]
PAIR_IDS = [f"{cls.__name__}.{name}" for cls, name in PAIRS]

finite = st.floats(allow_nan=False, allow_infinity=False)
OUT_OF_RANGE = {
    POSITIVE: st.floats(max_value=0.0, allow_nan=False),  # 0, negatives, -inf
    UNIT: st.one_of(st.floats(max_value=-1e-300), st.floats(min_value=1.0)),
    NONNEGATIVE: st.floats(max_value=-1e-300),
}
IN_RANGE = {
    POSITIVE: st.floats(min_value=1e-12, max_value=1e6),
    UNIT: st.floats(min_value=0.0, max_value=0.999999),
    NONNEGATIVE: st.floats(min_value=0.0, max_value=1e3),
}
NOT_NUMBERS = st.one_of(
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.complex_numbers(allow_nan=False, allow_infinity=False),
    st.just({}),
    st.just([]),
    st.just(["0.1"]),
    st.just([0.1, None]),
    st.just([[0.1], [0.2, 0.3]]),
    st.just(np.array([True, False])),
    st.just(object()),
)


BOUNDARY = {POSITIVE: 0.0, UNIT: 1.0, NONNEGATIVE: -1e-300}


@pytest.mark.parametrize("cls, name", PAIRS, ids=PAIR_IDS)
def test_every_hyperparameter_is_checked(cls, name):
    valid = HYPERS[cls][name]
    for bad in (BOUNDARY[valid], -1.0, np.nan, np.inf, "0.1", True, [0.5, "x"]):
        with pytest.raises(ValueError) as err:
            cls(**{name: bad})
        assert str(err.value).startswith(name) and valid in str(err.value)
    if name != "weight_decay":  # None means "no decay", as in Keras (but not for AdamW)
        with pytest.raises(ValueError, match=name):
            cls(**{name: None})


@settings(max_examples=300)
@given(pair=st.sampled_from(PAIRS), data=st.data())
def test_out_of_range_is_a_value_error_naming_parameter_and_range(pair, data):
    cls, name = pair
    valid = HYPERS[cls][name]
    value = data.draw(st.one_of(OUT_OF_RANGE[valid], st.just(float("nan")), st.just(np.inf)))
    if data.draw(st.booleans()):  # hidden inside an array of otherwise good values
        good = data.draw(IN_RANGE[valid])
        value = np.array([[good], [value]])
    with pytest.raises(ValueError) as err:
        cls(**{name: value})
    assert str(err.value).startswith(name) and valid in str(err.value)


@settings(max_examples=300)
@given(pair=st.sampled_from(PAIRS), value=NOT_NUMBERS)
def test_non_numbers_are_a_value_error_naming_parameter_and_range(pair, value):
    cls, name = pair
    if value is None and name == "weight_decay" and cls is not AdamW:
        return  # weight_decay=None is valid: no decay
    with pytest.raises(ValueError) as err:
        cls(**{name: value})
    message = str(err.value)
    assert message.startswith(name) and HYPERS[cls][name] in message


@settings(max_examples=200)
@given(cls=st.sampled_from(list(HYPERS)), data=st.data())
def test_valid_values_never_raise(cls, data):
    config = {
        name: data.draw(st.one_of(IN_RANGE[valid], IN_RANGE[valid].map(np.float32)))
        for name, valid in HYPERS[cls].items()
    }
    opt = cls(**config)
    w = data.draw(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite))
    g = data.draw(arrays(np.float64, w.shape, elements=st.floats(-1e6, 1e6)))
    with np.errstate(all="ignore"):  # huge but valid values may overflow: not an error
        if cls is LookaheadNesterov:
            new = opt.step(w, lambda p: g)
        else:
            new = opt.step(w, g)
    assert new.shape == w.shape and opt.iterations == 1


FLAG_PAIRS = [(cls, flag) for cls, flags in FLAGS.items() for flag in flags]


@given(
    pair=st.sampled_from(FLAG_PAIRS),
    value=st.one_of(st.integers(), st.text(max_size=3), st.none(), st.floats()),
)
def test_flags_must_be_booleans(pair, value):
    cls, flag = pair
    with pytest.raises(ValueError, match=f"{flag} must be True or False"):
        cls(**{flag: value})


def test_epsilon_mode_must_be_known():
    with pytest.raises(ValueError, match="epsilon_mode must be 'keras' or 'paper'"):
        Adam(epsilon_mode="pytorch")


STEPPERS = [cls for cls in HYPERS if cls is not LookaheadNesterov]


@settings(max_examples=150)
@given(
    cls=st.sampled_from(STEPPERS),
    shapes=st.tuples(array_shapes(min_dims=0, max_dims=3), array_shapes(min_dims=0, max_dims=3)),
)
def test_params_and_grads_of_different_shapes(cls, shapes):
    p_shape, g_shape = shapes
    opt = cls()
    if p_shape == g_shape:
        opt.step(np.zeros(p_shape), np.ones(g_shape))
        return
    with pytest.raises(ValueError, match="params and grads must have the same shape"):
        opt.step(np.zeros(p_shape), np.ones(g_shape))
    assert opt.iterations == 0 and opt.state == {}


@settings(max_examples=150)
@given(
    cls=st.sampled_from(STEPPERS),
    grads=arrays(
        np.float64,
        array_shapes(max_dims=2, max_side=5),
        elements=st.one_of(finite, st.sampled_from([np.nan, np.inf, -np.inf])),
    ),
)
def test_nan_or_inf_in_grads(cls, grads):
    opt = cls()
    w = np.zeros(grads.shape)
    opt.step(w, np.ones(grads.shape))  # one good step, so there is state to protect
    state = {k: v.copy() for k, v in opt.state.items()}
    if np.all(np.isfinite(grads)):
        with np.errstate(all="ignore"):
            opt.step(w, grads)
        return
    with pytest.raises(ValueError, match="grads contain NaN or inf"):
        opt.step(w, grads)
    # nothing half-written: the failed step left the state alone
    assert opt.iterations == 1
    assert state.keys() == opt.state.keys()
    for key, value in state.items():
        np.testing.assert_array_equal(opt.state[key], value)


@pytest.mark.parametrize("cls", STEPPERS, ids=lambda c: c.__name__)
def test_state_of_another_shape_is_a_clear_error_that_changes_nothing(cls):
    opt = cls(momentum=0.9) if cls is SGD else cls()  # every one of them keeps state
    opt.step(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="reset"):
        opt.step(np.zeros(4), np.ones(4))
    assert opt.iterations == 1 and all(v.shape == (3,) for v in opt.state.values())
    opt.reset()
    assert opt.step(np.zeros(4), np.ones(4)).shape == (4,)


def test_array_hyperparameters_that_do_not_broadcast():
    opt = SGD(learning_rate=np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="broadcast"):
        opt.step(np.zeros(2), np.ones(2))
    assert opt.iterations == 0
