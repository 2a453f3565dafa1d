"""The reference optimizers against Keras 3 (TensorFlow backend, CPU), both directions.

Every comparison runs 100 steps on two problems at once, as two variables of one Keras
optimizer: a fixed sequence of random gradients whose size shrinks (so Adam's ``v``
shrinks and AMSGrad's maximum matters), and a real quadratic whose gradient is computed
from the current weights at every step. The deviation is the largest, over steps, of
``max|keras - reference| / max|reference|``.

Float32 rounding, honestly: Keras keeps the learning rate in a float32 variable and
casts some other Python-float hyperparameters through float32 too (``from_keras``
explains which). We run Keras on float64 variables so that the only differences left
are (a) those roundings, which ``from_keras`` copies, and (b) float64 rounding, ~1e-15.
That is why every comparison below holds the twin to 1e-10, far inside the required
1e-6: a forgotten float32 rounding (~1e-8, more once amplified) would fail them.
Keras' Adam uses ``float32(beta)`` in its bias corrections but the exact beta in its
averages; no single beta copies that, so the rule has a flag for it (``keras_powers``,
set by ``from_keras``). Most Adam configs below use betas float32 holds exactly, which
tests the formulas apart from that rounding; the decimal-beta case is checked separately,
against an emulation of Keras' arithmetic and against ``from_keras``.
"""

import inspect
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402  (imported once per module: it takes seconds)
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from lessons_lib import optimizers as O  # noqa: E402
from lessons_lib.functions import quadratic  # noqa: E402
from lessons_lib.rules import REGISTRY  # noqa: E402

STEPS = 100
# float64 on both sides: rounding error only. Errors of ~1e-16 of the starting point,
# measured against weights that shrink ~1000x on the quadratic, reach ~1.5e-13 at most
# (benchmarks/keras_deviation.py prints them all); 1e-10 leaves room for other CPUs.
F64_TOL = 1e-10
REQUIRED_TOL = 1e-6  # what the project promises for every comparison


def f32(x: float) -> float:
    """The float32 number nearest to ``x``, as a Python float (what Keras really uses)."""
    return float(np.float32(x))


_rng = np.random.default_rng(2024)
SHRINK = np.geomspace(3.0, 0.03, STEPS)[:, None, None]  # gradients shrink 100x
RAND_GRADS = _rng.standard_normal((STEPS, 3, 4)) * SHRINK
RAND_START = _rng.standard_normal((3, 4))
QUAD = quadratic(kappa=10.0, L=1.0)  # f = (0.1 x^2 + y^2) / 2, gradient (0.1 x, y)
LAMBDA = np.array(QUAD.notes["eigenvalues"])
QUAD_START = np.array(QUAD.start)


# --------------------------------------------------------------------------- runners
def keras_paths(opt, dtype="float64"):
    """Run a Keras optimizer 100 steps on both problems; return their (100, ...) paths."""
    w_rand = keras.Variable(RAND_START, dtype=dtype)
    w_quad = keras.Variable(QUAD_START, dtype=dtype)
    opt.build([w_rand, w_quad])
    grads = tf.constant(RAND_GRADS, dtype=dtype)
    lam = tf.constant(LAMBDA, dtype=dtype)

    @tf.function  # one traced loop: ~20x faster than 100 eager apply() calls
    def loop():
        rand_path = tf.TensorArray(dtype, size=STEPS)
        quad_path = tf.TensorArray(dtype, size=STEPS)
        for t in tf.range(STEPS):
            quad_grad = lam * w_quad.value  # the gradient at the current weights
            opt.apply([grads[t], quad_grad], [w_rand, w_quad])
            rand_path = rand_path.write(t, w_rand.value)
            quad_path = quad_path.write(t, w_quad.value)
        return rand_path.stack(), quad_path.stack()

    rand_path, quad_path = loop()
    return rand_path.numpy(), quad_path.numpy()


def reference_paths(opt):
    """The same two runs with a reference optimizer (state reset between them)."""
    paths = []
    for start, grad in ((RAND_START, lambda t, w: RAND_GRADS[t]), (QUAD_START, _quad_grad)):
        opt.reset()
        w, path = start, []
        for t in range(STEPS):
            w = opt.step(w, grad(t, w))
            path.append(w)
        paths.append(np.array(path))
    return paths


def _quad_grad(t, w):
    return QUAD.grad(w)


def deviation(keras_path, reference_path):
    """max over steps of max|keras - reference| / max|reference|."""
    diff = np.abs(keras_path - reference_path).reshape(STEPS, -1).max(axis=1)
    scale = np.abs(reference_path).reshape(STEPS, -1).max(axis=1)
    return float(np.max(diff / scale))


def max_deviation(keras_result, reference_result):
    return max(deviation(k, r) for k, r in zip(keras_result, reference_result, strict=True))


# --------------------------------------------------------------------------- configs
# Keras name, config. Decimal values on purpose (0.9, 0.05, ...) except Adam's betas.
FROM_KERAS = {
    "sgd-default": ("SGD", {}),
    "sgd": ("SGD", dict(learning_rate=0.05)),
    "sgd-momentum": ("SGD", dict(learning_rate=0.05, momentum=0.9)),
    "sgd-nesterov": ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True)),
    "sgd-nesterov-no-momentum": ("SGD", dict(learning_rate=0.05, nesterov=True)),
    "sgd-momentum-wd": ("SGD", dict(learning_rate=0.03, momentum=0.7, weight_decay=0.01)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01)),
    "rmsprop-momentum": ("RMSprop", dict(learning_rate=0.01, rho=0.8, momentum=0.9)),
    "rmsprop-centered": ("RMSprop", dict(learning_rate=0.01, centered=True)),
    "rmsprop-centered-momentum-eps": (
        "RMSprop",
        dict(learning_rate=0.01, rho=0.77, momentum=0.6, centered=True, epsilon=0.1),
    ),
    "rmsprop-wd": ("RMSprop", dict(learning_rate=0.01, weight_decay=0.03)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adagrad-init0": ("Adagrad", dict(learning_rate=0.1, initial_accumulator_value=0.0)),
    "adagrad-init-eps-wd": (
        "Adagrad",
        dict(learning_rate=0.3, initial_accumulator_value=1.7, epsilon=0.1, weight_decay=0.02),
    ),
    "adam": ("Adam", dict(learning_rate=0.01, beta_1=f32(0.9), beta_2=f32(0.999))),
    "adam-odd-betas": ("Adam", dict(learning_rate=0.05, beta_1=f32(0.8), beta_2=f32(0.888))),
    "adam-large-eps": (
        "Adam",
        dict(learning_rate=0.05, beta_1=f32(0.9), beta_2=f32(0.999), epsilon=0.1),
    ),
    "adam-amsgrad": (
        "Adam",
        dict(learning_rate=0.05, beta_1=f32(0.8), beta_2=f32(0.888), amsgrad=True),
    ),
    "adam-beta1-zero": ("Adam", dict(learning_rate=0.05, beta_1=0.0, beta_2=f32(0.95))),
    "adam-wd": (
        "Adam",
        dict(learning_rate=0.05, beta_1=f32(0.9), beta_2=f32(0.99), weight_decay=0.05),
    ),
    "adamw": ("AdamW", dict(learning_rate=0.05, beta_1=f32(0.9), beta_2=f32(0.999))),
    "adamw-amsgrad-eps": (
        "AdamW",
        dict(
            learning_rate=0.05,
            weight_decay=0.1,
            beta_1=f32(0.8),
            beta_2=f32(0.888),
            epsilon=0.1,
            amsgrad=True,
        ),
    ),
}


# Classic mistakes some configs are there to catch: a twin making the mistake must
# deviate clearly from Keras on that config, or the comparison would not notice it.
MISTAKES = {
    "rmsprop-centered-momentum-eps": {
        "epsilon outside the root": lambda c: O.RMSprop(**c).variant(epsilon_outside=True),
    },
    "adam-large-eps": {
        "epsilon on the bias-corrected root": lambda c: O.Adam(**c, epsilon_mode="paper"),
    },
    "adam-amsgrad": {"AMSGrad forgotten": lambda c: O.Adam(**{**c, "amsgrad": False})},
    "adam-odd-betas": {
        "default beta_2 instead of 0.888": lambda c: O.Adam(**{**c, "beta_2": 0.999}),
        "default beta_1 instead of 0.8": lambda c: O.Adam(**{**c, "beta_1": 0.9}),
    },
    "adam": {"no bias correction": lambda c: O.Adam(**c).variant(bias_correction=False)},
    "adam-wd": {"L2 penalty instead of decoupled decay": lambda c: _L2Adam(**c)},
    "adagrad-init-eps-wd": {
        "accumulator starting at 0": lambda c: O.Adagrad(**{**c, "initial_accumulator_value": 0}),
    },
    "sgd-nesterov": {"Nesterov ignored": lambda c: O.SGD(**{**c, "nesterov": False})},
    "sgd-momentum": {
        "EWMA momentum with an unscaled learning rate": lambda c: O.EWMAMomentum(
            c["learning_rate"], beta=c["momentum"]
        ),
    },
}


@pytest.mark.parametrize("case", FROM_KERAS)
def test_from_keras_twin_matches_keras_float64(case):
    name, config = FROM_KERAS[case]
    twin = O.from_keras(name, **config)
    result = keras_paths(getattr(keras.optimizers, name)(**config))
    assert max_deviation(result, reference_paths(twin)) <= F64_TOL
    twin_config = twin.get_config()
    twin_config.pop("epsilon_mode", None)
    for mistake, wrong_twin in MISTAKES.get(case, {}).items():
        wrong = max_deviation(result, reference_paths(wrong_twin(twin_config)))
        assert wrong > 1e-3, f"{case} does not expose the mistake: {mistake}"


def test_from_keras_accepts_a_keras_get_config():
    kopt = keras.optimizers.RMSprop(learning_rate=0.02, rho=0.8, centered=True, name="mine")
    twin = O.from_keras("RMSprop", **kopt.get_config())
    assert max_deviation(keras_paths(kopt), reference_paths(twin)) <= F64_TOL


class _L2Adam:
    """Adam with weight decay added to the gradient (L2), not applied to the weights."""

    def __init__(self, weight_decay, **config):
        self.adam, self.weight_decay = O.Adam(**config), weight_decay

    def reset(self):
        self.adam.reset()

    def step(self, params, grads):
        return self.adam.step(params, grads + self.weight_decay * params)


# ---- to_keras: reference optimizers made directly. Their float hyperparameters are
# ones float32 holds exactly (f32(0.05) = 0.0500000007...), so Keras' rounding changes
# nothing and the Keras optimizer must reproduce them to float64 rounding. With decimal
# values Keras cannot hold the same optimizer; the test after this one measures that.
TO_KERAS = {
    "sgd": lambda: O.SGD(learning_rate=f32(0.05)),
    "classical-momentum": lambda: O.ClassicalMomentum(f32(0.05), momentum=f32(0.9)),
    "sgd-nesterov-wd": lambda: O.SGD(
        f32(0.05), momentum=0.75, nesterov=True, weight_decay=f32(0.01)
    ),
    "ewma-momentum-wd": lambda: O.EWMAMomentum(0.25, beta=0.875, weight_decay=0.125),
    "adagrad": lambda: O.Adagrad(f32(0.1), initial_accumulator_value=f32(0.3), epsilon=0.01),
    "rmsprop": lambda: O.RMSprop(f32(0.01), rho=0.8, momentum=0.5, epsilon=0.1, centered=True),
    "adam": lambda: O.Adam(
        f32(0.05), beta_1=f32(0.8), beta_2=f32(0.888), epsilon=0.1, amsgrad=True
    ),
    "adamw": lambda: O.AdamW(f32(0.05), weight_decay=f32(0.1), beta_1=f32(0.9), beta_2=f32(0.99)),
}


@pytest.mark.parametrize("case", TO_KERAS)
def test_to_keras_matches_reference(case):
    opt = TO_KERAS[case]()
    result = keras_paths(O.to_keras(opt))
    assert max_deviation(result, reference_paths(opt)) <= F64_TOL


def test_to_keras_with_decimal_values_differs_only_by_float32_rounding():
    """SGD(0.05, momentum=0.9) cannot be built in Keras, which holds float32(0.05) and
    float32(0.9). The Keras optimizer equals, to rounding, the twin of its own config
    (the original rounded through float32). Against the original the ~1e-8 changes grow,
    over 100 heavy-ball steps and relative to weights that shrink ~1000x on the
    quadratic, to ~1e-5: real, and far below anything a plot or a lesson can show."""
    opt = O.SGD(learning_rate=0.05, momentum=0.9)
    kopt = O.to_keras(opt)
    rounded_twin = O.from_keras("SGD", **kopt.get_config())
    assert rounded_twin.momentum == f32(0.9) != opt.momentum
    result = keras_paths(kopt)
    assert max_deviation(result, reference_paths(rounded_twin)) <= F64_TOL
    assert max_deviation(result, reference_paths(opt)) <= 1e-4


def test_to_keras_lookahead_nesterov_iterates_are_the_lookahead_points():
    """Keras' Nesterov SGD iterates are the look-ahead points w + momentum * v."""
    opt = O.LookaheadNesterov(learning_rate=f32(0.05), momentum=f32(0.9))
    result = keras_paths(O.to_keras(opt))
    lookahead_paths = []
    for start, grad_at in ((RAND_START, None), (QUAD_START, QUAD.grad)):
        opt.reset()
        w, path = start, []
        for t in range(STEPS):
            w = opt.step(w, grad_at or (lambda p, t=t: RAND_GRADS[t]))
            path.append(opt.lookahead(w))
        lookahead_paths.append(np.array(path))
    assert max_deviation(result, lookahead_paths) <= F64_TOL


@pytest.mark.parametrize("case", ["sgd-momentum-wd", "adagrad-init-eps-wd", "adamw-amsgrad-eps"])
def test_round_trip_configs(case):
    name, config = FROM_KERAS[case]
    kopt = getattr(keras.optimizers, name)(**config)
    twin = O.from_keras(name, **config)
    back = O.to_keras(twin).get_config()
    original = kopt.get_config()
    assert back.keys() == original.keys()
    rule = REGISTRY[name.lower()]  # Keras rounds these anyway: compare rounded
    rounded = ("learning_rate", "weight_decay", *rule.keras_float32)
    for key in back.keys() - {"name"}:
        if key in rounded and original[key] is not None:
            assert back[key] == f32(original[key]), key
        else:
            assert back[key] == original[key], key
    assert O.from_keras(name, **back).get_config() == twin.get_config()


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adam", "AdamW"])
def test_names_and_defaults_follow_keras(name):
    keras_defaults = {
        k: p.default
        for k, p in inspect.signature(getattr(keras.optimizers, name)).parameters.items()
    }
    ours = O.from_keras(name).get_config()
    ours.pop("epsilon_mode", None)
    for key, value in ours.items():
        assert key in keras_defaults, f"{key} is not a Keras argument of {name}"
        expected = keras_defaults[key]
        if isinstance(expected, float):  # from_keras may round it through float32
            assert value == pytest.approx(expected, rel=1e-7), key
        else:
            assert value == expected, key


# --------------------------------------------------------------------------- float32
def test_float32_keras_agrees_to_float32_precision():
    """Keras on float32 weights, the twin in float64.

    Each float32 operation rounds with relative error up to 2**-24 ~ 6e-8 and an Adam
    step does about ten of them. Over 100 steps the errors, of random sign, add up like
    sqrt(100 * 10) ~ 30 ulps ~ 2e-6 (in the worst case, all of one sign, 6e-5); the
    decimal betas add ~8e-7 (see test_adam_with_decimal_betas). Measured: ~7e-7. 1e-5
    leaves margin; 1e-6 would ask float32 for more than its ~7 significant digits.
    """
    config = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999, amsgrad=True)
    result = keras_paths(keras.optimizers.Adam(**config), dtype="float32")
    assert max_deviation(result, reference_paths(O.from_keras("Adam", **config))) <= 1e-5


# --------------------------------------------------------------------------- decimal betas
def keras_adam_emulation(learning_rate, beta_1, beta_2, epsilon=1e-7):
    """Keras' Adam step in NumPy, float32(beta) in the powers, exact beta in the averages."""
    lr, p1, p2 = f32(learning_rate), f32(beta_1), f32(beta_2)
    paths = []
    for start, grad in ((RAND_START, lambda t, w: RAND_GRADS[t]), (QUAD_START, _quad_grad)):
        w, m, v, path = start, 0.0, 0.0, []
        for t in range(STEPS):
            g = grad(t, w)
            m = m + (g - m) * (1 - beta_1)
            v = v + (g * g - v) * (1 - beta_2)
            alpha = lr * np.sqrt(1 - p2 ** (t + 1)) / (1 - p1 ** (t + 1))
            w = w - m * alpha / (np.sqrt(v) + epsilon)
            path.append(w)
        paths.append(np.array(path))
    return paths


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_with_decimal_betas(name):
    """Keras Adam(beta_1=0.9, beta_2=0.999) in float64 uses float32(beta) in 1 - beta**t
    but the exact beta in its averages (the emulation matches it to rounding). The
    from_keras twin reproduces both (the rule's keras_powers flag); a twin with exact betas
    everywhere stays inside the required 1e-6 but is measurably off."""
    config = dict(learning_rate=0.01, beta_1=0.9, beta_2=0.999)
    result = keras_paths(getattr(keras.optimizers, name)(**config, weight_decay=0.004))
    if name == "Adam":
        adam = keras_paths(keras.optimizers.Adam(**config))
        assert max_deviation(adam, keras_adam_emulation(**config)) <= F64_TOL
    twin = O.from_keras(name, **config, weight_decay=0.004)
    assert max_deviation(result, reference_paths(twin)) <= F64_TOL
    exact_betas = reference_paths(twin.variant(keras_powers=False))
    assert F64_TOL < max_deviation(result, exact_betas) <= REQUIRED_TOL


# --------------------------------------------------------------------------- bad input
def test_bridge_rejects_what_it_cannot_translate():
    with pytest.raises(ValueError, match="name must be one of"):
        O.from_keras("Sophia")
    with pytest.raises(ValueError, match="clipnorm"):
        O.from_keras("SGD", clipnorm=1.0)
    with pytest.raises(ValueError, match="argument names"):
        O.from_keras("Adam", betas=(0.9, 0.999))
    with pytest.raises(ValueError, match="learning_rate"):
        O.from_keras("Adam", learning_rate=-1.0)
    with pytest.raises(ValueError, match="scalar"):
        O.to_keras(O.SGD(learning_rate=np.array([0.1, 0.2])))
    with pytest.raises(ValueError, match="bias"):
        O.to_keras(O.EWMAMomentum(bias_correction=True))
    with pytest.raises(ValueError, match="epsilon_mode"):
        O.to_keras(O.Adam(epsilon_mode="paper"))
    with pytest.raises(ValueError, match="no variant .*epsilon_outside"):
        O.to_keras(O.RMSprop().variant(epsilon_outside=True))

    class NotKeras(O.Adam):  # a figure module's teaching form
        keras_name = None

    with pytest.raises(ValueError, match="NotKeras has no Keras twin"):
        O.to_keras(NotKeras())


# --------------------------------------------------------------------------- schedules
def test_a_schedule_drives_the_twin_as_it_drives_keras():
    """learning_rate=schedule: evaluated at the number of updates done, both ways."""
    from lessons_lib import schedules

    sched = schedules.from_keras(
        "ExponentialDecay", initial_learning_rate=0.05, decay_steps=10, decay_rate=0.5
    )
    opt = O.SGD(learning_rate=sched, momentum=0.75)
    kopt = O.to_keras(opt)
    assert isinstance(kopt.get_config()["learning_rate"], dict)  # a serialized schedule
    result = keras_paths(kopt)
    # Keras computes the schedule in float32: the rates differ in the 8th digit
    assert max_deviation(result, reference_paths(opt)) <= REQUIRED_TOL
    twin = O.from_keras("SGD", **kopt.get_config())
    assert callable(twin.learning_rate)
    assert max_deviation(result, reference_paths(twin)) <= REQUIRED_TOL
    constant = reference_paths(O.SGD(learning_rate=0.05, momentum=0.75))
    assert max_deviation(result, constant) > 1e-2  # the schedule really acts
